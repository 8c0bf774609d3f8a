//! tmux integration on private servers: `tm`, hooks, hostile names, adoption, reconciliation.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::*;

fn agent_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent.py")
}

fn sessions(sb: &Sandbox) -> Vec<String> {
    let out = sb
        .tmux()
        .args(["list-sessions", "-F", "#{session_name}"])
        .output()
        .unwrap();
    text(&out.stdout).lines().map(str::to_string).collect()
}

/// Starts the agent stand-in in a new window of session `name`; returns the npm exec -> sh -> node pids.
fn start_agent(sb: &Sandbox, cache: &Path, name: &str) -> Vec<i32> {
    let served = sb.path().join(format!(
        "served-{}",
        sessions(sb).iter().position(|s| s == name).unwrap_or(0)
    ));
    std::fs::create_dir_all(&served).unwrap();
    let ready = served.join("ready");
    let cmd = format!(
        "python3 {} {} {} {}",
        agent_script().display(),
        cache.display(),
        served.display(),
        ready.display()
    );
    let target = format!("={name}:");
    sb.tmux_ok(&["new-window", "-d", "-t", &target, &cmd]);
    assert!(
        wait_for(Duration::from_secs(30), || ready.exists()),
        "agent in {name} did not get ready"
    );
    sb.track_marked();
    let served_s = served.display().to_string();
    let tree: Vec<i32> = marked(&served_s)
        .into_iter()
        .filter(|p| !is_agent(*p))
        .collect();
    assert!(
        tree.len() >= 3,
        "expected npm exec, sh, node under {served_s}: {tree:?}"
    );
    tree
}

fn is_agent(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains("agent.py"))
        .unwrap_or(false)
}

#[test]
fn tm_twice_in_a_dotted_folder_gives_one_session() {
    let sb = Sandbox::new();
    sb.tmux_started();
    let proj = sb.path().join("my.proj v2");
    std::fs::create_dir_all(&proj).unwrap();
    let first = sb
        .mcpd()
        .args(["tm", "-d"])
        .current_dir(&proj)
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("created session my_proj_v2"));
    let second = sb
        .mcpd()
        .args(["tm", "-d"])
        .current_dir(&proj)
        .output()
        .unwrap();
    assert!(
        text(&second.stdout).contains("existing session my_proj_v2"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(sessions(&sb), vec!["my_proj_v2".to_string()]);
    // Its start directory is the folder.
    let path = sb.tmux_ok(&[
        "display-message",
        "-p",
        "-t",
        "=my_proj_v2:",
        "#{session_path}",
    ]);
    assert_eq!(
        path.trim(),
        std::fs::canonicalize(&proj).unwrap().display().to_string()
    );
    // And the hooks are installed, at mcpd's own index, naming mcpd by absolute path.
    let hooks = sb.ok(&["hook", "status"]);
    assert!(
        hooks.contains("session-closed[424]") && hooks.contains(env!("CARGO_BIN_EXE_mcpd")),
        "{hooks}"
    );
    assert!(hooks.contains("#{q:hook_session_name}"), "{hooks}");
}

#[test]
fn hooks_install_idempotently_keep_user_hooks_and_uninstall_exactly() {
    let sb = Sandbox::new();
    sb.start_tmux("main");
    sb.tmux_ok(&["set-hook", "-g", "session-closed[0]", "run-shell 'true'"]);
    sb.ok(&["hook", "install"]);
    sb.ok(&["hook", "install"]);
    let hooks = sb.tmux_ok(&["show-hooks", "-g"]);
    assert_eq!(hooks.matches("session-closed[424]").count(), 1, "{hooks}");
    assert!(
        hooks.contains("session-closed[0] run-shell true")
            || hooks.contains("session-closed[0] \"run-shell true\""),
        "{hooks}"
    );
    sb.ok(&["hook", "uninstall"]);
    let hooks = sb.tmux_ok(&["show-hooks", "-g"]);
    assert!(!hooks.contains("[424]"), "{hooks}");
    assert!(
        hooks.contains("session-closed[0]"),
        "the user's hook was removed: {hooks}"
    );
    assert_eq!(sb.run(&["hook", "status"]).status.code(), Some(1));
}

#[test]
fn kill_session_stops_the_agents_npx_tree_and_without_mcpd_it_survives() {
    let Some(cache) = npm_cache() else { return };
    // Control: no hooks, the tree outlives its session.
    let control = Sandbox::new();
    control.start_tmux("ctl");
    let tree = start_agent(&control, &cache, "ctl");
    control.tmux_ok(&["kill-session", "-t", "=ctl"]);
    // kill-session has sent its SIGHUPs when it returns: wait until each has had its effect.
    assert!(wait_for(Duration::from_secs(10), || tree
        .iter()
        .all(|p| settled(*p))));
    let left: Vec<i32> = tree.iter().copied().filter(|p| !gone(*p)).collect();
    assert_eq!(
        left, tree,
        "without mcpd the npm exec / sh / node tree should survive kill-session"
    );

    // With mcpd: `tm` installs the hooks; kill-session stops the tree within the grace.
    let sb = Sandbox::new();
    sb.tmux_started();
    sb.ok(&["tm", "-d", "work"]);
    // Another session keeps the server up: tmux may drop the hook of the very last session as it
    // exits (kill_server_loses_hooks_and_clean_reconciles covers that case).
    sb.ok(&["tm", "-d", "other"]);
    let tree = start_agent(&sb, &cache, "work");
    sb.tmux_ok(&["kill-session", "-t", "=work"]);
    let ok = wait_for(Duration::from_secs(5), || tree.iter().all(|p| gone(*p)));
    let log_has = || {
        std::fs::read_to_string(sb.state.join("hook.log"))
            .unwrap_or_default()
            .contains("session-closed \"work\"")
    };
    wait_for(Duration::from_secs(2), log_has);
    let log = std::fs::read_to_string(sb.state.join("hook.log")).unwrap_or_default();
    assert!(
        ok,
        "tree still running after kill-session: {:?}\nhook.log: {log}",
        tree.iter().filter(|p| !gone(**p)).collect::<Vec<_>>()
    );
    assert!(log.contains("session-closed \"work\""), "{log}");
}

#[test]
fn hostile_names_never_execute_anything() {
    let sb = Sandbox::new();
    // A session that stays: when the last session closes, the server exits and may drop queued hooks
    // (a tmux limit that reconciliation covers); here every hook must run.
    sb.start_tmux("keeper");
    let pwned = sb.path().join("pwned");
    let p = pwned.display().to_string();
    let names = [
        format!("a$(touch {p}1)b"),
        format!("a`touch {p}2`b"),
        format!("a;touch {p}3"),
        format!("a'$(touch {p}4)'b"),
        format!("a\"$(touch {p}5)\"b"),
        format!("a|touch {p}6"),
        "tab\there".to_string(),
        "ünïcødé-名前".to_string(),
        "-leading".to_string(),
    ];
    for n in &names {
        let out = sb.run(&["tm", "-d", "--", n]);
        assert!(out.status.success(), "tm -d {n:?}: {}", text(&out.stderr));
    }
    for (n, why) in [
        ("$(touch x)", "starts with `$`"),
        ("a#(touch x)", "`#`"),
        ("x#{pid}", "`#`"),
        ("@1", "`@`"),
        ("%1", "`%`"),
    ] {
        let out = sb.run(&["tm", "-d", n]);
        assert_eq!(out.status.code(), Some(1), "{n:?} should be refused");
        assert!(
            text(&out.stderr).contains(why),
            "{n:?}: {}",
            text(&out.stderr)
        );
    }
    let live: Vec<String> = sessions(&sb)
        .into_iter()
        .filter(|s| s != "keeper")
        .collect();
    assert_eq!(live.len(), names.len(), "{live:?}");
    assert!(
        live.contains(&"tab_here".to_string()) && live.contains(&"-leading".to_string()),
        "{live:?}"
    );
    // Close every session through tmux: the hook passes each name through #{q:}.
    for n in &live {
        sb.tmux_ok(&["kill-session", "-t", &format!("={n}")]);
    }
    let log_path = sb.state.join("hook.log");
    assert!(
        wait_for(Duration::from_secs(5), || std::fs::read_to_string(
            &log_path
        )
        .unwrap_or_default()
        .matches("session-closed")
        .count()
            >= live.len()),
        "hooks did not all run: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let log = std::fs::read_to_string(&log_path).unwrap();
    for n in &live {
        assert!(
            log.contains(&format!("session-closed {n:?}")),
            "hook lost name {n:?}: {log}"
        );
    }
    // And directly.
    for n in &names {
        sb.ok(&["hook", "session-closed", "--foreground", "--", n]);
    }
    // Foreground closes are done when they return, and every hook tmux ran is in the log.
    for i in 1..=6 {
        assert!(
            !Path::new(&format!("{p}{i}")).exists(),
            "a hostile name executed (pwned{i})"
        );
    }
}

#[test]
fn renamed_session_keeps_its_records() {
    let sb = Sandbox::new();
    sb.tmux_started();
    sb.ok(&["tm", "-d", "before"]);
    let tag = format!("mcp-server-rename-{}", sb.marker);
    sb.tmux_ok(&[
        "new-window",
        "-d",
        "-t",
        "=before:",
        &format!("bash -c 'exec -a {tag} sleep 100000'"),
    ]);
    assert!(wait_for(Duration::from_secs(5), || named(&tag).len() == 1));
    sb.track(named(&tag)[0]);
    sb.json(&["clean", "--json", "--match", &sb.marker]);
    sb.tmux_ok(&["rename-session", "-t", "=before", "after"]);
    let ok = wait_for(Duration::from_secs(5), || {
        let (recs, _) = mcpd::state::Registry::open(&sb.state.join("records"))
            .unwrap()
            .load_all();
        !recs.is_empty() && recs.iter().all(|r| r.owner.to_string() == "session:after")
    });
    assert!(ok, "records did not follow the rename");
    let ps = sb.json(&["ps", "--json", "--session", "after"]);
    assert_eq!(ps.as_array().unwrap().len(), 1, "{ps:#}");
}

#[test]
fn missing_tmux_is_a_clear_error() {
    let sb = Sandbox::new();
    let out = sb
        .mcpd()
        .args(["tm", "-d", "x"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("tmux is not installed"),
        "{}",
        text(&out.stderr)
    );
    let _ = Command::new("true");
}

/// A directory holding a `tmux` that runs `body` (then, unless it ends, the real tmux), first on PATH.
fn fake_tmux(sb: &Sandbox, body: &str) -> String {
    let dir = sb.path().join("fake-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v tmux"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let script = format!("#!/bin/sh\n{body}\nexec {} \"$@\"\n", real.trim());
    let path = dir.join("tmux");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `status` asks tmux while it reads /proc: a tmux that answers late still gives its sessions, and
/// one that never answers leaves `status` answering anyway, its sessions unknown and said so.
#[test]
fn status_answers_with_a_slow_tmux_and_says_so_of_a_hung_one() {
    let sb = Sandbox::new();
    sb.start_tmux("slowpoke");
    // `status --json` with a tmux that runs `body` before it answers.
    let status_with = |body: &str| {
        let out = sb
            .mcpd()
            .args(["status", "--json"])
            .env("PATH", fake_tmux(&sb, body))
            .output()
            .unwrap();
        expect_json(
            &["status", "--json"],
            &expect_ok(&["status", "--json"], out),
        )
    };
    let j = status_with("sleep 1");
    assert_eq!(j["detached_sessions"]["value"], 1, "{j:#}");
    assert_eq!(j["sessions"][0]["name"], "slowpoke", "{j:#}");
    assert_eq!(j["tmux"], true, "{j:#}");
    assert!(j["warnings"].as_array().unwrap().is_empty(), "{j:#}");

    let j = status_with("exec sleep 60");
    let warnings = j["warnings"].to_string();
    assert!(
        warnings.contains("cannot reach the tmux server") && warnings.contains("did not answer"),
        "{j:#}"
    );
    assert_eq!(j["tmux"], false, "{j:#}");
    let out = sb
        .mcpd()
        .args(["status"])
        .env("PATH", fake_tmux(&sb, "exec sleep 60"))
        .output()
        .unwrap();
    let report = expect_ok(&["status"], out);
    assert!(report.contains("tmux not available"), "{report}");
    assert!(report.contains("did not answer within"), "{report}");
}

#[test]
fn on_close_all_stops_every_process_of_the_session_not_only_mcp_ones() {
    for (on_close, agent_survives) in [("mcp", true), ("all", false)] {
        let sb = Sandbox::with_config(&format!(
            "[daemon]\nstop_grace = \"1s\"\n[sessions]\non_close = \"{on_close}\"\n"
        ));
        sb.tmux_started();
        sb.ok(&["tm", "-d", "keep"]);
        sb.ok(&["tm", "-d", "work"]);
        let (agent, server) = (
            format!("agent-{on_close}-{}", sb.marker),
            format!("mcp-server-{on_close}-{}", sb.marker),
        );
        for tag in [&agent, &server] {
            sb.tmux_ok(&[
                "new-window",
                "-d",
                "-t",
                "=work:",
                &format!("bash -c 'trap \"\" HUP; exec -a {tag} sleep 100000'"),
            ]);
        }
        assert!(wait_for(Duration::from_secs(5), || named(&agent).len()
            == 1
            && named(&server).len() == 1));
        let (a, s) = (named(&agent)[0], named(&server)[0]);
        sb.track(a);
        sb.track(s);
        sb.tmux_ok(&["kill-session", "-t", "=work"]);
        assert!(
            wait_for(Duration::from_secs(5), || gone(s)),
            "{on_close}: the MCP server survived"
        );
        // The close is over once the hook logs what it stopped, and the agent's SIGHUP handled.
        assert!(
            wait_for(Duration::from_secs(10), || {
                std::fs::read_to_string(sb.state.join("hook.log")).is_ok_and(|l| {
                    l.lines()
                        .any(|x| x.contains("\"work\"") && x.contains(": stopped"))
                }) && settled(a)
            }),
            "{on_close}: the close did not finish"
        );
        assert_eq!(
            !gone(a),
            agent_survives,
            "on_close = {on_close}: the agent's fate is wrong"
        );
    }
}

#[test]
fn the_view_says_which_session_ids_are_newer_than_it() {
    // A session created after the view was taken is absent from it but not gone: the view carries
    // tmux's next session id, so the judges tell the two apart (sweep::owner).
    let sb = Sandbox::new();
    for n in ["one", "two", "three"] {
        sb.ok(&["tm", "-d", n]);
    }
    sb.tmux_ok(&["kill-session", "-t", "=three"]);
    let file = sb.path().join("dump.json");
    let out = sb.run(&["ps", "--dump", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dump = mcpd::sweep::dump::Dump::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let view = dump.tmux.expect("the dump's tmux view");
    let ids: Vec<u32> = view.sessions.iter().map(|s| s.id).collect();
    let next = view.next_session_id.expect("tmux's next session id");
    assert!(ids.iter().all(|id| *id < next), "{ids:?} next {next}");
    // "three" was created after the others and closed: its id is below the next one (gone),
    // and the next session created gets exactly that next id (newer than this view).
    assert!(!view.is_newer_than_view(next - 1) && view.is_newer_than_view(next));
    sb.ok(&["tm", "-d", "four"]);
    let four = sb
        .tmux_ok(&["display-message", "-p", "-t", "=four:", "#{session_id}"])
        .trim()
        .trim_start_matches('$')
        .parse::<u32>()
        .unwrap();
    assert_eq!(four, next);
}
