//! `mcpd start`/`restart` say whether the server really started. A spawn that succeeds only means the
//! launcher ran: the command may not exist (the launcher's `exec` fails, exit 127), or the server may
//! exit at once or be in a crash loop. So a request waiting for [`Until::Started`](super::work::Until)
//! is not answered when its instance reports `Running`: a [`SETTLE`] window opens then, and when it
//! is over the same process still running is a start; anything else is an error naming the exit,
//! what the supervisor does next, and the last lines of the server's log. The window is a timer task
//! reporting [`Event::Settled`]: the supervisor keeps serving meanwhile.

use super::*;

/// How long a new server must stay up to count as started.
pub const SETTLE: Duration = Duration::from_millis(500);

/// A start whose answer waits for [`SETTLE`].
pub(super) struct Settle {
    key: Key,
    /// The process that was running when the window opened.
    process: Identity,
    message: String,
    tx: oneshot::Sender<Answer>,
}

/// Exit codes of the launcher that mean the command itself is the problem.
fn exec_hint(last_exit: &str) -> &'static str {
    match last_exit {
        "exit 127" => " (the command was not found: check `command` and PATH; `mcpd config check`)",
        "exit 126" => " (the command is not executable)",
        _ => "",
    }
}

impl Sup {
    /// Answers `tx` after [`SETTLE`], once it is known whether `process`, `key`'s new process,
    /// stayed up. `message` is the answer when it did.
    pub(super) fn settle_window(
        &mut self,
        key: &Key,
        process: Identity,
        message: String,
        tx: oneshot::Sender<Answer>,
    ) {
        let s = Settle {
            key: key.clone(),
            process,
            message,
            tx,
        };
        let events = self.events.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SETTLE).await;
            let _ = events.send(Event::Settled(Box::new(s)));
        });
    }

    pub(super) fn settled(&mut self, s: Settle) {
        // An exit whose SIGCHLD has not been handled yet counts.
        self.reap();
        let log = self.log_path(&s.key);
        let answer = match self.instances.get(&s.key) {
            Some(i) => match i.state {
                State::Running {
                    pid, start_ticks, ..
                } if (Identity { pid, start_ticks }) == s.process => {
                    Response::Ok { message: s.message }
                }
                // Restarted on request (or by a reload) within the window: a start all the same.
                State::Running { pid, .. } => Response::Ok {
                    message: format!(
                        "{}; it has been restarted since (now running, pid {pid})",
                        s.message
                    ),
                },
                _ => self.did_not_start(&s.key, i, &log),
            },
            None => Response::Error {
                message: format!("{} was removed while starting", s.key.label()),
            },
        };
        let _ = s.tx.send(answer.into());
    }

    /// The error of a start whose process did not stay up: its exit, what happens next, its log.
    fn did_not_start(&self, key: &Key, i: &Instance, log: &std::path::Path) -> Response {
        let exit = i.last_exit.clone().unwrap_or_else(|| "unknown".into());
        let stopped = matches!(
            i.state,
            State::Stopped
                | State::Stopping {
                    next: Next::Stopped | Next::Forget,
                    ..
                }
        );
        if stopped {
            return Response::Error {
                message: format!("{} was stopped while it started ({exit})", key.label()),
            };
        }
        let next = match &i.state {
            State::Backoff { .. } => "; it will be retried with backoff".to_string(),
            State::Failed { reason } => format!("; {reason}"),
            _ => String::new(),
        };
        let tail = logs::tail(log, 5);
        let log_part = if tail.is_empty() {
            format!("\nits log {} is empty", log.display())
        } else {
            format!(
                "\nlast lines of {}:\n  {}",
                log.display(),
                tail.join("\n  ")
            )
        };
        Response::Error {
            message: format!(
                "{} did not start: it exited at once ({exit}{}){next}{log_part}",
                key.label(),
                exec_hint(&exit)
            ),
        }
    }
}
