//! The identity-safe stop against real processes: TERM-ignoring members, leaders that exit early,
//! recycled pids.

use std::process::{Command, Stdio};
use std::time::Duration;

use mcpd::procs::identity::current_start_ticks;

use crate::support::*;

/// How the stop of `pid` ended, from the journal (`term`, `kill`, `survived`); None when mcpd
/// never stopped it.
fn ending(sb: &Sandbox, pid: i32) -> Option<String> {
    let events = sb.json(&["events", "--json"]);
    events
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["pid"] == pid)
        .map(|e| e["ending"].as_str().unwrap().to_string())
}

/// Clock ticks since boot now, in the unit of process start times.
fn ticks_since_boot() -> u64 {
    let up = std::fs::read_to_string("/proc/uptime").unwrap();
    let secs: f64 = up.split_whitespace().next().unwrap().parse().unwrap();
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .unwrap()
        .unwrap();
    (secs * hz as f64) as u64
}

/// Writes a record file for `owner` (e.g. `session:x`) with the given (pid, pgid) entries.
fn write_records(sb: &Sandbox, owner: &str, procs: &[(i32, u64, i32)]) {
    use mcpd::model::{Identity, Origin, Owner, Record};
    use mcpd::state::Registry;
    let reg = Registry::open(&sb.state.join("records")).unwrap();
    let owner = Owner::parse(owner).unwrap();
    reg.add(
        procs
            .iter()
            .map(|(pid, start, pgid)| {
                let id = Identity {
                    pid: *pid,
                    start_ticks: *start,
                };
                Record::new(id, owner.clone(), Origin::Spawned)
                    .with_pgid(*pgid)
                    .with_command("test")
            })
            .collect(),
    )
    .unwrap();
}

/// Starts `script` with bash in a new session (its own process group); returns the leader's pid.
fn setsid_bash(sb: &Sandbox, script: &str) -> std::process::Child {
    let child = Command::new("setsid")
        .args(["bash", "-c", script, &format!("leader-{}", sb.marker)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    sb.track(child.id() as i32);
    child
}

#[test]
fn term_ignoring_member_is_killed_after_the_grace_though_its_leader_exits_at_once() {
    let sb = Sandbox::new(); // stop_grace = 1s
    let tag = format!("stubborn-{}", sb.marker);
    // The leader waits; its child ignores TERM and keeps running.
    let mut leader = setsid_bash(
        &sb,
        &format!("bash -c 'trap \"\" TERM; exec -a {tag} sleep 100000' & wait"),
    );
    assert!(wait_for(Duration::from_secs(5), || !named(&tag).is_empty()));
    let stubborn = named(&tag)[0];
    sb.track(stubborn);
    let lpid = leader.id() as i32;
    write_records(
        &sb,
        "session:stubborn",
        &[(lpid, current_start_ticks(lpid).unwrap(), lpid)],
    );

    let out = sb.ok(&["hook", "session-closed", "--foreground", "stubborn"]);
    leader.wait().unwrap(); // reap the leader (it is our child): it went at SIGTERM
    assert!(gone(stubborn), "the TERM-ignoring member survived: {out}");
    assert!(out.contains("stopped 2 process"), "{out}");
    // The journal says how each ended: the leader at SIGTERM, the member only at SIGKILL.
    assert_eq!(ending(&sb, lpid).as_deref(), Some("term"), "{out}");
    assert_eq!(ending(&sb, stubborn).as_deref(), Some("kill"), "{out}");
    // The session's records are dropped.
    assert!(!sb.state.join("records/session-stubborn.json").exists());
}

#[test]
fn a_group_whose_leader_just_exited_is_stopped_but_a_stale_record_never_reaches_a_group() {
    use mcpd::procs::{Identity, StopOptions, StopTarget, stop_trees};
    let sb = Sandbox::new();
    let tag = format!("left-behind-{}", sb.marker);
    let spawn = || {
        let mut leader = setsid_bash(
            &sb,
            &format!("(trap '' TERM; exec -a {tag} sleep 100000) & sleep 0.5"),
        );
        assert!(wait_for(Duration::from_secs(5), || named(&tag).len() == 1));
        let lpid = leader.id() as i32;
        let lstart = current_start_ticks(lpid).unwrap();
        leader.wait().unwrap(); // the leader is gone; its member lives on, reparented, in its group
        let member = named(&tag)[0];
        sb.track(member);
        (lpid, lstart, member)
    };

    // A record whose leader is long gone: its group number may be someone else's by now, so the
    // session close must not touch the group (the member here stands in for an unrelated daemon).
    let (lpid, lstart, member) = spawn();
    write_records(&sb, "session:gone-leader", &[(lpid, lstart, lpid)]);
    // The foreground close returns once whatever it stopped is gone: nothing to wait for after it.
    sb.ok(&["hook", "session-closed", "--foreground", "gone-leader"]);
    assert!(!gone(member), "a stale record's group was signalled");
    assert_eq!(
        ending(&sb, member),
        None,
        "a stale record's group was stopped"
    );
    assert!(
        !sb.state.join("records/session-gone-leader.json").exists(),
        "the stale record stayed"
    );

    // The daemon's case: it has just reaped its server, so what is left in the group is the
    // server's own, and is stopped although the leader has exited.
    let target = StopTarget {
        identity: Identity {
            pid: lpid,
            start_ticks: lstart,
        },
        pgid: Some(lpid),
        leader_exited: true,
    };
    let opts = StopOptions {
        grace: Duration::from_millis(300),
        ..StopOptions::default()
    };
    let out = stop_trees(&[target], &opts).unwrap();
    assert!(
        wait_for(Duration::from_secs(3), || gone(member)),
        "the group member survived: {out:?}"
    );
}

#[test]
fn cooperative_tree_stops_well_within_the_grace() {
    let sb = Sandbox::with_config("[daemon]\nstop_grace = \"5s\"\n");
    let tag = format!("coop-{}", sb.marker);
    let mut leader = setsid_bash(
        &sb,
        &format!("for i in 1 2 3; do (exec -a {tag} sleep 100000) & done; wait"),
    );
    assert!(wait_for(Duration::from_secs(5), || named(&tag).len() == 3));
    let kids = named(&tag);
    let lpid = leader.id() as i32;
    write_records(
        &sb,
        "session:coop",
        &[(lpid, current_start_ticks(lpid).unwrap(), lpid)],
    );
    sb.ok(&["hook", "session-closed", "--foreground", "coop"]);
    leader.wait().unwrap();
    assert!(kids.iter().all(|k| gone(*k)));
    // Every one exited at SIGTERM: none waited for the grace and SIGKILL.
    for k in kids.iter().chain([&lpid]) {
        assert_eq!(ending(&sb, *k).as_deref(), Some("term"), "pid {k}");
    }
}

/// Spawns `argv0`-named sleep as our child.
fn spawn_named(name: &str) -> std::process::Child {
    Command::new("bash")
        .args(["-c", &format!("exec -a '{name}' sleep 100000")])
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

/// Tries to give a new process exactly `pid` through /proc/sys/kernel/ns_last_pid.
fn respawn_at(pid: i32, name: &str) -> Option<std::process::Child> {
    for _ in 0..200 {
        if std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).is_err() {
            return None;
        }
        let mut c = spawn_named(name);
        if c.id() as i32 == pid {
            return Some(c);
        }
        c.kill().ok();
        c.wait().ok();
    }
    None
}

#[test]
fn a_recycled_pid_is_never_signalled() {
    let sb = Sandbox::new();
    let name = format!("mcp-server-recycled {}", sb.marker);
    let mut first = spawn_named(&name);
    let pid = first.id() as i32;
    assert!(wait_for(Duration::from_secs(5), || current_start_ticks(
        pid
    )
    .is_some()));
    let old_start = current_start_ticks(pid).unwrap();
    // The next process must start at a later clock tick than this one.
    assert!(wait_for(Duration::from_secs(5), || ticks_since_boot() > old_start));
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, recorded) = match respawn_at(pid, &name) {
        Some(c) => (c, (pid, old_start, pid)),
        None => {
            eprintln!(
                "note: /proc/sys/kernel/ns_last_pid is not writable here; faking the recycle with a record whose start time is off"
            );
            let c = spawn_named(&name);
            let p = c.id() as i32;
            (c, (p, current_start_ticks(p).unwrap() - 1, p))
        }
    };
    let spid = second.id() as i32;
    sb.track(spid);
    assert_eq!(spid, recorded.0);
    assert_ne!(current_start_ticks(spid).unwrap(), recorded.1);

    // The record says the session owned pid `spid`; the session closes; the new process must live.
    write_records(&sb, "session:recycled", &[recorded]);
    // The foreground close returns once whatever it stopped is gone: nothing to wait for after it.
    sb.ok(&["hook", "session-closed", "--foreground", "recycled"]);
    assert!(!gone(spid), "the recycled pid was signalled by the hook");
    assert_eq!(
        ending(&sb, spid),
        None,
        "the recycled pid was stopped by the hook"
    );

    // And clean drops the stale record without touching the process.
    write_records(&sb, "session:recycled", &[recorded]);
    let out = sb.json(&["clean", "--json", "--match", &sb.marker]);
    assert!(!gone(spid), "the recycled pid was signalled by clean");
    assert_eq!(out["dropped_records"], 1, "{out:#}");
    second.kill().unwrap();
    second.wait().unwrap();
}

#[test]
fn stop_trees_in_process_reports_endings() {
    use mcpd::procs::{Identity, StopOptions, StopTarget, stop::Ending, stop_trees};
    let sb = Sandbox::new();
    let tag = format!("lib-{}", sb.marker);
    let mut leader = setsid_bash(
        &sb,
        &format!(
            "(trap '' TERM; exec -a {tag}-stubborn sleep 100000) & (exec -a {tag}-soft sleep 100000) & wait"
        ),
    );
    let both = || named(&format!("{tag}-stubborn")).len() + named(&format!("{tag}-soft")).len();
    assert!(wait_for(Duration::from_secs(5), || both() == 2));
    let lpid = leader.id() as i32;
    let target = StopTarget {
        identity: Identity {
            pid: lpid,
            start_ticks: current_start_ticks(lpid).unwrap(),
        },
        pgid: Some(lpid),
        leader_exited: false,
    };
    let opts = StopOptions {
        grace: Duration::from_millis(300),
        ..StopOptions::default()
    };
    let out = stop_trees(&[target], &opts).unwrap();
    leader.wait().unwrap();
    let ending = |suffix: &str| {
        out.stopped
            .iter()
            .find(|s| s.command.starts_with(&format!("{tag}{suffix}")))
            .map(|s| s.ending)
    };
    assert_eq!(ending("-stubborn"), Some(Ending::Kill), "{out:?}");
    assert_eq!(ending("-soft"), Some(Ending::Term), "{out:?}");
    assert_eq!(out.survivors().count(), 0);
    assert_eq!(both(), 0);
}
