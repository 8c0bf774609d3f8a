//! NOT registered in main.rs: scenarios that fail with the current implementation, kept here with their
//! diagnosis until the lead fixes them (then move each test to its file and register it).

use std::time::Duration;

use crate::pidns::*;
use crate::support::*;

/// Fails about 1 run in 3 with two `yes` loads on the 2-core machine (seen once in a full
/// `cargo test --test it`): `mcpd daemon stop` exits 1 with "the daemon at .../mcpd.sock sent an
/// unreadable answer: EOF while parsing a value at line 1 column 0", though the daemon does stop. The
/// supervisor answers `Shutdown` through the oneshot and sets `shutdown` (src/daemon/supervisor.rs,
/// `request`); its loop (`while !sup.shutdown`) ends at once and src/daemon/mod.rs shuts the runtime
/// down (`rt.shutdown_timeout`), dropping the control connection's task (src/daemon/control.rs) before
/// it has written the answer. The client (src/commands/daemon.rs, `DaemonCommand::Stop`) then fails on
/// the EOF instead of going on to wait for the pid. Fix either side: let in-flight control tasks finish
/// before the runtime goes, and/or treat an EOF after `Shutdown` as "stopping".
#[test]
fn daemon_stop_succeeds_every_time() {
    let ns = Ns::new(Sandbox::with_config(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\n",
    ));
    for round in 0..30 {
        ns.ok(&["daemon", "start"]);
        let out = ns.run(&["daemon", "stop"]);
        assert!(
            out.status.success(),
            "round {round}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

/// Fails: the daemon does not watch the tmux servers it knows (issue 10, point 5: a pidfd on the
/// server process and a cheap session-list check every second), so what lost sessions leave behind
/// waits for the next sweep (`sweep_interval`, 30 s by default; here 1 h so that only a watcher can
/// pass). src/daemon/supervisor.rs's loop has the sweep timer, control requests, child exits and
/// signals, and no tmux-server event. Hooks are not installed here (the lost-hook case).
#[test]
fn the_daemon_reconciles_promptly_when_sessions_or_the_tmux_server_go() {
    let ns = Ns::new(Sandbox::with_config(
        "[daemon]\nsweep_interval = \"1h\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n",
    ));
    let sticky = format!(
        "{} {}",
        q(python()),
        q(fixture("mcp_server_sticky.py").display().to_string())
    );
    ns.start_tmux("keep", ns.sb.path());
    for s in ["one", "two"] {
        ns.tmux_ok(&["new-session", "-d", "-s", s, &sticky]);
    }
    let servers = || ns.find(|p| p.cmdline[0] == python() && p.command().contains("sticky"));
    assert!(wait_for(Duration::from_secs(20), || servers().len() == 2
        && servers().iter().all(|p| ns.ignores_hup(*p))));
    let (first, second) = (servers()[0], servers()[1]);
    ns.ok(&["daemon", "start"]);
    // A session goes without its hook: reconciled without waiting for a sweep.
    ns.tmux_ok(&["kill-session", "-t", "=one"]);
    let gone_one = wait_for(Duration::from_secs(20), || {
        !ns.alive(first) || !ns.alive(second)
    });
    // Then the whole server.
    ns.tmux_ok(&["kill-server"]);
    let gone_all = wait_for(Duration::from_secs(20), || servers().is_empty());
    let left = servers();
    // What the daemon should have done, `clean` does: the setup is one mcpd can judge.
    let cleaned = ns.json(&["clean", "--json"]);
    assert!(
        gone_one && gone_all,
        "left: {left:?}; events: {:#?}; a clean then planned: {:#}",
        ns.events(),
        cleaned["plan"]["stop"]
    );
}
