//! Issue 15, the fault matrix: sessions closed at bad moments (while their servers start; fifty at
//! once), a recorded pid recycled by another process, and a process that hops pids (fork, exit,
//! setsid in a loop) to escape its session's close.

use std::time::Duration;

use crate::faults::*;
use crate::pidns::*;
use crate::support::*;

/// A session server that takes a moment to become what it will be (as `npx` does).
fn slow_notes() -> String {
    server(
        "notes",
        "session",
        "sleep 0.3; exec bash -c 'exec -a mcp-server-notes sleep 100000'",
    )
}

#[test]
fn a_session_closed_while_its_servers_start_leaves_nothing() {
    let ns = daemon_ns(&slow_notes());
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "keep"]);
    let keep = running(&ns, "notes", Some("keep"));
    let mcpd = q(env!("CARGO_BIN_EXE_mcpd"));
    let sock = q(ns.sb.socket.display().to_string());
    // The close comes right after `tm` asked the daemon for the servers, at a different moment of
    // their start each round.
    for (round, pause) in ["", "sleep 0.1;", "sleep 0.4;"].iter().enumerate() {
        let name = format!("X{round}");
        ns.sh(&format!(
            "{mcpd} tm -d {name} >/dev/null; {pause} tmux -S {sock} kill-session -t ={name}"
        ));
        let owner = format!("session:{name}");
        assert!(
            wait_for(Duration::from_secs(30), || owned_by(&ns, &owner).is_empty()
                && !instances(&ns, "notes").iter().any(|i| i.0.as_deref()
                    == Some(name.as_str())
                    && i.2.is_some())),
            "round {round}: {name}'s server outlived it: {:?}; {:#}",
            owned_by(&ns, &owner),
            status(&ns)
        );
        assert!(
            wait_for(Duration::from_secs(30), || !records(&ns)
                .iter()
                .any(|r| r.0 == owner)),
            "round {round}: records stay: {:?}",
            records(&ns)
        );
    }
    sweep_n(&ns, 2);
    assert_eq!(named_in(&ns, "mcp-server-notes"), vec![keep]);
    assert_eq!(running(&ns, "notes", Some("keep")), keep);
    by.alive(&ns);
}

#[test]
fn fifty_sessions_closed_at_once_leak_nothing() {
    let ns = daemon_ns(&server("notes", "session", &sleeper("mcp-server-notes")));
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "keep"]);
    let names: Vec<String> = (0..50).map(|i| format!("s{i}")).collect();
    let sock = q(ns.sb.socket.display().to_string());
    for n in &names {
        ns.tmux_ok(&["new-session", "-d", "-s", n]);
    }
    assert!(
        wait_for(Duration::from_secs(120), || named_in(
            &ns,
            "mcp-server-notes"
        )
        .len()
            == 51),
        "not every session got its server: {:#}",
        status(&ns)
    );
    let keep = running(&ns, "notes", Some("keep"));
    let doomed: Vec<i32> = named_in(&ns, "mcp-server-notes")
        .into_iter()
        .filter(|p| *p != keep)
        .collect();
    let kills: String = names
        .iter()
        .map(|n| format!("tmux -S {sock} kill-session -t ={n} & "))
        .collect();
    ns.sh(&format!("{kills} wait"));
    let mut left = Vec::new();
    assert!(
        wait_for(Duration::from_secs(120), || {
            left = doomed.iter().copied().filter(|p| ns.alive(*p)).collect();
            left.is_empty()
        }),
        "{} server(s) leaked: {left:?}\nhook.log: {}",
        left.len(),
        ns.hook_log()
    );
    assert!(ns.alive(keep), "keep's server was stopped");
    // The stops journal their endings after they have seen their trees gone: wait for the lines.
    let mut j = Vec::new();
    wait_for(Duration::from_secs(60), || {
        j = journaled(&ns);
        doomed.iter().all(|p| j.contains(&(*p as i64)))
    });
    let missing: Vec<&i32> = doomed
        .iter()
        .filter(|p| !j.contains(&(**p as i64)))
        .collect();
    assert!(missing.is_empty(), "stops not journaled: {missing:?}");
    assert!(
        wait_for(Duration::from_secs(60), || records(&ns)
            == vec![("session:keep".to_string(), keep)]),
        "records: {:?}",
        records(&ns)
    );
    sweep_n(&ns, 2);
    assert_eq!(named_in(&ns, "mcp-server-notes"), vec![keep]);
    by.alive(&ns);
}

#[test]
fn a_recycled_pid_is_never_stopped() {
    let ns = daemon_ns(&server("notes", "session", &sleeper("mcp-server-notes")));
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    let x = running(&ns, "notes", Some("X"));
    assert!(records(&ns).contains(&("session:X".to_string(), x)));
    // The daemon dies, then X's server; its record stays behind, naming pid x.
    let daemon = daemon_pid(&ns).unwrap();
    ns.kill(daemon, "KILL");
    daemon_died(&ns, daemon);
    ns.kill(x, "KILL");
    assert!(wait_for(Duration::from_secs(10), || !ns.alive(x)));
    // Another process gets pid x (the namespace's pid counter is set back: a real reuse).
    let mut innocent = 0;
    for _ in 0..20 {
        let out = ns.sh(&format!(
            "echo {} > /proc/sys/kernel/ns_last_pid; \
             bash -c 'exec -a innocent-recycled sleep 100000' </dev/null >/dev/null 2>&1 & echo $!",
            x - 1
        ));
        innocent = out.trim().parse().unwrap();
        if innocent == x {
            break;
        }
        ns.kill(innocent, "KILL");
    }
    assert_eq!(innocent, x, "could not recycle pid {x}");
    assert!(records(&ns).contains(&("session:X".to_string(), x)));
    // Every path that acts on records: the session's close, a clean, a restarted daemon's sweeps.
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(
        wait_for(Duration::from_secs(30), || ns
            .hook_log()
            .contains("session-closed \"X\"")),
        "{}",
        ns.hook_log()
    );
    let clean = ns.json(&["clean", "--json"]);
    ns.ok(&["daemon", "start"]);
    sweep_n(&ns, 3);
    assert!(
        ns.alive(innocent),
        "the process that reused pid {x} was stopped; clean: {clean:#}; events: {:#?}",
        ns.events()
    );
    assert!(!journaled(&ns).contains(&(x as i64)), "{:#?}", ns.events());
    assert!(
        !records(&ns).iter().any(|r| r.0 == "session:X"),
        "the stale record stays: {:?}",
        records(&ns)
    );
    by.alive(&ns);
}

#[test]
fn a_pid_hopping_server_is_caught_or_reported() {
    // fork, exit, setsid, in a loop: a new pid and a new session every 50 ms.
    let hop = "while :; do sleep 0.05; setsid -f sh -c \"$0\" \"$0\"; exit; done";
    let ns = daemon_ns(&format!(
        "{}{}",
        server("notes", "session", &sleeper("mcp-server-notes")),
        // The server stays; a child of it hops away.
        server(
            "hopper",
            "session",
            &format!("sh -c '{hop}' '{hop}' & {}", sleeper("mcp-server-hopper"))
        ),
    ));
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    let keep = running(&ns, "notes", Some("keep"));
    let x_notes = running(&ns, "notes", Some("X"));
    let x_hopper = running(&ns, "hopper", Some("X"));
    assert!(
        wait_for(Duration::from_secs(30), || owned_by(&ns, "session:X")
            .iter()
            .any(|p| ![x_notes, x_hopper].contains(p))),
        "the hopper does not run: {:#?}",
        ns.procs()
    );
    // X's hoppers, and any hopper caught mid-hop (its environment unreadable): only keep's are
    // known not to be X's.
    let of_x = || -> Vec<i32> {
        ns.find(|p| p.command().contains("setsid -f sh"))
            .into_iter()
            .filter(|p| env_of(&ns, *p, "MCPD_OWNER").as_deref() != Some("session:keep"))
            .collect()
    };
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    let caught = gone_for_good(Duration::from_secs(30), &of_x);
    eprintln!(
        "the hopper was {}",
        if caught { "caught" } else { "reported" }
    );
    if caught {
        // Journaled once the stop is over (the rest of the tree may take the grace).
        let journaled_hop = || {
            ns.events().iter().any(|e| {
                e["command"]
                    .as_str()
                    .is_some_and(|c| c.contains("setsid -f sh"))
            })
        };
        assert!(
            wait_for(Duration::from_secs(30), journaled_hop),
            "the hopper went, but no stop of it is journaled: {:#?}\nhook.log: {}",
            ns.events(),
            ns.hook_log()
        );
    } else {
        // Reported: `ps --orphans` names what is left of the closed session.
        let ps = ns.json(&["ps", "--orphans", "--json"]);
        let left = of_x();
        let listed = ps
            .as_array()
            .unwrap()
            .iter()
            .any(|r| left.contains(&(r["pid"].as_i64().unwrap_or(0) as i32)));
        assert!(
            listed,
            "the hopper escaped the close ({left:?}) and nothing reports it: {ps:#}"
        );
    }
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(x_notes)
            && !ns.alive(x_hopper)),
        "X's servers survived"
    );
    assert!(ns.alive(keep), "keep's server was stopped");
    assert!(
        !owned_by(&ns, "session:keep").is_empty()
            && owned_by(&ns, "session:keep")
                .iter()
                .any(|p| env_of(&ns, *p, "MCPD_SERVER").as_deref() == Some("hopper")),
        "keep's hopper was stopped"
    );
    by.alive(&ns);
}
