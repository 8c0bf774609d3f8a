//! Issue 16, closes served from the cache: a close lists /proc with inodes and serves the processes
//! unchanged since the last close from the tag cache. These check what the cache must never hide,
//! each in its own PID namespace (pidns.rs) with a real tmux server inside: a pid reused since the
//! cache was written, a process started since, and the innocents next to a close.

use std::time::Duration;

use crate::pidns::*;
use crate::support::*;

fn sandbox() -> Sandbox {
    Sandbox::with_config("[daemon]\norphan_min_age = \"0s\"\nstop_grace = \"1s\"\n")
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

/// Waits for exactly one process whose command line is `command`; returns it.
#[track_caller]
fn one(ns: &Ns, command: &str) -> i32 {
    let mut found = Vec::new();
    let ok = wait_for(Duration::from_secs(30), || {
        found = ns.find(|p| p.command() == command);
        found.len() == 1
    });
    assert!(ok, "{command}: {found:?} in {:#?}", ns.procs());
    found[0]
}

/// Opens a window in `session` that leaves an MCP-like server (named `name`) out of every pane
/// tree (`setsid -f`, as an editor does), tagged with the session.
fn escapee(ns: &Ns, session: &str, name: &str) -> i32 {
    let cmd = format!(
        "setsid -f bash -c 'exec -a {name} sleep 100000' </dev/null >/dev/null 2>&1; exec sleep 100000"
    );
    ns.tmux_ok(&["new-window", "-d", "-t", &format!("={session}:"), &cmd]);
    let pid = one(ns, &format!("{name} 100000"));
    assert!(
        wait_for(Duration::from_secs(10), || ns.parent(pid) == Some(1)),
        "{name} did not leave its pane: {:#?}",
        ns.procs()
    );
    pid
}

/// Closes session `name` (its hook writes the cache the next close serves from).
fn close(ns: &Ns, name: &str) -> String {
    ns.tmux_ok(&["kill-session", "-t", &format!("={name}")]);
    hook_done(ns, name)
}

#[test]
fn a_process_started_after_the_cache_was_written_is_found_and_innocents_survive() {
    let ns = Ns::new(sandbox());
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "B"]);
    ns.ok(&["tm", "-d", "warm"]);
    let kept = escapee(&ns, "keep", "mcp-server-keep");
    let job = ns.orphan(
        ns.sb.path(),
        "bash -c 'exec -a mcp-server-job sleep 100001'",
    );
    close(&ns, "warm");
    assert!(has_cache(&ns), "the close wrote no stat cache");
    // Started after the cache was written: unknown to it, found by the listing.
    let late = escapee(&ns, "B", "mcp-server-late");
    let log = close(&ns, "B");
    assert!(
        wait_for(Duration::from_secs(10), || !ns.alive(late)),
        "B's late server survived B's close: {log}"
    );
    assert!(ns.alive(kept), "keep's server was stopped: {log}");
    assert!(ns.alive(job), "an untagged job was stopped: {log}");
    // And once more, now that both are in the cache: still left alone.
    ns.ok(&["tm", "-d", "C"]);
    let log = close(&ns, "C");
    assert!(ns.alive(kept) && ns.alive(job), "{log}");
}

/// True when the runtime dir holds the close's stat cache (`env-tags-<namespace>.stats`).
fn has_cache(ns: &Ns) -> bool {
    std::fs::read_dir(&ns.sb.runtime).is_ok_and(|d| {
        d.flatten().any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("env-tags") && n.ends_with(".stats")
        })
    })
}

#[test]
fn a_cached_pid_reused_since_is_read_again_not_trusted() {
    let ns = Ns::new(sandbox());
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "A"]);
    ns.ok(&["tm", "-d", "warm"]);
    let server = ns.tmux_ok(&["display-message", "-p", "#{socket_path},#{pid}"]);
    let id = ns
        .tmux_ok(&["list-sessions", "-F", "#{session_name} #{session_id}"])
        .lines()
        .find_map(|l| l.strip_prefix("A $").map(str::to_string))
        .expect("session A's id");
    let tag = format!("{},{id}", server.trim());
    // An untagged process the next close caches (pid and /proc inode, no tags).
    let old = ns.orphan(ns.sb.path(), "sleep 100002");
    close(&ns, "warm");
    ns.kill(old, "KILL");
    assert!(wait_for(Duration::from_secs(10), || !ns.alive(old)));
    // The same pid again, now an MCP-like server tagged with A: its /proc entry is a new inode.
    // Something else in the namespace (the warm close's worker running tmux) may fork between the
    // write to ns_last_pid and ours and take the pid: then that process is stopped by its pid (or
    // waited out) and the reuse is tried again.
    let mut reused = 0;
    for _ in 0..20 {
        assert!(wait_for(Duration::from_secs(10), || !ns.alive(old)));
        reused = ns
            .sh(&format!(
                "echo {} > /proc/sys/kernel/ns_last_pid; TMUX={} bash -c 'exec -a mcp-server-reused sleep 100000' </dev/null >/dev/null 2>&1 & echo $!",
                old - 1,
                q(&tag)
            ))
            .trim()
            .parse()
            .unwrap();
        if reused == old {
            break;
        }
        ns.kill(reused, "KILL");
    }
    assert_eq!(reused, old, "the pid was not reused: {:#?}", ns.procs());
    assert!(wait_for(Duration::from_secs(10), || ns
        .find(|p| p.command() == "mcp-server-reused 100000")
        == vec![old]));
    let environ = std::fs::read(ns.proc_dir().join(old.to_string()).join("environ")).unwrap();
    let environ = String::from_utf8_lossy(&environ).replace('\0', " ");
    assert!(environ.contains(&format!("TMUX={tag}")), "{environ}");
    let log = close(&ns, "A");
    assert!(
        wait_for(Duration::from_secs(10), || !ns.alive(old)),
        "the process on the reused pid {old} (tagged with A) survived A's close: the cached entry was trusted: {log} {environ:?}"
    );
}
