//! The identity-safe tree stop (DESIGN.md, "Stop sequence"): SIGTERM (and SIGCONT, so stopped processes
//! see it) to every target, every descendant and every member of a group the targets lead; poll every
//! 10 ms; SIGKILL whatever is left at the grace; verify it is gone. Every signal goes through a
//! [`Pinned`] handle checked against the process's start time, so a recycled pid is never hit.
//!
//! A leader that exits early cancels nothing: the members were pinned when the stop began, and rescans
//! during the wait pick up anything forked or orphaned since (children of an exited leader are found as
//! members of its group).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::envcache_ino::StatEntry;
use super::guard::{Guard, Refusal};
use super::identity::{Identity, Pinned};
use super::{ProcError, ProcInfo, Snapshot};

pub use crate::model::StopTarget;

/// How to stop.
#[derive(Clone, Debug)]
pub struct StopOptions {
    /// SIGTERM -> SIGKILL.
    pub grace: Duration,
    /// How often to check whether everything is gone.
    pub poll: Duration,
    /// How often to look for new descendants (forks during the stop, children of an exited leader).
    pub rescan: Duration,
    /// How long to wait for SIGKILLed processes to disappear before reporting them as survivors.
    pub kill_wait: Duration,
    /// Also stop descendants of the targets.
    pub descendants: bool,
    /// How the rescans look for new members.
    pub rescan_by: Rescan,
}

/// How a stop's rescans look for what was forked or orphaned since it began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rescan {
    /// A lean pass over /proc: every group member wherever it went.
    #[default]
    Pass,
    /// Only the trees under the live victims and this process's own children, through the children
    /// files ([`super::known::trees`]): no pass. For a child subreaper (the daemon), whose stopped
    /// trees' orphans become its children; falls back to a pass when the files cannot be read.
    Trees,
}

impl Default for StopOptions {
    fn default() -> Self {
        StopOptions {
            grace: Duration::from_secs(3),
            poll: Duration::from_millis(10),
            rescan: Duration::from_millis(100),
            kill_wait: Duration::from_secs(2),
            descendants: true,
            rescan_by: Rescan::Pass,
        }
    }
}

impl StopOptions {
    pub fn with_grace(grace: Duration) -> StopOptions {
        StopOptions {
            grace,
            ..StopOptions::default()
        }
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ending {
    /// It exited after SIGTERM.
    Term,
    /// It needed SIGKILL.
    Kill,
    /// Still there after SIGKILL and the wait (a process in uninterruptible sleep, say).
    Survived,
}

/// One process the stop signalled.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stopped {
    pub pid: i32,
    pub start_time: u64,
    pub rss_bytes: u64,
    pub command: String,
    pub ending: Ending,
}

/// What a stop did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StopOutcome {
    pub stopped: Vec<Stopped>,
    /// Targets that were already gone (nothing to do).
    pub gone: Vec<Identity>,
    /// Targets whose pid now belongs to another process: not signalled.
    pub recycled: Vec<Identity>,
    /// Processes the guard protected: (pid, command, reason).
    pub refused: Vec<(i32, String, String)>,
    pub elapsed_ms: u64,
}

impl StopOutcome {
    /// Memory held by the processes that are now gone.
    pub fn freed_bytes(&self) -> u64 {
        self.stopped
            .iter()
            .filter(|s| s.ending != Ending::Survived)
            .map(|s| s.rss_bytes)
            .sum()
    }

    pub fn survivors(&self) -> impl Iterator<Item = &Stopped> {
        self.stopped.iter().filter(|s| s.ending == Ending::Survived)
    }
}

struct Victim {
    pin: Pinned,
    info: ProcInfo,
    killed: bool,
    exited: bool,
}

/// A process group the targets own, with the start time of its leader (members of the group started
/// after it: this tells the group apart from a later group with a recycled number).
struct OwnedGroup {
    pgid: i32,
    leader_start: u64,
}

struct Stopper<'a> {
    opts: &'a StopOptions,
    /// Every process's `stat` at the last look, by /proc inode: a rescan reads only what changed
    /// ([`super::envcache_ino`]) and what it could act on (the victims, their children, the members
    /// of their groups), so a stop costs a few reads per look, not a /proc pass.
    known: HashMap<i32, StatEntry>,
    guard: Guard,
    victims: Vec<Victim>,
    seen: HashSet<i32>,
    groups: Vec<OwnedGroup>,
    outcome: StopOutcome,
    killing: bool,
}

impl Stopper<'_> {
    /// Pins `p` and signals it (TERM, or KILL once the grace is over). Each pid is taken once.
    fn take(&mut self, p: &ProcInfo) {
        if p.is_zombie() || !self.seen.insert(p.pid) {
            return;
        }
        if let Some(r) = self.guard.refusal(p) {
            if r != Refusal::Myself || p.pid != std::process::id() as i32 {
                self.outcome
                    .refused
                    .push((p.pid, p.command(), r.to_string()));
            }
            return;
        }
        let Ok(pin) = Pinned::open(Identity::of(p)) else {
            return;
        };
        // A snapshot's owner can be a cache's (`super::owners`): the pinned process's own, now.
        if super::owners::owner_now(p.pid).is_some_and(|uid| uid != self.guard.my_uid()) {
            self.outcome
                .refused
                .push((p.pid, p.command(), Refusal::OtherUser.to_string()));
            return;
        }
        let mut info = p.clone();
        if info.cmdline.is_empty() {
            // Found by a lean rescan: its command line, for the outcome and the journal.
            let mut one = Snapshot::from_procs(vec![info.clone()], 1, 0, 0.0);
            one.fill_cmdlines(|_| true);
            if let Some(q) = one.procs.remove(&info.pid) {
                info.cmdline = q.cmdline;
            }
        }
        if self.killing {
            pin.signal(Signal::SIGKILL);
        } else {
            pin.signal(Signal::SIGTERM);
            pin.signal(Signal::SIGCONT);
        }
        self.victims.push(Victim {
            pin,
            info,
            killed: self.killing,
            exited: false,
        });
    }

    /// Takes every descendant of a live victim and every member of an owned group.
    fn expand(&mut self, snap: &Snapshot) {
        let mut found: Vec<&ProcInfo> = Vec::new();
        if self.opts.descendants {
            for v in &self.victims {
                if v.exited {
                    continue;
                }
                // The victim's children as seen now, only if the pid is still the pinned process.
                if snap
                    .get(v.info.pid)
                    .is_some_and(|p| p.start_ticks == v.info.start_ticks)
                {
                    found.extend(
                        snap.descendants(v.info.pid)
                            .iter()
                            .filter_map(|d| snap.get(*d)),
                    );
                }
            }
        }
        for g in &self.groups {
            let leader = snap.get(g.pgid);
            let ours = match leader {
                Some(l) => l.start_ticks == g.leader_start,
                None => true,
            };
            if ours {
                found.extend(
                    snap.procs
                        .values()
                        .filter(|p| p.pgid == g.pgid && p.start_ticks >= g.leader_start),
                );
            }
        }
        let found: Vec<ProcInfo> = found.into_iter().cloned().collect();
        for p in &found {
            self.take(p);
        }
    }

    /// A fresh look for new members (see [`Rescan`]).
    fn look(&mut self) -> Result<Snapshot, ProcError> {
        if self.opts.rescan_by == Rescan::Trees {
            let live: Vec<i32> = self
                .victims
                .iter()
                .filter(|v| !v.exited)
                .map(|v| v.info.pid)
                .collect();
            let me = std::process::id() as i32;
            if let (Some(mut procs), Some(mine)) =
                (super::known::trees(&live), super::known::children(me))
            {
                procs.extend(super::known::read(&mine));
                return Ok(Snapshot::from_procs(procs, 1, 0, 0.0));
            }
        }
        self.rescan()
    }

    /// A fresh look at the table: the victims, every process whose parent is a victim or that is in
    /// one of the owned groups, and every process new or changed since the last look are read now;
    /// the rest (which the stop does not act on) are served from the last look.
    fn rescan(&mut self) -> Result<Snapshot, ProcError> {
        #[cfg(target_os = "linux")]
        {
            // The victims and their whole trees as last seen: whatever a look could take.
            let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
            for (pid, e) in &self.known {
                children.entry(e.ppid).or_default().push(*pid);
            }
            let mut tree: HashSet<i32> = HashSet::new();
            let mut todo: Vec<i32> = self.victims.iter().map(|v| v.info.pid).collect();
            while let Some(pid) = todo.pop() {
                if tree.insert(pid) {
                    todo.extend(children.get(&pid).into_iter().flatten());
                }
            }
            let groups: HashSet<i32> = self.groups.iter().map(|g| g.pgid).collect();
            let (listed, known) = super::envcache_ino::take_served(&self.known, |pid, e| {
                tree.contains(&pid) || tree.contains(&e.ppid) || groups.contains(&e.pgid)
            })?;
            self.known = known;
            Ok(listed.snapshot)
        }
        #[cfg(not(target_os = "linux"))]
        Snapshot::take_lean()
    }

    fn all_exited(&mut self) -> bool {
        let mut all = true;
        for v in &mut self.victims {
            if !v.exited {
                v.exited = !v.pin.is_running();
                all &= v.exited;
            }
        }
        all
    }

    /// Polls until everything exited or `until`; rescans for new members along the way.
    fn wait(&mut self, until: Instant) -> Result<bool, ProcError> {
        let mut next_scan = Instant::now() + self.opts.rescan;
        loop {
            if self.all_exited() {
                // One last look: something forked just before its parent died would be missed.
                // Lean: the tree and the groups need `stat` only, not every command line.
                let snap = self.look()?;
                let before = self.victims.len();
                self.expand(&snap);
                if self.victims.len() == before {
                    return Ok(true);
                }
                continue;
            }
            let now = Instant::now();
            if now >= until {
                return Ok(false);
            }
            if now >= next_scan {
                let snap = self.look()?;
                self.expand(&snap);
                next_scan = Instant::now() + self.opts.rescan;
            }
            std::thread::sleep(
                self.opts
                    .poll
                    .min(until.saturating_duration_since(Instant::now())),
            );
        }
    }
}

/// Stops the trees rooted at `targets` (see the module doc). Blocks until everything is gone or the
/// grace and the kill wait are over.
pub fn stop_trees(targets: &[StopTarget], opts: &StopOptions) -> Result<StopOutcome, ProcError> {
    stop_trees_seen(&Snapshot::take_lean()?, targets, opts)
}

/// [`stop_trees`] starting from a snapshot the caller just took (a session close decides from one
/// and need not read /proc again to begin). Safe with a slightly old snapshot: every target and
/// descendant is pinned and checked against its start time before a signal, and the rescans during
/// the wait find what was forked since.
pub fn stop_trees_seen(
    snap: &Snapshot,
    targets: &[StopTarget],
    opts: &StopOptions,
) -> Result<StopOutcome, ProcError> {
    stop_trees_listed(snap, &HashMap::new(), targets, opts)
}

/// [`stop_trees_seen`] with the /proc inodes of `snap`'s processes (from
/// [`super::envcache_ino::list`]): its rescans read only what changed since and what they act on.
/// The caller's snapshot must be exact for the trees and groups it stops (read again with
/// [`super::envcache_ino::refresh`] when it was served from a cache).
pub fn stop_trees_listed(
    snap: &Snapshot,
    inos: &HashMap<i32, u64>,
    targets: &[StopTarget],
    opts: &StopOptions,
) -> Result<StopOutcome, ProcError> {
    let started = Instant::now();
    let known = inos
        .iter()
        .filter_map(|(pid, ino)| snap.get(*pid).map(|p| (*pid, StatEntry::of(p, *ino))))
        .collect();
    let mut s = Stopper {
        known,
        opts,
        guard: Guard::for_self(snap),
        victims: Vec::new(),
        seen: HashSet::new(),
        groups: Vec::new(),
        outcome: StopOutcome::default(),
        killing: false,
    };
    for t in targets {
        match snap.get(t.identity.pid) {
            None => s.outcome.gone.push(t.identity),
            Some(p) if p.start_ticks != t.identity.start_ticks => {
                s.outcome.recycled.push(t.identity)
            }
            Some(p) if p.is_zombie() => s.outcome.gone.push(t.identity),
            Some(p) => {
                if t.pgid == Some(t.identity.pid) && s.guard.refusal(p).is_none() {
                    s.groups.push(OwnedGroup {
                        pgid: t.identity.pid,
                        leader_start: t.identity.start_ticks,
                    });
                }
                s.take(p);
            }
        }
    }
    // A leader the caller just saw exit may have left members in the group it led.
    for t in targets {
        let leader_gone = snap
            .get(t.identity.pid)
            .is_none_or(|p| p.start_ticks != t.identity.start_ticks || p.is_zombie());
        if leader_gone && t.leader_exited && t.pgid == Some(t.identity.pid) {
            s.groups.push(OwnedGroup {
                pgid: t.identity.pid,
                leader_start: t.identity.start_ticks,
            });
        }
    }
    s.expand(snap);

    let deadline = started + opts.grace;
    if !s.wait(deadline)? {
        s.killing = true;
        let snap = s.look()?;
        s.expand(&snap);
        for v in s.victims.iter_mut().filter(|v| !v.exited) {
            v.pin.signal(Signal::SIGKILL);
            v.killed = true;
        }
        s.wait(Instant::now() + opts.kill_wait)?;
    }
    s.all_exited();
    for v in &s.victims {
        s.outcome.stopped.push(Stopped {
            pid: v.info.pid,
            start_time: v.info.start_ticks,
            rss_bytes: v.info.rss_bytes,
            command: v.info.command(),
            ending: if !v.exited {
                Ending::Survived
            } else if v.killed {
                Ending::Kill
            } else {
                Ending::Term
            },
        });
    }
    s.outcome.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(s.outcome)
}
