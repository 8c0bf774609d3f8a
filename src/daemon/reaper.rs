//! Reaping. As a child subreaper the daemon inherits every orphaned descendant of its servers, and must
//! reap them, or zombies pile up. It cannot simply `waitpid(-1)`: that would also steal the exit status
//! of commands the daemon runs and waits for itself (tmux). So a known server's exit is peeked at by
//! pid (`waitid` with `WNOWAIT`) and its real wait status reported once, while it stays a zombie until
//! [`Reaper::release`]: the supervisor releases it when the stop of its tree has reported, so its pid
//! (and its process group's number) cannot be reused while that stop still signals the group. Other
//! zombies are left for 2 s to whoever waits for them, then reaped.
//!
//! Two ways to find the zombies, both always compiled:
//! - [`Mode::ProcFs`] (Linux): `/proc/self/task/*/children`, then each child's state.
//! - [`Mode::Wait`] (anywhere, no /proc): a peek at each known pid, then
//!   `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)` to peek at the next zombie without reaping it.
//!   A peek sees one zombie at a time, so an unknown one still in its 2 s grace (or a known one not
//!   released yet) holds the others back until it is reaped (known pids never wait behind it).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// How a process ended, in words (`exit 3`, `killed by SIGKILL`); true for a clean exit (status 0).
pub fn describe(status: &WaitStatus) -> (bool, String) {
    match status {
        WaitStatus::Exited(_, 0) => (true, "exit 0".into()),
        WaitStatus::Exited(_, c) => (false, format!("exit {c}")),
        WaitStatus::Signaled(_, s, _) => (false, format!("killed by {s:?}")),
        other => (false, format!("{other:?}")),
    }
}

/// How the reaper finds zombie children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `/proc/self/task/*/children` (Linux).
    ProcFs,
    /// `waitpid` on known pids and `waitid(WNOWAIT)` peeks: no /proc needed.
    Wait,
}

impl Mode {
    /// `MCPD_REAPER=wait` or `procfs` selects one; otherwise /proc when this system has it.
    pub fn from_env() -> Mode {
        match std::env::var("MCPD_REAPER").as_deref() {
            Ok("wait") => Mode::Wait,
            Ok("procfs") => Mode::ProcFs,
            _ if std::path::Path::new("/proc/self/task").is_dir() => Mode::ProcFs,
            _ => Mode::Wait,
        }
    }
}

/// How long an unknown zombie is left to whoever waits for it.
const GRACE: Duration = Duration::from_secs(2);

/// Zombie children of this process, from /proc.
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

/// Reaps `pid` if it has exited; its status when it had.
fn reap_pid(pid: i32) -> Option<WaitStatus> {
    match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) | Err(_) => None,
        Ok(st @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => Some(st),
        // Stopped or continued: not an exit.
        Ok(_) => None,
    }
}

/// The exit status of child `pid` if it has exited, without reaping it.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn peek_pid(pid: i32) -> Option<WaitStatus> {
    use nix::sys::wait::{Id, waitid};
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::Pid(Pid::from_raw(pid)), flags) {
        Ok(st @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => Some(st),
        _ => None,
    }
}

/// Without `waitid` there is no peek: the status is taken by reaping.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn peek_pid(pid: i32) -> Option<WaitStatus> {
    reap_pid(pid)
}

/// The next zombie child, peeked at without reaping it (its status stays for its waiter).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn peek_zombie() -> Option<i32> {
    use nix::sys::wait::{Id, waitid};
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    match waitid(Id::All, flags) {
        Ok(st) => st.pid().map(Pid::as_raw),
        Err(_) => None,
    }
}

/// Without `waitid`, unknown zombies cannot be seen without reaping them: only known pids are.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn peek_zombie() -> Option<i32> {
    None
}

/// Remembers unknown zombies' first sighting.
pub struct Reaper {
    mode: Mode,
    seen: HashMap<i32, Instant>,
    grace: Duration,
    /// Known pids whose exit was reported and which are kept as zombies until released.
    reported: std::collections::HashSet<i32>,
}

impl Default for Reaper {
    fn default() -> Reaper {
        Reaper::new(Mode::from_env())
    }
}

impl Reaper {
    pub fn new(mode: Mode) -> Reaper {
        Reaper {
            mode,
            seen: HashMap::new(),
            grace: GRACE,
            reported: Default::default(),
        }
    }

    /// As [`Mode::from_env`] says.
    pub fn from_env() -> Reaper {
        Reaper::default()
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Unknown zombies are left this long to their waiter (tests use a long one, so that they
    /// never reap another test's child).
    pub fn with_grace(mut self, grace: Duration) -> Reaper {
        self.grace = grace;
        self
    }

    /// Reports each of the `known` pids that has exited, once, with its real wait status, and
    /// keeps it a zombie until [`Reaper::release`]; reaps unknown zombies after their grace.
    pub fn reap_known(&mut self, known: &[i32]) -> Vec<(i32, WaitStatus)> {
        let set: std::collections::HashSet<i32> = known.iter().copied().collect();
        let mut out = Vec::new();
        for p in known {
            if self.reported.contains(p) {
                continue;
            }
            if let Some(st) = peek_pid(*p) {
                self.reported.insert(*p);
                out.push((*p, st));
            }
        }
        match self.mode {
            Mode::ProcFs => self.reap_unknown_procfs(&set),
            Mode::Wait => self.reap_unknown_wait(&set),
        }
        out
    }

    /// Reaps a known pid whose exit was reported (its stop is over): its number is free again.
    pub fn release(&mut self, pid: i32) {
        if self.reported.remove(&pid) {
            let _ = reap_pid(pid);
        }
    }

    /// Releases every reported pid (the daemon is exiting).
    pub fn release_all(&mut self) {
        for p in std::mem::take(&mut self.reported) {
            let _ = reap_pid(p);
        }
    }

    /// Whether an unknown zombie first seen at `first` has had its grace.
    fn due(&mut self, pid: i32, now: Instant) -> bool {
        let first = *self.seen.entry(pid).or_insert(now);
        now.duration_since(first) >= self.grace
    }

    fn reap_unknown_procfs(&mut self, known: &std::collections::HashSet<i32>) {
        let now = Instant::now();
        let zombies = zombie_children();
        self.seen.retain(|p, _| zombies.contains(p));
        for pid in zombies {
            if known.contains(&pid) || self.reported.contains(&pid) || !self.due(pid, now) {
                continue;
            }
            self.seen.remove(&pid);
            let _ = reap_pid(pid);
        }
    }

    fn reap_unknown_wait(&mut self, known: &std::collections::HashSet<i32>) {
        let now = Instant::now();
        // Bounded: each pass reaps one zombie or stops.
        for _ in 0..4096 {
            let Some(pid) = peek_zombie() else { break };
            // A known zombie (not released yet), or an unknown one in its grace, is first in line:
            // the others wait for the next round.
            if known.contains(&pid) || self.reported.contains(&pid) || !self.due(pid, now) {
                break;
            }
            self.seen.remove(&pid);
            if reap_pid(pid).is_none() {
                // Reaped by its waiter in between, or not ours to wait for.
                break;
            }
        }
        let seen: Vec<i32> = self.seen.keys().copied().collect();
        for p in seen {
            // Forget sightings of zombies reaped by someone else.
            if nix::sys::signal::kill(Pid::from_raw(p), None).is_err() {
                self.seen.remove(&p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Children that exit with `codes`, left unwaited (their `Child` is forgotten, as the daemon
    /// forgets the servers it spawns).
    fn exited_children(script: &str) -> i32 {
        let c = Command::new("sh").args(["-c", script]).spawn().unwrap();
        let pid = c.id() as i32;
        drop(c);
        pid
    }

    fn wait_reaped(r: &mut Reaper, known: &[i32]) -> Vec<(i32, WaitStatus)> {
        let mut got = Vec::new();
        for _ in 0..500 {
            got.extend(r.reap_known(known));
            if got.len() == known.len() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        got.sort_by_key(|(p, _)| *p);
        got
    }

    #[test]
    fn the_proc_free_reaper_reports_real_exit_statuses() {
        // Never reap another test's child: unknown zombies wait "forever".
        let mut r = Reaper::new(Mode::Wait).with_grace(Duration::from_secs(3600));
        assert_eq!(r.mode(), Mode::Wait);
        let clean = exited_children("exit 0");
        let crash = exited_children("exit 3");
        let killed = exited_children("kill -9 $$");
        let got = wait_reaped(&mut r, &[clean, crash, killed]);
        // Reported once, kept until released.
        assert!(r.reap_known(&[clean, crash, killed]).is_empty());
        assert!(peek_pid(clean).is_some(), "reaped before it was released");
        for p in [clean, crash, killed] {
            r.release(p);
        }
        let by_pid: HashMap<i32, String> = got.iter().map(|(p, st)| (*p, describe(st).1)).collect();
        assert_eq!(by_pid.get(&clean).map(String::as_str), Some("exit 0"));
        assert_eq!(by_pid.get(&crash).map(String::as_str), Some("exit 3"));
        assert_eq!(
            by_pid.get(&killed).map(String::as_str),
            Some("killed by SIGKILL")
        );
        assert!(describe(&got.iter().find(|(p, _)| *p == clean).unwrap().1).0);
        // Released: reaped, nothing is left for anyone.
        assert!(
            waitpid(Pid::from_raw(clean), Some(WaitPidFlag::WNOHANG)).is_err(),
            "not reaped"
        );
    }

    #[test]
    fn the_proc_free_reaper_leaves_unknown_zombies_to_their_waiter_during_the_grace() {
        let mut r = Reaper::new(Mode::Wait).with_grace(Duration::from_secs(3600));
        let mut c = Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
        let pid = c.id() as i32;
        // A zombie now (waitid peeks without reaping).
        for _ in 0..500 {
            if r.reap_known(&[]).is_empty() && r.seen.contains_key(&pid) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(c.wait().unwrap().code(), Some(7), "its status was stolen");
    }
}
