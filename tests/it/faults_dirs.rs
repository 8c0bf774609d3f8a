//! Issue 15, the fault matrix: a state dir deleted or read-only under a running daemon, and a pane
//! process hopping pids. They use the helpers of faults.rs.

use std::time::Duration;

use crate::faults::*;
use crate::pidns::*;
use crate::support::*;

/// After `rm -rf` of the state dir under a running daemon (runtime dir elsewhere), the daemon goes on,
/// later starts are recorded, and the records of the servers it still runs (a global server and a
/// session server) are written again: no process is left unrecorded, and one daemon runs.
#[test]
fn deleted_state_dir_is_recreated_and_never_gives_two_daemons() {
    let ns = daemon_ns(&format!(
        "{}{}{}start = \"on-connect\"\n",
        server("g", "global", &sleeper("mcp-server-g")),
        server("notes", "session", &sleeper("mcp-server-notes")),
        server("late", "global", &sleeper("mcp-server-late")),
    ));
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    let g = running(&ns, "g", None);
    let keep = running(&ns, "notes", Some("keep"));
    let x = running(&ns, "notes", Some("X"));
    let daemon = daemon_pid(&ns).unwrap();
    ns.sh(&format!("rm -rf {}", q(ns.sb.state.display().to_string())));
    // Either the daemon goes on (and writes its state again) or it exits cleanly; never two.
    let _ = ns.run(&["daemon", "start"]);
    let _ = ns.run(&["status"]);
    let daemons = ns.find(|p| p.command().contains("daemon run"));
    assert!(daemons.len() <= 1, "two daemons: {daemons:?}");
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(x)),
        "X's server survived its session after the state dir was deleted"
    );
    if ns.alive(daemon) {
        // It goes on: later starts work and are recorded, and so are the servers it still runs.
        ns.ok(&["start", "late"]);
        let late = running(&ns, "late", None);
        sweep_n(&ns, 2);
        let recs = records(&ns);
        for r in [
            ("global:g".to_string(), g),
            ("session:keep".to_string(), keep),
            ("global:late".to_string(), late),
        ] {
            assert!(recs.contains(&r), "{r:?} not recorded: {recs:?}");
        }
        assert!(ns.alive(g) && ns.alive(keep));
    } else {
        // It exited: a new one takes its servers back or stops them, and runs each once.
        ns.ok(&["daemon", "start"]);
        let g2 = running(&ns, "g", None);
        assert_eq!(named_in(&ns, "mcp-server-g"), vec![g2]);
    }
    assert!(ns.find(|p| p.command().contains("daemon run")).len() <= 1);
    by.alive(&ns);
}

/// With the state dir read-only, a session's close stops its server, and `status --json` says that
/// records cannot be removed nor stops journaled (a failed `mcpd start` shows as that server's
/// `last_exit`; faults_state.rs covers that one).
#[test]
fn a_read_only_state_dir_is_reported_by_status() {
    let ns = daemon_ns(&server("notes", "session", &sleeper("mcp-server-notes")));
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    let keep = running(&ns, "notes", Some("keep"));
    let x = running(&ns, "notes", Some("X"));
    let state = q(ns.sb.state.display().to_string());
    ns.sh(&format!(
        "mount --bind {state} {state} && mount -o remount,bind,ro {state}"
    ));
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(wait_for(Duration::from_secs(30), || !ns.alive(x)));
    sweep_n(&ns, 2);
    let st = status(&ns).to_string();
    assert!(
        st.contains("Read-only") || st.contains("read-only"),
        "the stop of X's server (pid {x}) could not be recorded, and `status --json` does not say \
         so: {st}"
    );
    assert!(ns.alive(keep));
}

/// X's hopper (an agent's MCP-like child in a pane that forks, exits and calls setsid every 50 ms)
/// is stopped after X's close (without mcpd it survives the close) and its stop is journaled, or, if
/// it escapes, it is listed as an orphan; keep's hopper is never stopped.
///
/// Who stops it is not fixed: the close's pass lists /proc, then reads the environment of each
/// process outside the panes; a hopper that hops in between is gone when its environment is read
/// (no tags) and its child was born after the listing, so the pass sees no candidate, stops nothing
/// and makes no extra pass. The daemon's next sweep then stops it ("its tmux session $N is gone").
/// Either way the stop is journaled: every hopper generation ends at its own hop or at a signal
/// through a pidfd of a stop that pinned it, and a stop journals every process it pinned.
#[test]
fn a_pid_hopping_process_an_agent_started_in_a_pane_is_caught_or_reported() {
    // An MCP-like python program an agent started in a pane (no MCPD_OWNER: only its TMUX tag says
    // where it came from) that ignores SIGHUP and forks, exits and calls setsid every 50 ms.
    let ns = daemon_ns("");
    let script = ns.sb.path().join("mcp_server_hop.py");
    std::fs::write(
        &script,
        "import os, signal, time\nsignal.signal(signal.SIGHUP, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.05)\n    if os.fork():\n        os._exit(0)\n    os.setsid()\n",
    )
    .unwrap();
    let by = Bystanders::start(&ns);
    ns.ok(&["daemon", "start"]);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    // The pane's process is the agent; the hopper is its child, as an agent's server is.
    let run = format!(
        "sh -c {}",
        q(format!(
            "{} {} & exec bash -c 'exec -a agent sleep 100000'",
            q(python()),
            q(script.display().to_string())
        ))
    );
    for s in ["keep", "X"] {
        ns.tmux_ok(&["new-window", "-d", "-t", &format!("={s}:"), &run]);
    }
    let hoppers = |session: &str| -> Vec<i32> {
        ns.find(|p| p.command().contains("mcp_server_hop.py"))
            .into_iter()
            .filter(|p| {
                // Hopped at least once (its own session), so past the line that ignores SIGHUP.
                // Before its first hop it is in the pane's foreground process group: at the close
                // the pane's agent, the terminal's session leader, exits and the kernel sends that
                // group SIGHUP; a python still starting up dies of it before mcpd can name it, and
                // nothing journals a death mcpd did not cause (seen with ftrace: signal_generate
                // sig=1 code=SI_KERNEL from the exiting `sleep`, in half the runs that waited only
                // for the command line to appear).
                own_session(&ns, *p)
                    && env_of(&ns, *p, "TMUX").is_some_and(|t| {
                        let id = ns.tmux_ok(&[
                            "display-message",
                            "-p",
                            "-t",
                            &format!("={session}:"),
                            "#{session_id}",
                        ]);
                        t.ends_with(&format!(",{}", id.trim().trim_start_matches('$')))
                    })
            })
            .collect()
    };
    assert!(
        wait_for(Duration::from_secs(30), || !hoppers("keep").is_empty()
            && !hoppers("X").is_empty()),
        "{:#?}",
        ns.procs()
    );
    let x_id = ns.tmux_ok(&["display-message", "-p", "-t", "=X:", "#{session_id}"]);
    let x_tag = format!(",{}", x_id.trim().trim_start_matches('$'));
    let of_x = || -> Vec<i32> {
        ns.find(|p| p.command().contains("mcp_server_hop.py"))
            .into_iter()
            // A hopper that hops while it is looked at has no environment to read: it counts as
            // X's unless it is known to be keep's.
            .filter(|p| env_of(&ns, *p, "TMUX").is_none_or(|t| t.ends_with(&x_tag)))
            .collect()
    };
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    let caught = gone_for_good(Duration::from_secs(30), &of_x);
    eprintln!(
        "the hopper was {}",
        if caught { "caught" } else { "reported" }
    );
    if caught {
        let journaled_hop = || {
            ns.events().iter().any(|e| {
                let hop = e["command"]
                    .as_str()
                    .is_some_and(|c| c.contains("mcp_server_hop.py"));
                if hop {
                    eprintln!("journaled by {}", e["actor"]);
                }
                hop
            })
        };
        assert!(
            wait_for(Duration::from_secs(30), journaled_hop),
            "the hopper went, but no stop of it is journaled: {:#?}\nhook.log: {}",
            ns.events(),
            ns.hook_log()
        );
    } else {
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
        !hoppers("keep").is_empty(),
        "keep's hopper was stopped; events: {:#?}",
        ns.events()
    );
    by.alive(&ns);
}

/// True when namespace process `pid` leads its own session (from /proc/PID/stat).
fn own_session(ns: &Ns, pid: i32) -> bool {
    std::fs::read_to_string(ns.proc_dir().join(pid.to_string()).join("stat"))
        .ok()
        .and_then(|s| {
            Some(
                s.rsplit_once(')')?
                    .1
                    .split_whitespace()
                    .nth(3)?
                    .parse::<i32>()
                    .ok()?
                    == pid,
            )
        })
        .unwrap_or(false)
}
