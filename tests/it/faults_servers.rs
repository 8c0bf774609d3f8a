//! Issue 15, the fault matrix: servers that fight their stop. Each is a session server (small shell
//! programs the test writes), running in two sessions; one session is closed, and everything its
//! server became (forks, escapees, respawned children) must go, while the other session's copy, an
//! innocent job and a live agent's server stay, every stop is journaled and no record is left.

use std::time::Duration;

use crate::faults::*;
use crate::support::*;

/// Runs `script` as session server `bad` in sessions keep and X, waits until each has at least
/// `min` processes tagged for it, closes X and checks the four promises.
fn close_with(script: &str, min: usize) {
    let ns = daemon_ns(&server("bad", "session", script));
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    let x_server = running(&ns, "bad", Some("X"));
    let keep_server = running(&ns, "bad", Some("keep"));
    assert!(
        wait_for(Duration::from_secs(60), || owned_by(&ns, "session:X").len()
            >= min
            && owned_by(&ns, "session:keep").len() >= min),
        "the servers did not start their trees: {:#?}",
        ns.procs()
    );
    let x_tree = owned_by(&ns, "session:X");
    let keep_tree = owned_by(&ns, "session:keep");
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    let mut left = Vec::new();
    assert!(
        wait_for(Duration::from_secs(60), || {
            left = owned_by(&ns, "session:X");
            left.is_empty()
        }),
        "X's server left {} process(es) behind: {left:?}\nhook.log: {}\nevents: {:#?}",
        left.len(),
        ns.hook_log(),
        ns.events()
    );
    let gone_keep: Vec<i32> = keep_tree
        .iter()
        .copied()
        .filter(|p| !ns.alive(*p))
        .collect();
    assert!(
        gone_keep.is_empty(),
        "keep's tree lost {gone_keep:?} at X's close; events: {:#?}",
        ns.events()
    );
    assert!(ns.alive(keep_server));
    // The stop journals its endings after it has seen the tree gone: wait for that line.
    let mut j = Vec::new();
    wait_for(Duration::from_secs(30), || {
        j = journaled(&ns);
        x_tree
            .iter()
            .chain([&x_server])
            .all(|p| j.contains(&(*p as i64)))
    });
    assert!(
        j.contains(&(x_server as i64)),
        "X's server (pid {x_server}) is not in the journal: {:#?}",
        ns.events()
    );
    let unjournaled = x_tree.iter().filter(|p| !j.contains(&(**p as i64))).count();
    assert!(
        unjournaled == 0,
        "{unjournaled} of X's {} processes were not journaled: {:#?}",
        x_tree.len(),
        ns.events()
    );
    assert!(
        wait_for(Duration::from_secs(30), || !records(&ns)
            .iter()
            .any(|r| r.0 == "session:X")),
        "X's records stay: {:?}",
        records(&ns)
    );
    assert!(records(&ns).contains(&("session:keep".to_string(), keep_server)));
    by.alive(&ns);
}

#[test]
fn a_server_that_ignores_term_is_killed_at_its_session_close() {
    close_with(
        "trap '' TERM; sleep 100000 & exec bash -c 'exec -a mcp-server-bad sleep 100000'",
        2,
    );
}

#[test]
fn a_server_that_double_forks_and_calls_setsid_is_stopped_with_its_escapee() {
    close_with(
        "setsid -f sh -c 'setsid -f bash -c \"exec -a mcp-server-ghost sleep 100000\"'; \
         exec bash -c 'exec -a mcp-server-bad sleep 100000'",
        2,
    );
}

#[test]
fn a_server_with_200_children_is_stopped_whole() {
    close_with(
        "for i in $(seq 200); do sleep 100000 & done; exec bash -c 'exec -a mcp-server-bad sleep 100000'",
        201,
    );
}

#[test]
fn a_server_that_respawns_its_children_is_stopped_whole() {
    // Ignores TERM, and starts a new child (in its own session) whenever one dies.
    close_with(
        "trap '' TERM; while :; do setsid bash -c 'exec -a mcp-child sleep 100000' & wait; done",
        2,
    );
}

#[test]
fn a_pane_server_that_ignores_hup_is_stopped_at_its_session_close() {
    let ns = daemon_ns("");
    let by = Bystanders::start(&ns);
    ns.ok(&["daemon", "start"]);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    for s in ["keep", "X"] {
        ns.tmux_ok(&[
            "new-window",
            "-d",
            "-t",
            &format!("={s}:"),
            &format!("bash -c 'trap \"\" HUP; exec -a mcp-server-hup-{s} sleep 100000'"),
        ]);
    }
    let mut pids = (0, 0);
    assert!(
        wait_for(Duration::from_secs(30), || {
            let (k, x) = (
                named_in(&ns, "mcp-server-hup-keep"),
                named_in(&ns, "mcp-server-hup-X"),
            );
            if let ([k], [x]) = (&k[..], &x[..]) {
                pids = (*k, *x);
            }
            pids.0 > 0 && ns.ignores_hup(pids.0) && ns.ignores_hup(pids.1)
        }),
        "{:#?}",
        ns.procs()
    );
    let (keep, x) = pids;
    // Adopted by a sweep: recorded for their sessions.
    assert!(
        wait_for(Duration::from_secs(30), || {
            let r = records(&ns);
            r.contains(&("session:X".to_string(), x))
                && r.contains(&("session:keep".to_string(), keep))
        }),
        "not adopted: {:?}",
        records(&ns)
    );
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(x)),
        "the HUP-ignoring server outlived its session: {}",
        ns.hook_log()
    );
    assert!(ns.alive(keep), "keep's server was stopped");
    // Journaled by the stop once it has seen the process gone: wait for the line.
    assert!(
        wait_for(Duration::from_secs(30), || journaled(&ns)
            .contains(&(x as i64))),
        "{:#?}",
        ns.events()
    );
    assert!(
        wait_for(Duration::from_secs(30), || records(&ns)
            == vec![("session:keep".to_string(), keep)]),
        "{:?}",
        records(&ns)
    );
    by.alive(&ns);
}
