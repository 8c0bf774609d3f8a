//! `mcpd start`/`restart` say whether the server really started. A spawn that succeeds only means the
//! launcher ran: the command may not exist (the launcher's `exec` fails, exit 127), or the server may
//! exit at once or be in a crash loop. So the answer waits [`SETTLE`] and then looks: the same
//! process still running is a start; anything else is an error naming the exit, what the supervisor
//! does next, and the last lines of the server's log. The wait is a timer task: the supervisor keeps
//! serving meanwhile.

use super::*;

/// How long a new server must stay up to count as started.
pub const SETTLE: Duration = Duration::from_millis(500);

/// A start whose answer waits for [`SETTLE`].
pub(super) struct Settle {
    key: Key,
    generation: u64,
    pid: i32,
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
    /// Answers `tx` after [`SETTLE`], once it is known whether `key`'s new process stayed up.
    /// `message` is the answer when it did.
    pub(super) fn settle(&mut self, key: &Key, message: String, tx: oneshot::Sender<Answer>) {
        let Some((generation, Some(pid))) = self.instances.get(key).map(|i| (i.generation, i.pid))
        else {
            let _ = tx.send(Response::Ok { message }.into());
            return;
        };
        let s = Settle {
            key: key.clone(),
            generation,
            pid,
            message,
            tx,
        };
        let events = self.events.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SETTLE).await;
            let _ = events.send(Event::Settled(Box::new(s)));
        });
    }

    pub(super) async fn settled(&mut self, s: Settle) {
        // An exit whose SIGCHLD has not been handled yet counts.
        self.reap().await;
        let log = self.log_path(&s.key);
        let answer = match self.instances.get(&s.key) {
            Some(i) if i.generation == s.generation && i.pid == Some(s.pid) => {
                Response::Ok { message: s.message }
            }
            Some(i) if i.generation != s.generation => Response::Ok {
                message: format!(
                    "{}; it has been restarted since (now {}{})",
                    s.message,
                    i.state.word(),
                    i.pid.map(|p| format!(", pid {p}")).unwrap_or_default()
                ),
            },
            Some(i) => {
                let exit = i.last_exit.clone().unwrap_or_else(|| "unknown".into());
                let next = match i.state {
                    State::Backoff => "; it will be retried with backoff".to_string(),
                    State::Failed => format!("; {}", failed_message(i)),
                    _ => String::new(),
                };
                let tail = logs::tail(&log, 5);
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
                        s.key.label(),
                        exec_hint(&exit)
                    ),
                }
            }
            None => Response::Error {
                message: format!("{} was removed while starting", s.key.label()),
            },
        };
        let _ = s.tx.send(answer.into());
    }
}
