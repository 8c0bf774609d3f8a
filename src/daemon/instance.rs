//! One supervised server instance and the pure restart policy: exponential backoff (1 s doubling to
//! 60 s) and crash-loop detection (5 failures within 60 s: stop retrying, show it as failed).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::config::RestartPolicy;
use crate::state::Owner;

/// Which server, for which session (None: global).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub server: String,
    pub session: Option<String>,
    /// Which instance of the server's pool (0: the first; others serve other contracts, sessions
    /// or, under `share = "never"`, one connection each).
    pub slot: u64,
}

impl Key {
    pub fn owner(&self) -> Owner {
        match &self.session {
            Some(s) => Owner::Session(s.clone()),
            None => Owner::Global(self.server.clone()),
        }
    }

    /// `fs` or `fs@session`, for logs and history.
    pub fn label(&self) -> String {
        let base = match &self.session {
            Some(s) => format!("{}@{s}", self.server),
            None => self.server.clone(),
        };
        match self.slot {
            0 => base,
            n if n & Key::RETIRED != 0 => format!("{base} (retired)"),
            n => format!("{base}#{n}"),
        }
    }

    /// Set in the slot of an instance retired while its tree is stopped (its session was closed
    /// and reopened): the new session's instance takes the key.
    pub const RETIRED: u64 = 1 << 63;

    pub fn new(server: &str, session: Option<String>) -> Key {
        Key {
            server: server.to_string(),
            session,
            slot: 0,
        }
    }
}

/// Where an instance is in its life; each state carries what only it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Never started, or stopped on request (or by a limit).
    Stopped,
    /// A spawn is in flight on the blocking pool; `token` names it (a late answer of an older
    /// spawn is recognised and its process stopped).
    Starting { token: u64 },
    Running {
        pid: i32,
        start_ticks: u64,
        since: Instant,
        /// True when this daemon spawned the process (the multiplexer has its stdio, it is our
        /// child); false for a server re-adopted after a crash, whose stdin died with the old daemon.
        attached: bool,
    },
    /// A stop (or the clean-up after an exit) is in flight; `pid` is the process while it has not
    /// been seen exiting; `next` is what the instance becomes when the stop reports back.
    Stopping {
        pid: Option<i32>,
        start_ticks: u64,
        /// The stop in flight (None: waiting for a spawn in flight to answer first).
        token: Option<u64>,
        /// The spawn in flight when the stop was asked (its process is stopped when it comes).
        spawning: Option<u64>,
        next: Next,
    },
    /// Waiting to be restarted at `until` (the timer carries `token`).
    Backoff { until: Instant, token: u64 },
    /// Crash loop or a start that failed: not restarted until asked.
    Failed { reason: String },
    /// Exited and not restarted (policy): a client's next request starts it.
    Exited,
}

/// What an instance becomes once its stop has reported back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Stopped (on request, by a limit, at shutdown).
    Stopped,
    /// Started again (restart on request, `max_rss`, a re-adopted server replaced).
    Start,
    /// Removed from the supervisor (session gone, private instance left by its client).
    Forget,
    /// It exited on its own: decide by the restart policy once its leftovers are gone.
    Decide { kind: ExitKind, desc: String },
}

/// How a process ended, as far as the daemon can know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// Exit status 0 (from the reaper's wait status).
    Clean,
    /// A non-zero status or a signal (from the reaper's wait status).
    Crash,
    /// Not our child (re-adopted after a crash): the status cannot be known, so it is never
    /// counted as a failure nor as a clean exit.
    Unknown,
}

impl State {
    pub fn word(&self) -> &'static str {
        match self {
            State::Stopped => "stopped",
            State::Starting { .. } => "starting",
            State::Running { .. } => "running",
            State::Stopping { .. } => "stopping",
            State::Backoff { .. } => "backoff",
            State::Failed { .. } => "failed",
            State::Exited => "exited",
        }
    }

    /// The process, while there is one.
    pub fn pid(&self) -> Option<i32> {
        match self {
            State::Running { pid, .. } => Some(*pid),
            State::Stopping { pid, .. } => *pid,
            _ => None,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, State::Running { .. })
    }
}

/// The live handle and history of one instance.
#[derive(Debug)]
pub struct Instance {
    pub key: Key,
    pub state: State,
    /// The multiplexer between the server's stdio and `mcpd connect` clients. It holds the server's
    /// stdin open (stdio servers exit on EOF).
    pub mux: Option<super::mux::MuxHandle>,
    /// A connection's private instance (`share = "never"`): stopped when its client leaves.
    pub private: bool,
    /// The contract of the clients it serves (None: no client has joined yet).
    pub contract: Option<super::contract::Contract>,
    /// Under `share = "session"`: the tmux session of its clients.
    pub client_session: Option<String>,
    pub restarts: u32,
    /// Failure times within the crash-loop window.
    pub failures: VecDeque<Instant>,
    pub last_exit: Option<String>,
    pub last_log: Vec<String>,
    /// Consecutive sweeps over `max_rss`.
    pub over_rss: u8,
    pub rss_actions: u32,
    /// For a session server: the tmux id of the session it was started for. A session closed and
    /// reopened under the same name has another id: its old instance is retired, not reused.
    pub session_id: Option<u32>,
}

impl Instance {
    pub fn new(key: Key) -> Instance {
        Instance {
            key,
            state: State::Stopped,
            mux: None,
            private: false,
            contract: None,
            client_session: None,
            restarts: 0,
            failures: VecDeque::new(),
            last_exit: None,
            last_log: Vec::new(),
            over_rss: 0,
            rss_actions: 0,
            session_id: None,
        }
    }

    pub fn pid(&self) -> Option<i32> {
        self.state.pid()
    }

    /// When the current process started (for uptime).
    pub fn since(&self) -> Option<Instant> {
        match &self.state {
            State::Running { since, .. } => Some(*since),
            _ => None,
        }
    }
}

/// A fresh token for a spawn, a stop or a timer: unique in this daemon, so an answer that comes
/// after its instance was forgotten and made again is never taken for the new one's.
pub fn token() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What to do after an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterExit {
    Restart(Duration),
    CrashLoop,
    Stay,
}

pub const CRASH_WINDOW: Duration = Duration::from_secs(60);
pub const CRASH_LIMIT: usize = 5;
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Pure: the decision after an exit. `failures` holds earlier failure times; a crash is pushed here
/// (a clean exit or an unknown status never is).
pub fn after_exit(
    policy: RestartPolicy,
    kind: ExitKind,
    failures: &mut VecDeque<Instant>,
    now: Instant,
) -> AfterExit {
    if kind == ExitKind::Crash {
        failures.push_back(now);
    }
    while failures
        .front()
        .is_some_and(|t| now.duration_since(*t) > CRASH_WINDOW)
    {
        failures.pop_front();
    }
    let restart = match policy {
        RestartPolicy::Always => true,
        // An unknown status is no evidence of a failure: the next request starts it again.
        RestartPolicy::OnFailure => kind == ExitKind::Crash,
        RestartPolicy::Never => false,
    };
    if !restart {
        return AfterExit::Stay;
    }
    if failures.len() >= CRASH_LIMIT {
        return AfterExit::CrashLoop;
    }
    // 1 s, 2 s, 4 s... for each failure in the window; a clean exit under `always` waits 1 s.
    let n = failures.len().saturating_sub(1).min(6) as u32;
    AfterExit::Restart((Duration::from_secs(1) * 2u32.pow(n)).min(MAX_BACKOFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_crash_loop() {
        let mut f = VecDeque::new();
        let t0 = Instant::now();
        let mut got = Vec::new();
        for i in 0..5 {
            got.push(after_exit(
                RestartPolicy::OnFailure,
                ExitKind::Crash,
                &mut f,
                t0 + Duration::from_secs(i),
            ));
        }
        assert_eq!(
            got,
            vec![
                AfterExit::Restart(Duration::from_secs(1)),
                AfterExit::Restart(Duration::from_secs(2)),
                AfterExit::Restart(Duration::from_secs(4)),
                AfterExit::Restart(Duration::from_secs(8)),
                AfterExit::CrashLoop
            ]
        );
    }

    #[test]
    fn old_failures_age_out() {
        let mut f = VecDeque::new();
        let t0 = Instant::now();
        for i in 0..4 {
            after_exit(
                RestartPolicy::Always,
                ExitKind::Crash,
                &mut f,
                t0 + Duration::from_secs(i),
            );
        }
        let later = t0 + Duration::from_secs(200);
        assert_eq!(
            after_exit(RestartPolicy::Always, ExitKind::Crash, &mut f, later),
            AfterExit::Restart(Duration::from_secs(1))
        );
    }

    #[test]
    fn policies() {
        let now = Instant::now();
        assert_eq!(
            after_exit(
                RestartPolicy::OnFailure,
                ExitKind::Clean,
                &mut VecDeque::new(),
                now
            ),
            AfterExit::Stay
        );
        assert_eq!(
            after_exit(
                RestartPolicy::Never,
                ExitKind::Crash,
                &mut VecDeque::new(),
                now
            ),
            AfterExit::Stay
        );
        assert_eq!(
            after_exit(
                RestartPolicy::Always,
                ExitKind::Clean,
                &mut VecDeque::new(),
                now
            ),
            AfterExit::Restart(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_clean_exit_or_an_unknown_status_is_never_a_failure() {
        let now = Instant::now();
        let mut f = VecDeque::new();
        for kind in [ExitKind::Clean, ExitKind::Unknown] {
            for _ in 0..10 {
                assert_eq!(
                    after_exit(RestartPolicy::OnFailure, kind, &mut f, now),
                    AfterExit::Stay
                );
                assert!(matches!(
                    after_exit(RestartPolicy::Always, kind, &mut f, now),
                    AfterExit::Restart(_)
                ));
            }
        }
        assert!(f.is_empty(), "counted as failures: {f:?}");
    }

    #[test]
    fn labels() {
        let k = Key::new("fs", Some("s".into()));
        assert_eq!(k.label(), "fs@s");
        assert_eq!(k.owner(), Owner::Session("s".into()));
    }
}
