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
            n => format!("{base}#{n}"),
        }
    }

    pub fn new(server: &str, session: Option<String>) -> Key {
        Key {
            server: server.to_string(),
            session,
            slot: 0,
        }
    }
}

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    /// Waiting to be restarted.
    Backoff,
    /// Crash loop: not restarted until asked.
    Failed,
    /// Stopped on request (or by a limit).
    Stopped,
    /// Exited and not restarted (policy).
    Exited,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Backoff => "backoff",
            State::Failed => "failed",
            State::Stopped => "stopped",
            State::Exited => "exited",
        }
    }
}

/// The live handle and history of one instance.
#[derive(Debug)]
pub struct Instance {
    pub key: Key,
    pub state: State,
    pub pid: Option<i32>,
    pub start_ticks: u64,
    /// The multiplexer between the server's stdio and `mcpd connect` clients. It holds the server's
    /// stdin open (stdio servers exit on EOF).
    pub mux: Option<super::mux::MuxHandle>,
    /// True when this daemon spawned the current process (so the mux has its stdio); false for a
    /// server re-adopted after a crash, whose stdin died with the previous daemon.
    pub attached: bool,
    /// A connection's private instance (`share = "never"`): stopped when its client leaves.
    pub private: bool,
    /// The contract of the clients it serves (None: no client has joined yet).
    pub contract: Option<super::contract::Contract>,
    /// Under `share = "session"`: the tmux session of its clients.
    pub client_session: Option<String>,
    pub started_at: Option<Instant>,
    pub restarts: u32,
    /// Failure times within the crash-loop window.
    pub failures: VecDeque<Instant>,
    pub last_exit: Option<String>,
    pub last_log: Vec<String>,
    /// Consecutive sweeps over `max_rss`.
    pub over_rss: u8,
    pub rss_actions: u32,
    /// Set when a stop was asked for: its exit is not a failure.
    pub stopping: bool,
    /// Bumped on every start, so a stale restart timer does nothing.
    pub generation: u64,
    /// For a session server: the tmux id of the session it was started for. A session closed and
    /// reopened under the same name has another id: its old instance is retired, not reused.
    pub session_id: Option<u32>,
}

impl Instance {
    pub fn new(key: Key) -> Instance {
        Instance {
            key,
            state: State::Stopped,
            pid: None,
            start_ticks: 0,
            mux: None,
            attached: false,
            private: false,
            contract: None,
            client_session: None,
            started_at: None,
            restarts: 0,
            failures: VecDeque::new(),
            last_exit: None,
            last_log: Vec::new(),
            over_rss: 0,
            rss_actions: 0,
            stopping: false,
            generation: 0,
            session_id: None,
        }
    }
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

/// Pure: the decision after an exit. `failures` holds earlier failure times; a failure is pushed here.
pub fn after_exit(
    policy: RestartPolicy,
    success: bool,
    failures: &mut VecDeque<Instant>,
    now: Instant,
) -> AfterExit {
    if !success {
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
        RestartPolicy::OnFailure => !success,
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
                false,
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
                false,
                &mut f,
                t0 + Duration::from_secs(i),
            );
        }
        let later = t0 + Duration::from_secs(200);
        assert_eq!(
            after_exit(RestartPolicy::Always, false, &mut f, later),
            AfterExit::Restart(Duration::from_secs(1))
        );
    }

    #[test]
    fn policies() {
        let now = Instant::now();
        assert_eq!(
            after_exit(RestartPolicy::OnFailure, true, &mut VecDeque::new(), now),
            AfterExit::Stay
        );
        assert_eq!(
            after_exit(RestartPolicy::Never, false, &mut VecDeque::new(), now),
            AfterExit::Stay
        );
        assert_eq!(
            after_exit(RestartPolicy::Always, true, &mut VecDeque::new(), now),
            AfterExit::Restart(Duration::from_secs(1))
        );
    }

    #[test]
    fn labels() {
        let k = Key::new("fs", Some("s".into()));
        assert_eq!(k.label(), "fs@s");
        assert_eq!(k.owner(), Owner::Session("s".into()));
    }
}
