//! Reaping. As a child subreaper the daemon inherits every orphaned descendant of its servers, and must
//! reap them, or zombies pile up. It cannot simply `waitpid(-1)`: that would also steal the exit status
//! of commands the daemon runs and waits for itself (tmux). So it looks at its zombie children by pid:
//! known server pids are reaped at once and reported; others are left for 2 s to whoever waits for them,
//! then reaped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// How a process ended, in words (`exit 3`, `killed by SIGKILL`).
pub fn describe(status: &WaitStatus) -> (bool, String) {
    match status {
        WaitStatus::Exited(_, 0) => (true, "exit 0".into()),
        WaitStatus::Exited(_, c) => (false, format!("exit {c}")),
        WaitStatus::Signaled(_, s, _) => (false, format!("killed by {s:?}")),
        other => (false, format!("{other:?}")),
    }
}

/// Zombie children of this process.
fn zombie_children() -> Vec<i32> {
    let me = std::process::id();
    let mut kids = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{me}/task")) {
        for t in tasks.flatten() {
            if let Ok(list) = std::fs::read_to_string(t.path().join("children")) {
                kids.extend(
                    list.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
    }
    kids.into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Remembers unknown zombies' first sighting.
#[derive(Default)]
pub struct Reaper {
    seen: HashMap<i32, Instant>,
}

impl Reaper {
    /// Reaps what it should; returns the known pids that exited, with their status.
    pub fn reap(&mut self, is_known: impl Fn(i32) -> bool) -> Vec<(i32, WaitStatus)> {
        let now = Instant::now();
        let mut out = Vec::new();
        let zombies = zombie_children();
        self.seen.retain(|p, _| zombies.contains(p));
        for pid in zombies {
            let known = is_known(pid);
            let first = *self.seen.entry(pid).or_insert(now);
            if !known && now.duration_since(first) < Duration::from_secs(2) {
                continue;
            }
            if let Ok(st) = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
                self.seen.remove(&pid);
                if known && st != WaitStatus::StillAlive {
                    out.push((pid, st));
                }
            }
        }
        out
    }
}
