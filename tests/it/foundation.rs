//! `status`, `ps` and `clean` against real process trees, and bad input of every kind.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

/// A process that looks like an MCP server and whose parent is this test (a live owner).
fn spawn_owned_decoy(sb: &Sandbox) -> std::process::Child {
    let child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "exec -a 'mcp-server-decoy {}' sleep 100000",
            sb.marker
        ))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    sb.track(child.id() as i32);
    child
}

/// A non-MCP process reparented to PID 1.
fn spawn_plain_orphan(sb: &Sandbox) -> i32 {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "(exec -a plain-orphan-{} sleep 100000) >/dev/null 2>&1 & echo $!",
            sb.marker
        ))
        .output()
        .unwrap();
    let pid = text(&out.stdout).trim().parse().unwrap();
    sb.track(pid);
    pid
}

/// An MCP-like orphan owned by `nobody` (only possible as root; None otherwise).
fn spawn_other_users_orphan(sb: &Sandbox) -> Option<i32> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "note: not root, so no other user's process can be started; that decoy is skipped"
        );
        return None;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "bash",
            "-c",
        ])
        .arg(format!(
            "(exec -a 'mcp-server-theirs {}' sleep 100000) >/dev/null 2>&1 & echo $!",
            sb.marker
        ))
        .output()
        .ok()?;
    let pid: i32 = text(&out.stdout).trim().parse().ok()?;
    sb.track(pid);
    Some(pid)
}

#[test]
fn real_orphaned_npx_tree_is_found_and_fully_stopped_and_decoys_survive() {
    let Some(cache) = npm_cache() else { return };
    let sb = Sandbox::new();
    let top = spawn_orphaned_npx_tree(&sb, &cache);
    let tree: Vec<i32> = marked(&sb.marker);
    let mut decoy = spawn_owned_decoy(&sb);
    let plain = spawn_plain_orphan(&sb);
    let theirs = spawn_other_users_orphan(&sb);
    assert!(wait_for(Duration::from_secs(5), || marked(&format!(
        "mcp-server-decoy {}",
        sb.marker
    ))
    .len()
        == 1));

    // ps --orphans finds the whole npm exec -> sh -> node tree, and none of the decoys.
    let ps = sb.json(&["ps", "--orphans", "--json", "--match", &sb.marker]);
    let pids: Vec<i64> = ps
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pid"].as_i64().unwrap())
        .collect();
    for (cmd, needle) in [
        ("npm exec", "npm exec"),
        ("sh -c", "sh -c"),
        ("node", "node "),
    ] {
        assert!(
            ps.as_array().unwrap().iter().any(|r| r["command"]
                .as_str()
                .unwrap()
                .starts_with(needle)
                && r["orphan"] == true),
            "no orphaned {cmd} in {ps:#}"
        );
    }
    assert!(pids.contains(&(top as i64)));
    assert!(
        !pids.contains(&(decoy.id() as i64)),
        "the owned decoy is not an orphan"
    );
    assert!(
        !pids.contains(&(plain as i64)),
        "a non-MCP orphan is not listed"
    );
    if let Some(t) = theirs {
        assert!(
            !pids.contains(&(t as i64)),
            "another user's process is never considered"
        );
    }
    let row = &ps[0];
    for key in [
        "pid",
        "ppid",
        "start_time",
        "rss_bytes",
        "command",
        "owner",
        "orphan",
        "age_seconds",
    ] {
        assert!(row.get(key).is_some(), "ps --json lacks {key}: {row}");
    }

    // status counts them.
    let status = sb.json(&["status", "--json"]);
    assert!(
        status["orphans"]["value"].as_u64().unwrap() >= 3,
        "{status:#}"
    );
    assert!(
        status["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("mcpd clean"))
    );

    // --dry-run signals nothing.
    let dry = sb.ok(&["clean", "--dry-run", "--match", &sb.marker]);
    assert!(dry.contains("Would stop"), "{dry}");
    assert!(tree.iter().all(|p| !gone(*p)), "dry run killed something");

    // clean stops every process of the tree and nothing else.
    let out = sb.json(&["clean", "--json", "--match", &sb.marker]);
    assert!(out["freed_bytes"].as_u64().unwrap() > 50_000_000, "{out:#}");
    assert!(
        wait_for(Duration::from_secs(5), || tree.iter().all(|p| gone(*p))),
        "left: {:?}",
        marked(&sb.marker)
    );
    assert!(!gone(decoy.id() as i32), "the owned decoy was killed");
    assert!(!gone(plain), "the non-MCP orphan was killed");
    if let Some(t) = theirs {
        assert!(!gone(t), "another user's process was killed");
    }
    decoy.kill().unwrap();
    decoy.wait().unwrap();
}

#[test]
fn status_works_with_no_config_and_no_state() {
    let sb = Sandbox::new();
    std::fs::remove_file(&sb.config).unwrap();
    let out = sb.ok(&["status"]);
    assert!(
        out.contains("MCP processes") && out.contains("orphaned MCP processes"),
        "{out}"
    );
    let j = sb.json(&["status", "--json"]);
    for key in ["processes", "rss_bytes", "detached_sessions", "orphans"] {
        for f in ["value", "level", "warn", "crit"] {
            assert!(j[key].get(f).is_some(), "{key}.{f} missing: {j:#}");
        }
    }
    for key in ["sessions", "servers", "recommendations"] {
        assert!(j[key].is_array(), "{key} missing: {j:#}");
    }
    assert_eq!(j["processes"]["warn"], 10);
    assert_eq!(j["rss_bytes"]["crit"], 1_000_000_000u64);
}

#[test]
fn status_check_exit_codes_follow_levels() {
    // Thresholds of 0/1 make the mere presence of one MCP-like process (the decoy) a warning or worse.
    let sb = Sandbox::with_config("[thresholds]\nprocesses = { warn = 0, crit = 100000 }\n");
    assert_eq!(sb.run(&["status", "--check"]).status.code(), Some(1));
    let sb = Sandbox::with_config("[thresholds]\nprocesses = { warn = 0, crit = 1 }\n");
    let mut decoy = spawn_owned_decoy(&sb);
    assert!(wait_for(Duration::from_secs(5), || !marked(
        "mcp-server-decoy"
    )
    .is_empty()));
    assert_eq!(sb.run(&["status", "--check"]).status.code(), Some(2));
    decoy.kill().unwrap();
    decoy.wait().unwrap();
    // Unknown: a broken config means the state cannot be judged.
    let sb = Sandbox::with_config("[thresholds\n");
    let out = sb.run(&["status", "--check"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("UNKNOWN"));
}

#[test]
fn broken_config_errors_name_file_line_and_key() {
    for (config, expect) in [
        ("[daemon]\nsweep_intervall = \"30s\"\n", "2"),
        (
            "[thresholds]\nrss = { warn = \"1GB\", crit = \"300MB\" }\n",
            "rss",
        ),
        ("[servers.fs]\nscope = \"global\"\n", "command"),
        ("[daemon]\nstop_grace = \"3 parsecs\"\n", "stop_grace"),
        ("\u{0}\u{1}garbage", "config.toml"),
    ] {
        let sb = Sandbox::with_config(config);
        let out = sb.run(&["status"]);
        assert_eq!(out.status.code(), Some(1), "{config:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&sb.config.display().to_string()),
            "no file named for {config:?}: {err}"
        );
        assert!(err.contains(expect), "{config:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let check = sb.run(&["config", "check"]);
        assert_eq!(check.status.code(), Some(1));
    }
}

#[test]
fn corrupt_state_file_is_reported_moved_aside_and_others_are_kept() {
    let sb = Sandbox::new();
    let records = sb.state.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let good = serde_json::json!({
        "version": 1, "owner": "session:keep",
        "records": [{"pid": 999999, "start_ticks": 1, "pgid": 999999, "owner": "session:keep", "origin": "adopted",
                     "command": "node mcp-server-x", "recorded_at": 1}]
    });
    std::fs::write(records.join("session-keep.json"), good.to_string()).unwrap();
    std::fs::write(
        records.join("session-bad.json"),
        "{\"version\": 1, \"owner\": \"session:bad\", \"rec",
    )
    .unwrap();
    std::fs::write(records.join("session-bin.json"), [0xff, 0x00, 0x13]).unwrap();
    let out = sb.run(&["status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("session-bad.json") && all.contains("session-bin.json"),
        "{all}"
    );
    assert!(records.join("session-bad.json.corrupt").exists());
    assert!(records.join("session-bin.json.corrupt").exists());
    // The good file was not touched by the bad ones.
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(records.join("session-keep.json")).unwrap()).unwrap();
    assert_eq!(kept["records"][0]["pid"], 999999);
}

#[test]
fn clean_drops_records_of_gone_processes() {
    let sb = Sandbox::new();
    let records = sb.state.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let file = serde_json::json!({
        "version": 1, "owner": "global:fs",
        "records": [{"pid": 999999, "start_ticks": 1, "pgid": 999999, "owner": "global:fs", "origin": "spawned",
                     "server": "fs", "command": "node mcp-server-x", "recorded_at": 1}]
    });
    std::fs::write(records.join("global-fs.json"), file.to_string()).unwrap();
    let out = sb.json(&["clean", "--json", "--match", &sb.marker]);
    assert_eq!(out["dropped_records"], 1, "{out:#}");
    assert!(!records.join("global-fs.json").exists());
}

#[test]
fn twenty_concurrent_writers_lose_nothing() {
    use mcpd::model::{Identity, Origin, Owner, Record};
    use mcpd::state::Registry;
    let sb = Sandbox::new();
    let dir = sb.state.join("records");
    let threads: Vec<_> = (0..20)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                // Each writer opens its own registry: its own lock file descriptor, as separate processes have.
                let reg = Registry::open(&dir).unwrap();
                for i in 0..25 {
                    let owner = Owner::Session(format!("s{}", i % 3));
                    let id = Identity {
                        pid: w * 1000 + i,
                        start_ticks: 1,
                    };
                    reg.add(vec![
                        Record::new(id, owner, Origin::Adopted)
                            .with_pgid(1)
                            .with_command("x"),
                    ])
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (all, warnings) = Registry::open(&dir).unwrap().load_all();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(all.len(), 500);
}

#[test]
fn twenty_concurrent_mcpd_processes_keep_the_registry_whole() {
    // Real processes this time: 20 `hook session-renamed` runs moving records between owners at once,
    // while the records are also read. Every record must end up under exactly one owner.
    use mcpd::model::{Identity, Origin, Owner, Record};
    use mcpd::state::Registry;
    let sb = Sandbox::new();
    let reg = Registry::open(&sb.state.join("records")).unwrap();
    let recs: Vec<Record> = (0..20)
        .flat_map(|s| {
            (0..10).map(move |i| {
                let id = Identity {
                    pid: 100_000 + s * 100 + i,
                    start_ticks: 1,
                };
                Record::new(id, Owner::Session(format!("old{s}")), Origin::Adopted)
                    .with_pgid(1)
                    .with_command("x")
                    .with_session_id(s as u32)
            })
        })
        .collect();
    reg.add(recs).unwrap();
    let children: Vec<_> = (0..20)
        .map(|s| {
            sb.mcpd()
                .args([
                    "hook",
                    "session-renamed",
                    &format!("${s}"),
                    &format!("new{s}"),
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let (all, warnings) = reg.load_all();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(all.len(), 200);
    for r in &all {
        assert_eq!(
            r.owner,
            Owner::Session(format!("new{}", r.session_id.unwrap()))
        );
    }
}
