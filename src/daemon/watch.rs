//! Watches our tmux server so that what a closed session leaves behind is reconciled within about a
//! second, without waiting for the next sweep: tmux loses session-closed hooks (on `kill-server`, on
//! rapid closes), and nothing may depend on them. Every second a cheap `list-sessions` of ids (and,
//! on Linux, a pidfd on the server wakes the watcher the moment the server exits); when a session id
//! disappears or the server goes, the supervisor is told to sweep now.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::tmux::Tmux;

/// What the watcher saw of the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub server_pid: Option<i32>,
    pub sessions: BTreeSet<u32>,
}

/// Pure: true when `now` lost something `before` had (a session, or the server itself).
pub fn lost(before: &Seen, now: &Seen) -> bool {
    (before.server_pid.is_some() && before.server_pid != now.server_pid)
        || before.sessions.iter().any(|s| !now.sessions.contains(s))
}

fn look(tmux: &Tmux) -> Option<Seen> {
    match tmux.view() {
        Ok(Some(v)) => Some(Seen {
            server_pid: Some(v.server_pid),
            sessions: v.sessions.iter().map(|s| s.id).collect(),
        }),
        Ok(None) => Some(Seen::default()),
        // tmux could not be asked: judge nothing, try again.
        Err(_) => None,
    }
}

/// Runs until the receiver is gone, calling `changed` for every loss.
pub async fn run(tmux: Tmux, changed: mpsc::UnboundedSender<()>) {
    let mut before = Seen::default();
    loop {
        let t = tmux.clone();
        let now = tokio::task::spawn_blocking(move || look(&t))
            .await
            .ok()
            .flatten();
        if let Some(now) = now {
            if lost(&before, &now) && changed.send(()).is_err() {
                return;
            }
            before = now;
        }
        wait_or_exit(before.server_pid, Duration::from_secs(1)).await;
        if changed.is_closed() {
            return;
        }
    }
}

/// Sleeps `d`, or less when the tmux server exits first (Linux: a pidfd becomes readable).
async fn wait_or_exit(server: Option<i32>, d: Duration) {
    #[cfg(target_os = "linux")]
    if let Some(pid) = server.and_then(rustix::process::Pid::from_raw)
        && let Ok(fd) = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK)
        // SAFETY: `fd` is an OwnedFd owned here alone: nothing else can close or reuse it while it
        // is registered, and it is dropped with `afd`.
        && let Ok(afd) = unsafe { tokio::io::unix::AsyncFd::register(fd) }
    {
        let _ = tokio::time::timeout(d, afd.readable()).await;
        return;
    }
    let _ = server;
    tokio::time::sleep(d).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(pid: Option<i32>, ids: &[u32]) -> Seen {
        Seen {
            server_pid: pid,
            sessions: ids.iter().copied().collect(),
        }
    }

    #[test]
    fn losses_are_sessions_gone_or_the_server_gone() {
        assert!(!lost(&seen(None, &[]), &seen(Some(5), &[0])));
        assert!(!lost(&seen(Some(5), &[0]), &seen(Some(5), &[0, 1])));
        assert!(lost(&seen(Some(5), &[0, 1]), &seen(Some(5), &[1])));
        assert!(lost(&seen(Some(5), &[0]), &seen(None, &[])));
        assert!(lost(&seen(Some(5), &[0]), &seen(Some(9), &[0])));
    }
}
