//! Incremental passes for the daemon's sweeps: a process that has not changed since the last pass is
//! served from memory, without reading its `stat` or its command line.
//!
//! **What "unchanged" means.** A pass lists /proc with the inode number `getdents` gives for each
//! /proc/PID (no `stat` per entry). That inode stays the same while the process lives, and a pid
//! used again is a new inode (the kernel flushes a process's /proc entries when it exits; a dentry
//! evicted under memory pressure comes back with a new inode, which only makes us read it again). A
//! process keeps what was read of it when all of these hold:
//! - same pid and same inode as in the last pass: the same process;
//! - its parent (as remembered) is listed with the inode remembered for it: a parent pid changes
//!   only when the parent dies, and the child is then reparented (a reaped parent's pid is gone or
//!   is another inode);
//! - it is not in the set the caller reads every time (`reread`: in the sweep, every interpreter,
//!   launcher, wrapper and MCP-like process, `crate::judge::reread`), nor in the trees the caller
//!   names (`trees`: the daemon's own servers, whose memory `max_rss` acts on);
//! - its turn in the refresh has not come (below).
//!
//! **What can be stale, and why that is safe.** What a plain process can change without a new inode:
//! its memory (figures only), its group or session (`setsid`), its name or command line (`exec`,
//! `prctl`), its state (it exits and stays a zombie while its parent does not reap it; its children
//! are then reparented while it is still listed). None of these can make a stop on its own: a stale
//! plain process is at worst missed as a candidate (it exec'd into a server), or taken as the owner
//! of a chain it no longer owns. Stops never rest on this: a sweep that would stop anything takes a
//! full pass ([`Images::take_full`]) and judges again on it, and the stop itself checks every
//! process's identity (pid and start time) before signalling it.
//!
//! **The refresh bounds staleness.** Every process is read again once per refresh period (60 s by
//! default, `MCPD_SWEEP_REFRESH_SECS`), each at its own phase (a hash of its pid), so the work is
//! spread evenly over the sweeps instead of one full pass now and then: a pass reads about
//! interval / period of the table on top of what changed. A pass that comes a whole period or more
//! after the previous one reads everything. 60 s matches the default `orphan_min_age`: a lineage
//! orphan is not stopped younger than that anyway, and a server that a plain process exec'd into is
//! judged within one period and one sweep.
//!
//! **Command lines** of the processes whose `stat` was read are served from memory too when the
//! process image is the same: pid, inode, start time, `comm` and where its argument and environment
//! blocks lie (an `exec` places them anew). A command line can change without an `exec`
//! (`process.title`), which is why `reread` sees them read every time.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::{ProcError, ProcInfo, Snapshot};

/// How often every process is read again at the latest, unless `MCPD_SWEEP_REFRESH_SECS` says.
pub const REFRESH: Duration = Duration::from_secs(60);

/// What a pass remembers of one process.
#[derive(Clone, Debug)]
struct Known {
    /// The inode of its /proc/PID entry.
    ino: u64,
    /// As read (without environment tags: the snapshot's caller loads those through its cache).
    info: ProcInfo,
    /// Where its argument and environment blocks lie (`stat` fields 48-51).
    layout: [u64; 4],
    /// The last pass that listed it.
    seen: u64,
}

/// What earlier passes read of each process, and what the last pass read or served.
#[derive(Clone, Debug)]
pub struct Images {
    by_pid: HashMap<i32, Known>,
    /// Every process is read again once per this period (zero: every pass reads everything).
    refresh: Duration,
    clock: Instant,
    /// When the last pass listed /proc (since `clock`).
    last_pass: Option<Duration>,
    /// Passes made.
    generation: u64,
    /// Command lines read and served from memory over the last pass (for tests and the bench).
    pub last_read: usize,
    pub last_served: usize,
    /// `stat` files read, and processes served whole from memory, over the last pass.
    pub stat_read: usize,
    pub stat_skipped: usize,
    /// Whether the last pass read every process's `stat`.
    pub last_full: bool,
}

impl Default for Images {
    fn default() -> Images {
        Images::with_refresh(refresh_from_env())
    }
}

/// `MCPD_SWEEP_REFRESH_SECS` (whole seconds; 0: no incremental passes), else [`REFRESH`].
fn refresh_from_env() -> Duration {
    match std::env::var("MCPD_SWEEP_REFRESH_SECS") {
        Ok(v) => v
            .trim()
            .parse()
            .map(Duration::from_secs)
            .unwrap_or_else(|_| {
                tracing::warn!(
                    "MCPD_SWEEP_REFRESH_SECS={v:?} is not a number of seconds; using {} s",
                    REFRESH.as_secs()
                );
                REFRESH
            }),
        Err(_) => REFRESH,
    }
}

/// What one pass is asked for.
struct Ask<'a> {
    reread: &'a dyn Fn(&ProcInfo) -> bool,
    trees: &'a [i32],
    full: bool,
}

impl Images {
    pub fn new() -> Images {
        Images::default()
    }

    /// Images whose processes are all read again at least once per `refresh`.
    pub fn with_refresh(refresh: Duration) -> Images {
        Images {
            by_pid: HashMap::new(),
            refresh,
            clock: Instant::now(),
            last_pass: None,
            generation: 0,
            last_read: 0,
            last_served: 0,
            stat_read: 0,
            stat_skipped: 0,
            last_full: false,
        }
    }

    pub fn len(&self) -> usize {
        self.by_pid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pid.is_empty()
    }

    /// One incremental pass over /proc (see the module): `reread` names the processes read every
    /// time (it sees a process as remembered), `trees` the roots whose whole trees are.
    pub fn take(
        &mut self,
        reread: &dyn Fn(&ProcInfo) -> bool,
        trees: &[i32],
    ) -> Result<Snapshot, ProcError> {
        self.take_asked(&Ask {
            reread,
            trees,
            full: false,
        })
    }

    /// A pass that reads every process's `stat` (command lines still only of new images and of
    /// what `reread` names): what a stop is decided on.
    pub fn take_full(&mut self, reread: &dyn Fn(&ProcInfo) -> bool) -> Result<Snapshot, ProcError> {
        self.take_asked(&Ask {
            reread,
            trees: &[],
            full: true,
        })
    }

    /// A pass over /proc, now.
    fn take_asked(&mut self, ask: &Ask) -> Result<Snapshot, ProcError> {
        super::known::count_pass();
        let now = self.clock.elapsed();
        self.pass(std::path::Path::new("/proc"), ask, now)
    }

    #[cfg(not(target_os = "linux"))]
    fn pass(
        &mut self,
        _root: &std::path::Path,
        _ask: &Ask,
        now: Duration,
    ) -> Result<Snapshot, ProcError> {
        let snap = Snapshot::take()?;
        self.last_pass = Some(now);
        (self.stat_read, self.stat_skipped, self.last_full) = (snap.procs.len(), 0, true);
        (self.last_read, self.last_served) = (snap.procs.len(), 0);
        Ok(snap)
    }

    /// One pass over a /proc-like directory at time `now` (tests give both).
    #[cfg(target_os = "linux")]
    fn pass(
        &mut self,
        root: &std::path::Path,
        ask: &Ask,
        now: Duration,
    ) -> Result<Snapshot, ProcError> {
        use super::linux;
        let err = |source| ProcError::Read {
            path: root.display().to_string(),
            source,
        };
        let mut fs = super::procfs::ProcFs::open(root).map_err(err)?;
        let listing = fs.pids_ino().map_err(err)?;
        let prev = self.last_pass.replace(now);
        let everything = ask.full
            || self.refresh.is_zero()
            || prev.is_none_or(|p| now.saturating_sub(p) >= self.refresh);
        // Decided first, on the old memory as it is; then entries move to the new one.
        let keep: Vec<bool> = if everything {
            vec![false; listing.len()]
        } else {
            let listed: HashMap<i32, u64> = listing.iter().copied().collect();
            let fresh = self.trees_of(ask.trees);
            let prev = prev.unwrap_or_default();
            listing
                .iter()
                .map(|&(pid, ino)| {
                    self.unchanged(pid, ino, &listed)
                        && !fresh.contains(&pid)
                        && !due(pid, self.refresh, prev, now)
                        && !(ask.reread)(&self.by_pid[&pid].info)
                })
                .collect()
        };
        // Entries are updated in place (no moving them about); those not listed are dropped below.
        self.generation += 1;
        let generation = self.generation;
        (self.last_read, self.last_served) = (0, 0);
        (self.stat_read, self.stat_skipped) = (0, 0);
        let page = linux::page_size();
        let mut procs = Vec::with_capacity(listing.len());
        let mut buf = Vec::new();
        for (&(pid, ino), keep) in listing.iter().zip(keep) {
            if keep && let Some(k) = self.by_pid.get_mut(&pid) {
                self.stat_skipped += 1;
                k.seen = generation;
                procs.push(k.info.clone());
                continue;
            }
            self.stat_read += 1;
            // A process can exit at any point below; it is then simply not in the snapshot.
            let Some((mut p, layout)) = linux::read_stat(&mut fs, pid, &mut buf, page) else {
                continue;
            };
            let same_image = self.by_pid.get(&pid).filter(|k| {
                k.ino == ino
                    && k.info.start_ticks == p.start_ticks
                    && k.layout == layout
                    && k.info.comm == p.comm
            });
            let read = match same_image {
                Some(k) => {
                    p.cmdline.clone_from(&k.info.cmdline);
                    (ask.reread)(&p)
                }
                None => true,
            };
            if read {
                p.cmdline = linux::read_cmdline(&mut fs, pid, &mut buf);
                self.last_read += 1;
            } else {
                self.last_served += 1;
            }
            procs.push(p.clone());
            self.by_pid.insert(
                pid,
                Known {
                    ino,
                    info: p,
                    layout,
                    seen: generation,
                },
            );
        }
        if self.by_pid.len() > procs.len() {
            self.by_pid.retain(|_, k| k.seen == generation);
        }
        self.last_full = self.stat_skipped == 0;
        Ok(linux::snapshot_of(procs))
    }

    /// True when `pid` is listed with the inode remembered for it, and so is its parent.
    fn unchanged(&self, pid: i32, ino: u64, listed: &HashMap<i32, u64>) -> bool {
        let Some(k) = self.by_pid.get(&pid) else {
            return false;
        };
        let parent_same = || {
            let ppid = k.info.ppid;
            // PID 1's and kthreadd's parent (0) is no process.
            ppid <= 0
                || self
                    .by_pid
                    .get(&ppid)
                    .is_some_and(|pk| listed.get(&ppid) == Some(&pk.ino))
        };
        ino != 0 && k.ino == ino && parent_same()
    }

    /// `roots` and every process under them, as remembered.
    fn trees_of(&self, roots: &[i32]) -> HashSet<i32> {
        let mut out: HashSet<i32> = roots.iter().copied().collect();
        if roots.is_empty() {
            return out;
        }
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (pid, k) in &self.by_pid {
            children.entry(k.info.ppid).or_default().push(*pid);
        }
        let mut stack: Vec<i32> = roots.to_vec();
        while let Some(p) = stack.pop() {
            for c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                if out.insert(*c) {
                    stack.push(*c);
                }
            }
        }
        out
    }
}

/// True when `pid`'s turn to be read again came between passes at `prev` and `now`: once per
/// `period`, at a phase of its own (a hash of the pid), so that the table is read again evenly
/// spread over the passes of a period.
fn due(pid: i32, period: Duration, prev: Duration, now: Duration) -> bool {
    let t = period.as_millis().max(1) as u64;
    let phase = ((pid as u32 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % t;
    let turns = |at: Duration| (at.as_millis() as u64 + t - phase) / t;
    turns(now) > turns(prev)
}

#[cfg(test)]
#[path = "incremental_tests.rs"]
mod tests;
