//! The supervisor's decisions under fake events and a fake clock: no process, no task, no timer.

use std::time::{Duration, Instant};

use super::*;
use crate::daemon::instance::{CRASH_LIMIT, Key};

fn ctx(now: Instant) -> Ctx {
    Ctx {
        now,
        policy: Some(RestartPolicy::OnFailure),
        shutting_down: false,
    }
}

fn inst() -> Instance {
    Instance::new(Key::new("fs", None))
}

fn spawn_token(w: &[Work]) -> u64 {
    w.iter()
        .find_map(|w| match w {
            Work::Spawn { token } => Some(*token),
            _ => None,
        })
        .expect("no spawn")
}

fn stop_token(w: &[Work]) -> u64 {
    w.iter()
        .find_map(|w| match w {
            Work::Stop { token, .. } => Some(*token),
            _ => None,
        })
        .expect("no stop")
}

fn timer(w: &[Work]) -> (u64, Duration) {
    w.iter()
        .find_map(|w| match w {
            Work::Timer { token, after } => Some((*token, *after)),
            _ => None,
        })
        .expect("no timer")
}

/// Starts `i` and lets its spawn answer with `pid`.
fn running(i: &mut Instance, pid: i32, c: &Ctx) {
    let t = spawn_token(&step(i, Input::Start, c));
    assert!(matches!(i.state, State::Starting { .. }));
    let w = step(
        i,
        Input::Spawned {
            token: t,
            pid,
            start_ticks: 7,
        },
        c,
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(i.pid(), Some(pid));
}

fn exit(i: &mut Instance, pid: i32, kind: ExitKind, c: &Ctx) -> Vec<Work> {
    let w = step(
        i,
        Input::Exited {
            pid,
            kind,
            desc: match kind {
                ExitKind::Clean => "exit 0".into(),
                _ => "exit 3".into(),
            },
        },
        c,
    );
    let t = stop_token(&w);
    // The leftovers of its group are stopped before anything is decided.
    assert_eq!(i.state.word(), "stopping");
    step(
        i,
        Input::StopDone {
            token: t,
            session_gone: false,
            last_log: vec!["boom".into()],
        },
        c,
    )
}

#[test]
fn a_stop_is_work_and_the_instance_is_stopping_until_it_reports() {
    let now = Instant::now();
    let c = ctx(now);
    let mut i = inst();
    running(&mut i, 10, &c);
    let w = step(
        &mut i,
        Input::Stop {
            why: "stopped on request".into(),
            next: Next::Stopped,
        },
        &c,
    );
    assert_eq!(w[0], Work::Detach, "stdin is closed first: {w:?}");
    let t = stop_token(&w);
    assert!(matches!(
        w.iter().find(|w| matches!(w, Work::Stop { .. })),
        Some(Work::Stop {
            pid: 10,
            leader_exited: true,
            after_exit: false,
            ..
        })
    ));
    assert_eq!(i.state.word(), "stopping");
    // The process is reaped while the stop still waits for the rest of its tree.
    step(
        &mut i,
        Input::Exited {
            pid: 10,
            kind: ExitKind::Crash,
            desc: "killed by SIGTERM".into(),
        },
        &c,
    );
    assert_eq!(i.state.word(), "stopping");
    assert_eq!(i.pid(), None);
    // A stale report changes nothing; the right one ends the stop.
    assert!(
        step(
            &mut i,
            Input::StopDone {
                token: t + 1000,
                session_gone: false,
                last_log: vec![]
            },
            &c
        )
        .is_empty()
    );
    assert_eq!(i.state.word(), "stopping");
    step(
        &mut i,
        Input::StopDone {
            token: t,
            session_gone: false,
            last_log: vec![],
        },
        &c,
    );
    assert_eq!(i.state, State::Stopped);
    assert!(i.failures.is_empty(), "a requested stop is no failure");
}

#[test]
fn restart_starts_only_after_the_old_tree_is_gone() {
    let c = ctx(Instant::now());
    let mut i = inst();
    running(&mut i, 10, &c);
    let w = step(
        &mut i,
        Input::Stop {
            why: "restarting on request".into(),
            next: Next::Start,
        },
        &c,
    );
    assert!(!w.iter().any(|w| matches!(w, Work::Spawn { .. })));
    assert!(
        w.iter().any(|w| matches!(w, Work::Tell { hold: true, .. })),
        "clients wait for the new process: {w:?}"
    );
    let w = step(
        &mut i,
        Input::StopDone {
            token: stop_token(&w),
            session_gone: false,
            last_log: vec![],
        },
        &c,
    );
    spawn_token(&w);
    assert_eq!(i.state.word(), "starting");
}

#[test]
fn a_clean_exit_is_not_a_crash_and_on_failure_does_not_restart_it() {
    let c = ctx(Instant::now());
    let mut i = inst();
    running(&mut i, 10, &c);
    let w = exit(&mut i, 10, ExitKind::Clean, &c);
    assert_eq!(i.state, State::Exited);
    assert!(i.failures.is_empty());
    assert!(!w.iter().any(|w| matches!(w, Work::Timer { .. })));
    assert_eq!(i.last_exit.as_deref(), Some("exit 0"));
}

#[test]
fn crashes_back_off_on_the_fake_clock_then_end_in_a_crash_loop() {
    let t0 = Instant::now();
    let mut i = inst();
    let mut delays = Vec::new();
    let mut now = t0;
    running(&mut i, 100, &ctx(now));
    for n in 0..CRASH_LIMIT {
        let pid = 100 + n as i32;
        let w = exit(&mut i, pid, ExitKind::Crash, &ctx(now));
        if n + 1 == CRASH_LIMIT {
            assert!(matches!(i.state, State::Failed { .. }), "{:?}", i.state);
            assert_eq!(i.last_log, vec!["boom".to_string()]);
            break;
        }
        let (t, after) = timer(&w);
        assert_eq!(i.state.word(), "backoff");
        delays.push(after.as_secs());
        // A timer of an earlier backoff does nothing.
        assert!(step(&mut i, Input::RestartDue { token: t + 1000 }, &ctx(now)).is_empty());
        now += after;
        let st = spawn_token(&step(&mut i, Input::RestartDue { token: t }, &ctx(now)));
        step(
            &mut i,
            Input::Spawned {
                token: st,
                pid: pid + 1,
                start_ticks: 1,
            },
            &ctx(now),
        );
        assert_eq!(i.pid(), Some(pid + 1));
    }
    assert_eq!(delays, vec![1, 2, 4, 8]);
    assert_eq!(i.restarts, 4);
}

#[test]
fn an_unknown_status_is_never_counted_as_a_failure() {
    let c = ctx(Instant::now());
    let mut i = inst();
    for n in 0..10 {
        running(&mut i, 10 + n, &c);
        exit(&mut i, 10 + n, ExitKind::Unknown, &c);
        assert_eq!(i.state, State::Exited);
    }
    assert!(i.failures.is_empty());
}

#[test]
fn a_stop_asked_while_it_spawns_stops_what_the_spawn_brings() {
    let c = ctx(Instant::now());
    let mut i = inst();
    let t = spawn_token(&step(&mut i, Input::Start, &c));
    let w = step(
        &mut i,
        Input::Stop {
            why: "its client disconnected".into(),
            next: Next::Forget,
        },
        &c,
    );
    assert!(!w.iter().any(|w| matches!(w, Work::Stop { .. })));
    let w = step(
        &mut i,
        Input::Spawned {
            token: t,
            pid: 42,
            start_ticks: 1,
        },
        &c,
    );
    let s = stop_token(&w);
    let w = step(
        &mut i,
        Input::StopDone {
            token: s,
            session_gone: false,
            last_log: vec![],
        },
        &c,
    );
    assert_eq!(w, vec![Work::Forget]);
}

#[test]
fn a_late_spawn_answer_is_stopped_not_adopted() {
    let c = ctx(Instant::now());
    let mut i = inst();
    running(&mut i, 10, &c);
    let w = step(
        &mut i,
        Input::Spawned {
            token: 999_999_999,
            pid: 77,
            start_ticks: 1,
        },
        &c,
    );
    assert!(
        matches!(w.as_slice(), [Work::Stop { pid: 77, .. }]),
        "{w:?}"
    );
    assert_eq!(i.pid(), Some(10));
}

#[test]
fn a_failed_spawn_is_failed_with_its_reason() {
    let c = ctx(Instant::now());
    let mut i = inst();
    let t = spawn_token(&step(&mut i, Input::Start, &c));
    step(
        &mut i,
        Input::SpawnFailed {
            token: t,
            error: "cannot start server fs (nope)".into(),
        },
        &c,
    );
    assert_eq!(
        i.state,
        State::Failed {
            reason: "cannot start server fs (nope)".into()
        }
    );
}

#[test]
fn a_session_gone_or_shutdown_means_stopped_not_restarted() {
    let c = ctx(Instant::now());
    let mut i = inst();
    running(&mut i, 10, &c);
    let w = step(
        &mut i,
        Input::Exited {
            pid: 10,
            kind: ExitKind::Crash,
            desc: "exit 1".into(),
        },
        &c,
    );
    step(
        &mut i,
        Input::StopDone {
            token: stop_token(&w),
            session_gone: true,
            last_log: vec![],
        },
        &c,
    );
    assert_eq!(i.state, State::Stopped);
    let down = Ctx {
        shutting_down: true,
        ..c
    };
    assert!(step(&mut i, Input::Start, &down).is_empty());
    assert_eq!(i.state, State::Stopped);
}
