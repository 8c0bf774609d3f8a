//! A process and a snapshot of the process table, as plain values. The pure decision modules (`sweep`,
//! `health`, session targets) take a [`Snapshot`]; tests build one from synthetic [`ProcInfo`]s with
//! [`Snapshot::from_procs`]. Reading the table (`Snapshot::take`) lives in `procs/`.

use std::collections::HashMap;
use std::time::Duration;

use super::env::EnvTags;

/// The `uid` of a process whose owner was not read (a pass that reads owners only where they
/// matter, `procs::owners`; a platform that does not say). No real user has it (`(uid_t)-1` means
/// "unchanged" to `setresuid`), so a process with it is never taken for this user's: never a
/// candidate, never read, never signalled.
pub const UID_UNREAD: u32 = u32::MAX;

/// One process, as seen at snapshot time.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub uid: u32,
    /// Start time in clock ticks since boot (Linux: field 22 of /proc/PID/stat); with `pid`, the
    /// process's identity.
    pub start_ticks: u64,
    pub rss_bytes: u64,
    /// The kernel's short name (`comm`), e.g. `node` or `tmux: server`.
    pub comm: String,
    /// The command line, one element per argument (empty for kernel threads).
    pub cmdline: Vec<String>,
    /// The state letter (`R`, `S`, `Z`...).
    pub state: char,
    /// `TMUX` and `MCPD_OWNER` from the environment, once `procs` loaded them
    /// (`Snapshot::load_env_tags`).
    pub env: Option<EnvTags>,
}

impl ProcInfo {
    /// The command line as one string, for display and pattern matching.
    pub fn command(&self) -> String {
        if self.cmdline.is_empty() {
            format!("[{}]", self.comm)
        } else {
            self.cmdline.join(" ")
        }
    }

    /// True for a kernel thread: kthreadd (pid 2) and its children, which have no command line,
    /// environment or descriptors of a user.
    pub fn is_kernel_thread(&self) -> bool {
        self.pid == 2 || self.ppid == 2
    }

    /// True for a zombie: exited, waiting to be reaped; it holds no memory and cannot be signalled.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// The process table at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub procs: HashMap<i32, ProcInfo>,
    /// Children of each pid, sorted by pid.
    pub children: HashMap<i32, Vec<i32>>,
    /// Clock ticks per second (to turn `start_ticks` into time).
    pub ticks_per_sec: u64,
    /// Boot time, seconds since the epoch.
    pub boot_time: u64,
    /// When the snapshot was taken, seconds since the epoch (fractional).
    pub taken_at: f64,
}

impl Snapshot {
    /// Builds a snapshot from plain values (tests and the portable path).
    pub fn from_procs(
        procs: Vec<ProcInfo>,
        ticks_per_sec: u64,
        boot_time: u64,
        taken_at: f64,
    ) -> Snapshot {
        let procs: HashMap<i32, ProcInfo> = procs.into_iter().map(|p| (p.pid, p)).collect();
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for p in procs.values() {
            if p.pid != p.ppid {
                children.entry(p.ppid).or_default().push(p.pid);
            }
        }
        for v in children.values_mut() {
            v.sort_unstable();
        }
        Snapshot {
            procs,
            children,
            ticks_per_sec: ticks_per_sec.max(1),
            boot_time,
            taken_at,
        }
    }

    pub fn get(&self, pid: i32) -> Option<&ProcInfo> {
        self.procs.get(&pid)
    }

    /// How long `p` has been running at snapshot time.
    pub fn age(&self, p: &ProcInfo) -> Duration {
        let started = self.boot_time as f64 + p.start_ticks as f64 / self.ticks_per_sec as f64;
        Duration::from_secs_f64((self.taken_at - started).max(0.0))
    }

    /// The pids of `pid`'s children.
    pub fn children_of(&self, pid: i32) -> &[i32] {
        self.children.get(&pid).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every descendant of `pid` (not `pid` itself), parents before children.
    pub fn descendants(&self, pid: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::from([pid]);
        let mut stack: Vec<i32> = self.children_of(pid).iter().rev().copied().collect();
        while let Some(p) = stack.pop() {
            if !seen.insert(p) {
                continue; // a cycle can only come from a torn read; never loop on it
            }
            out.push(p);
            stack.extend(self.children_of(p).iter().rev());
        }
        out
    }

    /// The ancestors of `pid`, nearest first, ending at a process whose parent is unknown (pid 1's is 0).
    pub fn ancestors(&self, pid: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut cur = self.get(pid).map(|p| p.ppid);
        while let Some(pp) = cur {
            if pp <= 0 || out.contains(&pp) || out.len() > 4096 {
                break;
            }
            out.push(pp);
            cur = self.get(pp).map(|p| p.ppid);
        }
        out
    }

    /// Total RSS of `pid` and its descendants.
    pub fn tree_rss(&self, pid: i32) -> u64 {
        let own = self.get(pid).map_or(0, |p| p.rss_bytes);
        own + self
            .descendants(pid)
            .iter()
            .filter_map(|d| self.get(*d))
            .map(|p| p.rss_bytes)
            .sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32) -> ProcInfo {
        ProcInfo::new(pid, ppid, &[]).with_comm("x")
    }

    #[test]
    fn tree_walks() {
        let s = Snapshot::from_procs(
            vec![p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 10)],
            100,
            0,
            0.0,
        );
        assert_eq!(s.descendants(10), vec![11, 12, 13]);
        assert_eq!(s.ancestors(12), vec![11, 10, 1]);
        assert!(s.descendants(12).is_empty());
    }

    #[test]
    fn age_uses_ticks_and_boot_time() {
        let mut q = p(5, 1);
        q.start_ticks = 1000; // 10 s after boot at 100 Hz
        let s = Snapshot::from_procs(vec![q.clone()], 100, 1_000, 1_070.0);
        assert_eq!(s.age(&q).as_secs(), 60);
    }

    #[test]
    fn cycles_from_torn_reads_terminate() {
        let s = Snapshot::from_procs(vec![p(20, 21), p(21, 20)], 100, 0, 0.0);
        assert_eq!(s.ancestors(20), vec![21, 20]);
        assert_eq!(s.descendants(20), vec![21]);
        assert_eq!(s.descendants(21), vec![20]);
    }
}
