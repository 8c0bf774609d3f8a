//! The supervisor's decisions for one instance, pure: an input (a start or stop asked for, a spawn
//! or a stop that reported back, an exit, a timer) and the time become a new [`State`] plus the
//! [`Work`] to do. Nothing here touches the operating system or waits: the shell (`lifecycle.rs`)
//! runs each piece of work as its own task and feeds its answer back in as another input.

use std::time::{Duration, Instant};

use crate::config::RestartPolicy;
use crate::daemon::instance::{
    AfterExit, CRASH_WINDOW, ExitKind, Instance, Next, State, after_exit, token,
};

/// What the decision may depend on besides the instance.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub now: Instant,
    /// The server's restart policy (None: it is no longer in the config).
    pub policy: Option<RestartPolicy>,
    /// The daemon is stopping: nothing starts any more.
    pub shutting_down: bool,
}

/// What happened to an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start it (a request, a client's request, an eager server).
    Start,
    /// A spawn reported its process.
    Spawned {
        token: u64,
        pid: i32,
        start_ticks: u64,
    },
    /// A spawn failed (exec, cwd, registry).
    SpawnFailed { token: u64, error: String },
    /// Stop it; `next` says what it becomes then.
    Stop { why: String, next: Next },
    /// Its process ended (the reaper's status, or a sweep found a re-adopted one gone).
    Exited {
        pid: i32,
        kind: ExitKind,
        desc: String,
    },
    /// A stop reported back: the tree is gone. `session_gone`: its tmux session no longer exists;
    /// `last_log`: the tail of its log (read by the stop task, for a crash loop).
    StopDone {
        token: u64,
        session_gone: bool,
        last_log: Vec<String>,
    },
    /// A restart timer fired.
    RestartDue { token: u64 },
}

/// Work for the shell; every piece that reports back carries its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Spawn the server on the blocking pool; answers `Spawned` or `SpawnFailed`.
    Spawn { token: u64 },
    /// Close the server's stdin (the MCP stdio shutdown's first step).
    Detach,
    /// Stop the tree of `pid` (its group, what is tagged as this server's) and drop its record;
    /// answers `StopDone`. `leader_exited`: the leader was just reaped (its group is still its own).
    /// `after_exit`: also ask whether its tmux session is gone and read its log's tail.
    Stop {
        token: u64,
        pid: i32,
        start_ticks: u64,
        leader_exited: bool,
        after_exit: bool,
        why: String,
    },
    /// Fire `RestartDue { token }` after `after`.
    Timer { token: u64, after: Duration },
    /// Tell the instance's clients about its missing process (`hold`: one is coming).
    Tell { why: String, hold: bool },
    /// Remove the instance from the supervisor.
    Forget,
}

/// The one decision step (see the module doc).
pub fn step(inst: &mut Instance, input: Input, ctx: &Ctx) -> Vec<Work> {
    let mut work = Vec::new();
    let label = inst.key.label();
    match input {
        Input::Start => match &mut inst.state {
            State::Running { .. } | State::Starting { .. } => {}
            State::Stopping { next, .. } => {
                if !ctx.shutting_down && *next != Next::Forget {
                    *next = Next::Start;
                }
            }
            _ if ctx.shutting_down => {}
            _ => {
                let t = token();
                inst.state = State::Starting { token: t };
                inst.over_rss = 0;
                work.push(Work::Spawn { token: t });
            }
        },
        Input::Spawned {
            token: t,
            pid,
            start_ticks,
        } => match &mut inst.state {
            State::Starting { token } if *token == t && !ctx.shutting_down => {
                inst.state = State::Running {
                    pid,
                    start_ticks,
                    since: ctx.now,
                    attached: true,
                };
            }
            State::Starting { token } if *token == t => {
                // The daemon began stopping while it spawned.
                let s = token_stop(&mut work, pid, start_ticks, "daemon shutting down");
                inst.state = stopping(Some(pid), start_ticks, Some(s), None, Next::Stopped);
            }
            State::Stopping {
                spawning,
                pid: p,
                start_ticks: st,
                token: tk,
                ..
            } if *spawning == Some(t) => {
                // A stop was asked while it spawned: now there is something to stop.
                let s = token_stop(&mut work, pid, start_ticks, "stopped while it started");
                (*p, *st, *tk, *spawning) = (Some(pid), start_ticks, Some(s), None);
            }
            _ => {
                // An answer nobody waits for any more: its process must not stay.
                token_stop(&mut work, pid, start_ticks, "superseded while it started");
            }
        },
        Input::SpawnFailed { token: t, error } => match &mut inst.state {
            State::Starting { token } if *token == t => {
                inst.last_exit = Some(error.clone());
                work.push(Work::Tell {
                    why: format!("cannot start {label}: {error}"),
                    hold: false,
                });
                inst.state = State::Failed { reason: error };
            }
            State::Stopping {
                spawning: Some(sp),
                token: tk,
                ..
            } if *sp == t => {
                // Nothing was started, so nothing is left to stop.
                let s = token();
                *tk = Some(s);
                return step(
                    inst,
                    Input::StopDone {
                        token: s,
                        session_gone: false,
                        last_log: Vec::new(),
                    },
                    ctx,
                );
            }
            _ => {}
        },
        Input::Stop { why, next } => match &mut inst.state {
            State::Running {
                pid,
                start_ticks,
                attached,
                ..
            } => {
                let (pid, start_ticks, attached) = (*pid, *start_ticks, *attached);
                let hold = next == Next::Start;
                work.push(Work::Detach);
                work.push(Work::Tell {
                    why: format!("{label} was stopped ({why})"),
                    hold,
                });
                let t = token();
                // Our own child's pid cannot be reused before we reap it: its group is its own.
                work.push(Work::Stop {
                    token: t,
                    pid,
                    start_ticks,
                    leader_exited: attached,
                    after_exit: false,
                    why: why.clone(),
                });
                inst.last_exit = Some(why);
                inst.state = stopping(Some(pid), start_ticks, Some(t), None, next);
            }
            State::Starting { token } => {
                let sp = *token;
                work.push(Work::Tell {
                    why: format!("{label} was stopped ({why})"),
                    hold: next == Next::Start,
                });
                inst.last_exit = Some(why);
                inst.state = stopping(None, 0, None, Some(sp), next);
            }
            State::Stopping { next: n, .. } => {
                // The latest word counts, but a forgotten instance stays forgotten, and an exit's
                // decision gives way to whatever was asked since.
                if *n != Next::Forget {
                    *n = next;
                }
            }
            _ => match next {
                Next::Start => return step(inst, Input::Start, ctx),
                Next::Forget => {
                    inst.state = State::Stopped;
                    work.push(Work::Forget);
                }
                Next::Stopped | Next::Decide { .. } => {
                    if !matches!(inst.state, State::Failed { .. }) {
                        inst.state = State::Stopped;
                    }
                }
            },
        },
        Input::Exited { pid, kind, desc } => match &mut inst.state {
            State::Running {
                pid: p,
                start_ticks,
                ..
            } if *p == pid => {
                let start_ticks = *start_ticks;
                let t = token();
                work.push(Work::Stop {
                    token: t,
                    pid,
                    start_ticks,
                    // Just reaped: the members left in its group are its own. Not our child (an
                    // unknown status): its group number may be anyone's by now.
                    leader_exited: kind != ExitKind::Unknown,
                    after_exit: true,
                    why: "its server exited: what was left of its group and tags".into(),
                });
                inst.last_exit = Some(desc.clone());
                inst.state = stopping(
                    None,
                    start_ticks,
                    Some(t),
                    None,
                    Next::Decide { kind, desc },
                );
            }
            State::Stopping { pid: p, .. } if *p == Some(pid) => *p = None,
            _ => {}
        },
        Input::StopDone {
            token: t,
            session_gone,
            last_log,
        } => {
            let State::Stopping {
                token: Some(tk),
                next,
                ..
            } = &inst.state
            else {
                return work;
            };
            if *tk != t {
                return work;
            }
            let next = next.clone();
            settle(inst, next, session_gone, last_log, ctx, &mut work);
        }
        Input::RestartDue { token: t } => {
            if matches!(inst.state, State::Backoff { token, .. } if token == t)
                && !ctx.shutting_down
            {
                inst.restarts += 1;
                inst.state = State::Stopped;
                return step(inst, Input::Start, ctx);
            }
        }
    }
    work
}

fn stopping(
    pid: Option<i32>,
    start_ticks: u64,
    token: Option<u64>,
    spawning: Option<u64>,
    next: Next,
) -> State {
    State::Stopping {
        pid,
        start_ticks,
        token,
        spawning,
        next,
    }
}

/// Pushes the stop of a process that just came from a spawn; returns the stop's token.
fn token_stop(work: &mut Vec<Work>, pid: i32, start_ticks: u64, why: &str) -> u64 {
    let t = token();
    work.push(Work::Stop {
        token: t,
        pid,
        start_ticks,
        leader_exited: true,
        after_exit: false,
        why: why.into(),
    });
    t
}

/// A stop is over: the instance becomes what `next` says.
fn settle(
    inst: &mut Instance,
    next: Next,
    session_gone: bool,
    last_log: Vec<String>,
    ctx: &Ctx,
    work: &mut Vec<Work>,
) {
    let label = inst.key.label();
    inst.state = State::Stopped;
    match next {
        Next::Stopped => {}
        Next::Forget => work.push(Work::Forget),
        Next::Start => {
            if !ctx.shutting_down {
                work.extend(step(inst, Input::Start, ctx));
            }
        }
        Next::Decide { kind, desc } => {
            // A session server whose session has closed (its hook stopped it) is not restarted.
            let Some(policy) = ctx.policy.filter(|_| !session_gone && !ctx.shutting_down) else {
                let why = if session_gone {
                    format!("{label} was stopped: its tmux session is gone")
                } else {
                    format!("{label} was stopped ({desc})")
                };
                work.push(Work::Tell { why, hold: false });
                return;
            };
            match after_exit(policy, kind, &mut inst.failures, ctx.now) {
                AfterExit::Restart(delay) => {
                    let t = token();
                    inst.state = State::Backoff {
                        until: ctx.now + delay,
                        token: t,
                    };
                    work.push(Work::Tell {
                        why: format!(
                            "{label} exited ({desc}); restarting in {} s",
                            delay.as_secs()
                        ),
                        hold: true,
                    });
                    work.push(Work::Timer {
                        token: t,
                        after: delay,
                    });
                }
                AfterExit::CrashLoop => {
                    inst.last_log = last_log;
                    let reason = failed_message(inst);
                    work.push(Work::Tell {
                        why: reason.clone(),
                        hold: false,
                    });
                    inst.state = State::Failed { reason };
                }
                AfterExit::Stay => {
                    // Not restarted on its own; a client's next request starts it.
                    inst.state = State::Exited;
                    work.push(Work::Tell {
                        why: format!("{label} exited ({desc})"),
                        hold: true,
                    });
                }
            }
        }
    }
}

/// The error every client of a crash-looping instance gets, the same a new client gets.
pub fn failed_message(inst: &Instance) -> String {
    format!(
        "{} failed (crash loop: {} exits within {} s; last: {}); fix it, then `mcpd restart {}`",
        inst.key.label(),
        inst.failures.len(),
        CRASH_WINDOW.as_secs(),
        inst.last_exit.as_deref().unwrap_or("unknown"),
        inst.key.server
    )
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
