//! Issue 10, daemon side: re-adoption knows a server's whole tree, a session closed and reopened at once
//! gets its servers, and a name with a backslash gets one set of them. Each test runs in its own PID
//! namespace (pidns.rs) with a real daemon and a real tmux server inside it.

use std::time::Duration;

use serde_json::Value;

use crate::pidns::*;
use crate::support::*;

/// A sandbox whose daemon sweeps every second, with `servers` configured.
fn daemon_sandbox(servers: &str) -> Sandbox {
    Sandbox::with_config(&format!(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n\n{servers}"
    ))
}

fn status(ns: &Ns) -> Value {
    ns.json(&["status", "--json"])
}

fn sweeps(ns: &Ns) -> u64 {
    status(ns)["daemon"]["sweeps"].as_u64().unwrap_or(0)
}

/// Waits until the daemon has finished `n` more sweeps than now.
#[track_caller]
fn sweep_n(ns: &Ns, n: u64) {
    let from = sweeps(ns);
    assert!(
        wait_for(Duration::from_secs(30), || sweeps(ns) >= from + n),
        "the daemon did not sweep: {:#}",
        status(ns)
    );
}

/// The daemon's instances of server `name`: (session, state, pid).
fn instances(ns: &Ns, name: &str) -> Vec<(Option<String>, String, Option<i64>)> {
    status(ns)["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == name)
        .map(|s| {
            (
                s["session"].as_str().map(str::to_string),
                s["state"].as_str().unwrap_or_default().to_string(),
                s["pid"].as_i64(),
            )
        })
        .collect()
}

/// Pids of the namespace's processes whose argv[0] is `name`.
fn named_in(ns: &Ns, name: &str) -> Vec<i32> {
    ns.find(|p| p.cmdline[0] == name)
}

fn daemon_pid(ns: &Ns) -> i32 {
    std::fs::read_to_string(ns.sb.state.join("daemon.lock"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The daemon's threads and where each waits (for a failure's message).
fn threads(ns: &Ns) -> String {
    let dir = ns.proc_dir().join(daemon_pid(ns).to_string()).join("task");
    let mut out = String::new();
    for t in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let p = t.path();
        let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
        out += &format!(
            "\n{}: {} {}\n{}",
            read("comm").trim(),
            read("wchan"),
            read("stat"),
            read("stack")
        );
    }
    out
}

const NOTES: &str = "[servers.notes]\nscope = \"session\"\ncommand = \"bash\"\n\
                     args = [\"-c\", \"exec -a mcp-server-notes sleep 100000\"]\n";

#[test]
fn a_restarted_daemon_keeps_the_helper_child_of_a_server_it_readopts() {
    // The server (the sticky stdio server, which outlives its stdin) runs a helper child.
    let script = format!(
        "sleep 100000 & exec {} {}",
        python(),
        fixture("mcp_server_sticky.py").display()
    );
    let ns = Ns::new(daemon_sandbox(&format!(
        "[servers.fs]\ncommand = \"sh\"\nargs = [\"-c\", {script:?}]\n"
    )));
    ns.ok(&["daemon", "start"]);
    let mut server = 0;
    assert!(
        wait_for(Duration::from_secs(20), || {
            let i = instances(&ns, "fs");
            server = i.first().and_then(|i| i.2).unwrap_or(0) as i32;
            i.len() == 1 && i[0].1 == "running" && server > 0
        }),
        "{:#}",
        status(&ns)
    );
    let helper = ns.find(|p| p.ppid == server && p.cmdline[0] == "sleep");
    assert!(
        wait_for(Duration::from_secs(10), || ns
            .find(|p| p.ppid == server && p.cmdline[0] == "sleep")
            .len()
            == 1),
        "{helper:?} {:#?}",
        ns.procs()
    );
    let helper = ns.find(|p| p.ppid == server && p.cmdline[0] == "sleep")[0];

    let first = daemon_pid(&ns);
    ns.kill(first, "KILL");
    assert!(wait_for(Duration::from_secs(10), || !ns.alive(first)));
    ns.ok(&["daemon", "start"]);
    assert!(
        wait_for(Duration::from_secs(20), || instances(&ns, "fs")
            == vec![(None, "running".to_string(), Some(server as i64))]),
        "not re-adopted: {:#}",
        status(&ns)
    );
    sweep_n(&ns, 3);
    assert!(ns.alive(server), "the re-adopted server was stopped");
    assert!(
        ns.alive(helper),
        "the re-adopted server's helper was stopped as a leftover; events: {:#?}",
        ns.events()
    );
    assert!(ns.events().is_empty(), "{:#?}", ns.events());
}

#[test]
fn a_session_closed_and_reopened_at_once_gets_its_servers() {
    let ns = Ns::new(daemon_sandbox(NOTES));
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    assert!(
        wait_for(Duration::from_secs(20), || named_in(
            &ns,
            "mcp-server-notes"
        )
        .len()
            == 2),
        "{:#}",
        status(&ns)
    );
    let mcpd = env!("CARGO_BIN_EXE_mcpd");
    for round in 0..3 {
        let before = named_in(&ns, "mcp-server-notes");
        ns.sh(&format!(
            "tmux -S {} kill-session -t =X; {} tm X -d",
            q(ns.sb.socket.display().to_string()),
            q(mcpd)
        ));
        let done = "session-closed \"X\": stopped";
        assert!(
            wait_for(Duration::from_secs(30), || ns
                .hook_log()
                .matches(&done)
                .count()
                > round),
            "round {round}: the hook did not finish: {}",
            ns.hook_log()
        );
        sweep_n(&ns, 3);
        // The old instance's stop reports back on its own time (the blocking pool): wait for it.
        let mut now = Vec::new();
        let mut x = Vec::new();
        let t0 = std::time::Instant::now();
        let settled = wait_for(Duration::from_secs(30), || {
            now = named_in(&ns, "mcp-server-notes");
            x = instances(&ns, "notes")
                .into_iter()
                .filter(|i| i.0.as_deref() == Some("X"))
                .collect();
            now.len() == 2
                && x.len() == 1
                && x[0].1 == "running"
                && x[0].2.is_some_and(|p| now.contains(&(p as i32)))
        });
        eprintln!("round {round}: settled after {:?}", t0.elapsed());
        assert!(
            settled,
            "round {round}: X has no server after close + reopen: before {before:?}, now {now:?}, \
             instances {x:?}\nhook.log: {}\ndaemon.log: {}",
            ns.hook_log(),
            std::fs::read_to_string(ns.sb.state.join("daemon.log")).unwrap_or_default()
                + &threads(&ns)
        );
    }
}

#[test]
fn a_session_name_with_a_backslash_gets_one_set_of_servers() {
    let ns = Ns::new(daemon_sandbox(NOTES));
    // The daemon runs first, as it does for a user: `tm` asks it for the session's servers, and its
    // sweep sees the session under tmux's name for it.
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", r"a\b"]);
    // Again, as a user coming back to the project does: the same session, not a second one.
    let again = ns.ok(&["tm", "-d", r"a\b"]);
    assert!(again.contains("existing session"), "{again}");
    assert!(
        wait_for(Duration::from_secs(20), || !named_in(
            &ns,
            "mcp-server-notes"
        )
        .is_empty()),
        "{:#}",
        status(&ns)
    );
    sweep_n(&ns, 3);
    let procs = named_in(&ns, "mcp-server-notes");
    let notes: Vec<_> = instances(&ns, "notes")
        .into_iter()
        .filter(|i| i.0.as_deref() != Some("keep"))
        .collect();
    assert!(
        procs.len() == 2 && notes.len() == 1,
        "processes {procs:?}, instances {notes:?}"
    );
    // Named as tmux names the session (tmux stores the backslash escaped).
    let listed = ns.tmux_ok(&["list-sessions", "-F", "#{session_name}"]);
    assert!(
        listed.lines().any(|l| Some(l) == notes[0].0.as_deref()),
        "{notes:?} {listed}"
    );
}

#[test]
fn with_the_daemon_down_the_hook_stops_a_session_servers_setsid_escapees() {
    // The session server leaves a helper behind in its own session (`setsid -f`): only its
    // MCPD_OWNER tag ties it to the session.
    let ns = Ns::new(daemon_sandbox(
        "[servers.notes]\nscope = \"session\"\ncommand = \"bash\"\n\
         args = [\"-c\", \"setsid -f bash -c 'exec -a notes-helper sleep 100000'; exec -a mcp-server-notes sleep 100000\"]\n",
    ));
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    assert!(
        wait_for(Duration::from_secs(20), || named_in(&ns, "notes-helper")
            .len()
            == 2
            && named_in(&ns, "mcp-server-notes").len() == 2),
        "{:#?}",
        ns.procs()
    );
    let x_server = instances(&ns, "notes")
        .into_iter()
        .find(|i| i.0.as_deref() == Some("X"))
        .and_then(|i| i.2)
        .unwrap() as i32;
    let daemon = daemon_pid(&ns);
    ns.kill(daemon, "KILL");
    assert!(wait_for(Duration::from_secs(10), || !ns.alive(daemon)));
    let helpers = named_in(&ns, "notes-helper");
    // The kernel reparents them once the daemon's last thread has exited.
    assert!(
        wait_for(Duration::from_secs(10), || helpers
            .iter()
            .all(|h| ns.parent(*h) == Some(1))),
        "{:#?}",
        ns.procs()
    );
    // Which helper is X's: its environment says so.
    let owner_of = |pid: i32| {
        std::fs::read(ns.proc_dir().join(pid.to_string()).join("environ"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .find_map(|v| v.strip_prefix(b"MCPD_OWNER=").map(text))
    };
    let x_helper = *helpers
        .iter()
        .find(|h| owner_of(**h).as_deref() == Some("session:X"))
        .unwrap();
    let keep_helper = *helpers.iter().find(|h| **h != x_helper).unwrap();

    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    let done = "session-closed \"X\": stopped";
    assert!(
        wait_for(Duration::from_secs(30), || ns.hook_log().contains(done)),
        "{}",
        ns.hook_log()
    );
    assert!(
        wait_for(Duration::from_secs(10), || !ns.alive(x_helper)
            && !ns.alive(x_server)),
        "X's server or its escapee survived the close: {}\n{:#?}",
        ns.hook_log(),
        ns.procs()
    );
    assert!(ns.alive(keep_helper), "keep's escapee was stopped");
    assert_eq!(named_in(&ns, "mcp-server-notes").len(), 1, "keep's server");
    let events = ns.events();
    assert!(
        events
            .iter()
            .any(|e| e["pid"] == x_helper && e["actor"] == "session-close"),
        "{events:#?}"
    );
}

/// `mcpd daemon stop` once failed about 1 run in 3 under load with "sent an unreadable answer: EOF"
/// though the daemon stopped: the daemon may close the connection as it exits. What counts is that
/// its process goes.
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

/// Issue 10, point 5: the daemon watches its tmux server (a pidfd on the server process and a cheap
/// session-list check every second), so what lost sessions leave behind does not wait for the next
/// sweep (here 1 h, so that only the watcher can pass). Hooks are not installed (the lost-hook case).
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

#[test]
fn a_closed_sessions_servers_stop_at_its_close_not_at_the_next_sweep() {
    // The daemon sweeps once an hour here: only the close's hook, asking for a sweep, can stop
    // the session's server now. Another session's server stays.
    let ns = Ns::new(Sandbox::with_config(&format!(
        "[daemon]\nsweep_interval = \"1h\"\nstop_grace = \"1s\"\n\n{NOTES}"
    )));
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    assert!(
        wait_for(Duration::from_secs(20), || named_in(
            &ns,
            "mcp-server-notes"
        )
        .len()
            == 2),
        "{:#}",
        status(&ns)
    );
    let x = instances(&ns, "notes")
        .into_iter()
        .find(|i| i.0.as_deref() == Some("X"))
        .and_then(|i| i.2)
        .expect("X's server") as i32;
    let keep: Vec<i32> = named_in(&ns, "mcp-server-notes")
        .into_iter()
        .filter(|p| *p != x)
        .collect();
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(
        wait_for(Duration::from_secs(20), || !ns.alive(x)),
        "X's server outlived its session: {:#}\nhook.log: {}",
        status(&ns),
        ns.hook_log()
    );
    assert_eq!(named_in(&ns, "mcp-server-notes"), keep);
    // Its instance goes once its stop has reported (just after the process is gone).
    assert!(
        wait_for(Duration::from_secs(20), || instances(&ns, "notes")
            .iter()
            .all(|i| i.0.as_deref() != Some("X"))),
        "{:#}",
        status(&ns)
    );
}
