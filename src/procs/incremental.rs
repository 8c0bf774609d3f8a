//! Incremental passes for the daemon's sweeps: every pass reads every process's `stat` (parents,
//! groups, memory and state change all the time), but a command line only for a process image it has
//! not seen, or when the caller asks for it. A process image is its pid, start time, `comm` and where
//! its argument and environment blocks lie (an `exec` changes the last two, and usually `comm`).
//!
//! A command line can also change without an `exec` (node's `process.title`, setproctitle), so the
//! caller names the processes whose command lines must be read every time: in the sweep, every
//! interpreter, launcher, wrapper and MCP-like process (`crate::judge::reread`), that is, every
//! process whose command line could make a stop. What is served from memory is only ever an image
//! that ran a plain program that is not MCP-like: if it retitled itself since, it is at worst
//! missed as a candidate or taken as an owner, never stopped on a stale name.

use std::collections::HashMap;

use super::{ProcError, ProcInfo, Snapshot};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Image {
    start_ticks: u64,
    comm: String,
    layout: [u64; 4],
    cmdline: Vec<String>,
}

/// The command lines of the process images seen by earlier passes.
#[derive(Clone, Debug, Default)]
pub struct Images {
    by_pid: HashMap<i32, Image>,
    /// Command lines read and served from memory over the last pass (for tests and the bench).
    pub last_read: usize,
    pub last_served: usize,
}

impl Images {
    pub fn new() -> Images {
        Images::default()
    }

    pub fn len(&self) -> usize {
        self.by_pid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pid.is_empty()
    }

    /// One pass over /proc: `stat` of every process, the command line of the images not seen before
    /// and of those `reread` selects (it sees the process with its remembered command line).
    pub fn take(&mut self, reread: &dyn Fn(&ProcInfo) -> bool) -> Result<Snapshot, ProcError> {
        self.last_read = 0;
        self.last_served = 0;
        super::known::count_pass();
        #[cfg(target_os = "linux")]
        {
            super::linux::take_some(
                std::path::Path::new("/proc"),
                super::linux::Cmdlines::Memo(self, reread),
            )
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = reread;
            Snapshot::take()
        }
    }

    /// The remembered command line of `p`'s image, if this very image was seen.
    pub(crate) fn recall(&self, p: &ProcInfo, layout: [u64; 4]) -> Option<&[String]> {
        self.by_pid
            .get(&p.pid)
            .filter(|i| i.start_ticks == p.start_ticks && i.layout == layout && i.comm == p.comm)
            .map(|i| i.cmdline.as_slice())
    }

    /// Remembers the command line just read for `p`.
    pub(crate) fn remember(&mut self, p: &ProcInfo, layout: [u64; 4]) {
        self.last_read += 1;
        self.by_pid.insert(
            p.pid,
            Image {
                start_ticks: p.start_ticks,
                comm: p.comm.clone(),
                layout,
                cmdline: p.cmdline.clone(),
            },
        );
    }

    /// Forgets the images of processes not in this pass.
    pub(crate) fn forget_gone(&mut self, seen: &[ProcInfo]) {
        if self.by_pid.len() <= seen.len() && seen.iter().all(|p| self.by_pid.contains_key(&p.pid))
        {
            return;
        }
        let live: std::collections::HashSet<i32> = seen.iter().map(|p| p.pid).collect();
        self.by_pid.retain(|pid, _| live.contains(pid));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_pass_reads_only_what_it_is_asked_to() {
        let me = std::process::id() as i32;
        let mut images = Images::new();
        let first = images.take(&|_| false).unwrap();
        assert!(images.last_read > 0 && images.last_served == 0);
        let second = images.take(&|p| p.pid == me).unwrap();
        // Everything that lived through both passes was served, except this process, read again.
        assert!(images.last_served > 0, "served from memory");
        assert!(images.last_read >= 1, "this process was read again");
        assert_eq!(
            second.get(me).unwrap().cmdline,
            first.get(me).unwrap().cmdline
        );
        let full = Snapshot::take().unwrap();
        assert_eq!(
            second.get(me).unwrap().cmdline,
            full.get(me).unwrap().cmdline
        );
        assert_eq!(images.len(), second.procs.len());
    }

    #[test]
    fn a_new_image_is_read_again() {
        let me = ProcInfo {
            pid: 7,
            start_ticks: 70,
            comm: "sh".into(),
            cmdline: vec!["sh".into(), "-c".into(), "exec x".into()],
            ..Default::default()
        };
        let mut images = Images::new();
        images.remember(&me, [1, 2, 3, 4]);
        assert_eq!(
            images.recall(&me, [1, 2, 3, 4]).map(<[String]>::len),
            Some(3)
        );
        // exec: new argument and environment blocks (and usually a new comm).
        assert!(images.recall(&me, [5, 6, 7, 8]).is_none());
        let mut execd = me.clone();
        execd.comm = "x".into();
        assert!(images.recall(&execd, [1, 2, 3, 4]).is_none());
        // A recycled pid: another start time.
        let mut other = me.clone();
        other.start_ticks = 71;
        assert!(images.recall(&other, [1, 2, 3, 4]).is_none());
        images.forget_gone(&[]);
        assert!(images.is_empty());
    }
}
