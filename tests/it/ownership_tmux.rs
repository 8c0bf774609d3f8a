//! Issue 10, with tmux: sessions are tmux ids and membership is tmux's panes (move-window, renames
//! without a hook), a detached editor keeps its server at its session's close, and a pane process
//! whose hook was lost is still stopped. Each test runs in its own PID namespace (pidns.rs) with a
//! real tmux server on a private socket inside it.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::pidns::*;
use crate::support::*;

fn config(extra: &str) -> Sandbox {
    Sandbox::with_config(&format!(
        "[daemon]\norphan_min_age = \"0s\"\nstop_grace = \"1s\"\n{extra}"
    ))
}

/// Opens a window running `cmd` in session `session` (cwd `dir`).
fn window(ns: &Ns, session: &str, name: &str, dir: &Path, cmd: &str) {
    ns.tmux_ok(&[
        "new-window",
        "-d",
        "-t",
        &format!("={session}:"),
        "-n",
        name,
        "-c",
        &dir.display().to_string(),
        cmd,
    ]);
}

/// The sticky server (answers `initialize`, ignores SIGHUP and its stdin's end).
fn sticky() -> String {
    format!(
        "{} {}",
        q(python()),
        q(fixture("mcp_server_sticky.py").display().to_string())
    )
}

/// Waits for exactly one process matching `f`; returns it.
#[track_caller]
fn one(ns: &Ns, what: &str, f: impl Fn(&NsProc) -> bool) -> i32 {
    let mut found = Vec::new();
    let ok = wait_for(Duration::from_secs(60), || {
        found = ns.find(&f);
        found.len() == 1
    });
    assert!(ok, "{what}: {found:?} in {:#?}", ns.procs());
    found[0]
}

fn is_fs_node(p: &NsProc) -> bool {
    p.cmdline[0] == "node" && p.command().contains(".bin/mcp-server-filesystem")
}

/// Waits for the sticky server of a pane, once it ignores SIGHUP; returns its pid.
#[track_caller]
fn sticky_up(ns: &Ns, what: &str) -> i32 {
    let pid = one(ns, what, |p| {
        p.cmdline[0] == python() && p.command().contains("mcp_server_sticky.py")
    });
    assert!(wait_for(Duration::from_secs(30), || ns.ignores_hup(pid)));
    pid
}

/// Waits until the hook worker for `session` has finished (its summary line is in hook.log).
#[track_caller]
fn hook_done(ns: &Ns, session: &str) -> String {
    let line = format!("session-closed {session:?}: stopped");
    assert!(
        wait_for(Duration::from_secs(30), || ns.hook_log().contains(&line)),
        "the hook for {session} did not finish: {}",
        ns.hook_log()
    );
    ns.hook_log()
}

fn ps_row(ns: &Ns, pid: i32) -> Value {
    let ps = ns.json(&["ps", "--json"]);
    ps.as_array()
        .unwrap()
        .iter()
        .find(|r| r["pid"] == pid)
        .cloned()
        .unwrap_or_else(|| panic!("{pid} not listed: {ps:#}"))
}

fn records(ns: &Ns) -> Vec<mcpd::state::Record> {
    mcpd::state::Registry::open(&ns.sb.state.join("records"))
        .unwrap()
        .load_all()
        .0
}

#[test]
fn a_window_moved_to_another_session_survives_the_close_of_its_first() {
    let Some(cache) = npm_cache() else { return };
    for on_close in ["mcp", "all"] {
        let ns = Ns::new(config(&format!("[sessions]\non_close = \"{on_close}\"\n")));
        let served = ns.sb.path().join("served");
        std::fs::create_dir_all(&served).unwrap();
        ns.ok(&["tm", "-d", "A"]);
        ns.ok(&["tm", "-d", "B"]);
        window(&ns, "A", "srv", &cache, &npx_fs(&served).join(" "));
        window(&ns, "A", "stay", ns.sb.path(), &sticky());
        let moved = one(&ns, "the filesystem server", is_fs_node);
        let stays = sticky_up(&ns, "the sticky server");
        // Adoption records (and the TMUX tags) say A.
        let adopted = ns.json(&["clean", "--json"]);
        assert!(adopted["adopted"].as_u64().unwrap() >= 2, "{adopted:#}");
        let srv_pane: i32 = ns
            .tmux_ok(&["list-panes", "-t", "=A:srv", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap();
        let b_shell: i32 = ns
            .tmux_ok(&["list-panes", "-t", "=B:", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap();
        ns.tmux_ok(&["move-window", "-s", "=A:srv", "-t", "=B:"]);
        let moved_tree = ns.tree(srv_pane);
        assert!(
            moved_tree.len() >= 3 && moved_tree.contains(&moved),
            "{:#?}",
            ns.procs()
        );

        ns.tmux_ok(&["kill-session", "-t", "=A"]);
        let log = hook_done(&ns, "A");
        assert!(
            wait_for(Duration::from_secs(10), || !ns.alive(stays)),
            "on_close = {on_close}: what stayed in A survived its close: {log}"
        );
        let lost: Vec<&i32> = moved_tree.iter().filter(|p| !ns.alive(**p)).collect();
        assert!(
            lost.is_empty(),
            "on_close = {on_close}: the moved window lost {lost:?}: {log}"
        );
        assert!(
            ns.alive(b_shell),
            "on_close = {on_close}: B's pane shell was stopped"
        );
        let r = ps_row(&ns, moved);
        assert_eq!(r["owner"], "session:B", "{r:#}");
        assert_eq!(r["orphan"], false, "{r:#}");
    }
}

#[test]
fn a_rename_without_mcpds_hook_keeps_the_server_and_moves_its_record() {
    let Some(cache) = npm_cache() else { return };
    let ns = Ns::new(config(""));
    let served = ns.sb.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    // Plain tmux: no mcpd hooks anywhere.
    ns.start_tmux("before", ns.sb.path());
    ns.tmux_ok(&["new-session", "-d", "-s", "doomed"]);
    window(&ns, "before", "srv", &cache, &npx_fs(&served).join(" "));
    window(&ns, "doomed", "srv", ns.sb.path(), &sticky());
    let server = one(&ns, "the filesystem server", is_fs_node);
    let doomed = sticky_up(&ns, "the sticky server");
    let adopted = ns.json(&["clean", "--json"]);
    assert!(adopted["adopted"].as_u64().unwrap() >= 2, "{adopted:#}");
    assert!(
        records(&ns)
            .iter()
            .any(|r| r.pid == server && r.owner.to_string() == "session:before"),
        "{:?}",
        records(&ns)
    );
    assert_eq!(ns.run(&["hook", "status"]).status.code(), Some(1));

    ns.tmux_ok(&["rename-session", "-t", "=before", "after"]);
    ns.tmux_ok(&["kill-session", "-t", "=doomed"]);
    let out = ns.json(&["clean", "--json"]);
    let planned: Vec<&Value> = out["plan"]["stop"].as_array().unwrap().iter().collect();
    assert_eq!(
        planned.len(),
        1,
        "only the closed session's server: {out:#}"
    );
    assert_eq!(planned[0]["pid"], doomed, "{out:#}");
    assert!(
        planned[0]["reason"]
            .as_str()
            .unwrap()
            .contains("session doomed is gone"),
        "{out:#}"
    );
    assert!(wait_for(Duration::from_secs(10), || !ns.alive(doomed)));
    assert!(ns.alive(server), "the renamed session's server was stopped");
    assert_eq!(ps_row(&ns, server)["owner"], "session:after");
    let recs = records(&ns);
    assert!(
        recs.iter()
            .any(|r| r.pid == server && r.owner.to_string() == "session:after")
            && recs.iter().all(|r| r.owner.to_string() != "session:before"),
        "{recs:?}"
    );
    // And again: nothing more to do.
    let out = ns.json(&["clean", "--json"]);
    assert!(out["stopped"].as_array().unwrap().is_empty(), "{out:#}");
    assert!(ns.alive(server));
}

#[test]
fn a_detached_editor_keeps_its_server_when_its_session_closes() {
    let Some(cache) = npm_cache() else { return };
    let ns = Ns::new(config(""));
    let served = ns.sb.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "S"]);
    let ready = ns.sb.path().join("editor.ready");
    // The editor leaves its pane's tree on purpose (setsid -f); its server carries S's TMUX tag.
    let editor = format!(
        "setsid -f node {} {} {} -- {}",
        q(fixture("agent.js").display().to_string()),
        q(ready.display().to_string()),
        q(cache.display().to_string()),
        npx_fs(&served).join(" ")
    );
    window(
        &ns,
        "S",
        "ed",
        ns.sb.path(),
        &format!("{editor}; exec sleep 100000"),
    );
    window(&ns, "S", "plain", ns.sb.path(), &sticky());
    let server = ns.ready(&ready, "the editor");
    let editor = ns.parent(server).unwrap();
    assert_eq!(ns.parent(editor), Some(1), "{:#?}", ns.procs());
    let plain = sticky_up(&ns, "the plain server");
    let tree = ns.tree(server);
    assert!(tree.len() >= 3, "{:#?}", ns.procs());

    ns.tmux_ok(&["kill-session", "-t", "=S"]);
    let log = hook_done(&ns, "S");
    assert!(
        wait_for(Duration::from_secs(10), || !ns.alive(plain)),
        "the session's plain server survived its close: {log}"
    );
    let lost: Vec<&i32> = tree.iter().filter(|p| !ns.alive(**p)).collect();
    assert!(lost.is_empty(), "the editor's server lost {lost:?}: {log}");
    assert!(ns.alive(editor));
    let r = ps_row(&ns, server);
    let reason = r["reason"].as_str().unwrap();
    assert!(
        r["orphan"] == false
            && reason.contains("live client")
            && reason.contains(&editor.to_string()),
        "{r:#}"
    );
    crate::ownership_dumps::save(
        &ns,
        "detached_editor",
        "An editor stand-in (node, socketpairs) was started with `setsid -f` from a pane of session \
         S and runs the real filesystem server through npx; S was then killed with mcpd's hooks \
         installed. The server's TMUX tag names the gone session, but the editor, alive under PID 1, \
         holds its stdio: every process of the server's tree is protected.",
        tree.iter().map(|p| (*p, "protected")),
    );
    // A later clean keeps it too; once the editor is gone, nothing of its server is left.
    let out = ns.json(&["clean", "--json"]);
    assert!(out["stopped"].as_array().unwrap().is_empty(), "{out:#}");
    ns.kill(editor, "KILL");
    assert!(
        wait_for(Duration::from_secs(30), || {
            ns.json(&["clean", "--json"]);
            tree.iter().all(|p| !ns.alive(*p))
        }),
        "left: {:?}",
        tree.iter().filter(|p| ns.alive(**p)).collect::<Vec<_>>()
    );
}

#[test]
fn a_pane_process_whose_hook_was_lost_is_stopped_by_clean() {
    let ns = Ns::new(config(""));
    // Plain tmux, never adopted, no hooks: only the evidence is left once the session is gone.
    ns.start_tmux("keep", ns.sb.path());
    ns.tmux_ok(&["new-session", "-d", "-s", "lost"]);
    window(&ns, "lost", "srv", ns.sb.path(), &sticky());
    let server = sticky_up(&ns, "the sticky server");
    let keep_shell: i32 = ns
        .tmux_ok(&["list-panes", "-t", "=keep:", "-F", "#{pane_pid}"])
        .trim()
        .parse()
        .unwrap();
    let tmux_server = ns.parent(keep_shell).unwrap();
    let r = ps_row(&ns, server);
    assert!(
        r["orphan"] == false && r["owner"] == "session:lost",
        "{r:#}"
    );

    ns.tmux_ok(&["kill-session", "-t", "=lost"]);
    assert!(
        wait_for(Duration::from_secs(10), || ns.parent(server)
            == Some(tmux_server)),
        "{:#?}",
        ns.procs()
    );
    let r = ps_row(&ns, server);
    assert!(
        r["orphan"] == true && r["reason"].as_str().unwrap().contains("is gone"),
        "{r:#}"
    );
    crate::ownership_dumps::save(
        &ns,
        "lost_hook_pane",
        "A stdio server that ignores SIGHUP ran in a pane of session `lost` on a plain tmux server \
         (no mcpd hooks, never adopted); the session was killed: the server is a child of the live \
         tmux server that is no pane's process, and nothing holds its stdio: an orphan.",
        [(server, "orphan")],
    );
    let out = ns.json(&["clean", "--json"]);
    let stopped = out["stopped"].as_array().unwrap();
    assert!(stopped.len() == 1 && stopped[0]["pid"] == server, "{out:#}");
    assert!(wait_for(Duration::from_secs(10), || !ns.alive(server)));
    assert!(ns.alive(keep_shell) && ns.alive(tmux_server));
    let events = ns.events();
    assert!(
        events
            .iter()
            .any(|e| e["pid"] == server && e["reason"].as_str().unwrap().contains("is gone")),
        "{events:#?}"
    );
}
