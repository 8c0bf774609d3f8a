//! Reading the process table into a [`Snapshot`] (the plain value lives in `crate::model`), and
//! loading the environment tags of chosen processes through the cache.

use std::time::{SystemTime, UNIX_EPOCH};

use super::envcache::EnvCache;
use super::{EnvTags, ProcError, environ};

pub use crate::model::{ProcInfo, Snapshot, UID_UNREAD};

impl Snapshot {
    /// Reads the whole process table once (Linux: /proc directly; elsewhere: sysinfo).
    pub fn take() -> Result<Snapshot, ProcError> {
        super::known::count_pass();
        #[cfg(target_os = "linux")]
        {
            super::linux::take()
        }
        #[cfg(not(target_os = "linux"))]
        {
            super::portable::take()
        }
    }

    /// A full pass that leaves owners unread ([`UID_UNREAD`], kernel threads' aside) until
    /// [`super::owners::settle`], which [`super::envcache::load_through_file`] runs: one system call
    /// per process fewer. Elsewhere than Linux: a full pass.
    pub fn take_owners_later() -> Result<Snapshot, ProcError> {
        super::known::count_pass();
        #[cfg(target_os = "linux")]
        {
            super::linux::take_owners_later()
        }
        #[cfg(not(target_os = "linux"))]
        {
            super::portable::take()
        }
    }

    /// A lean pass: every process's `stat` and owner, but no command lines (empty until
    /// [`Snapshot::fill_cmdlines`]). Enough for the tree, identities, groups, memory and the guard
    /// (which goes by `comm`); what needs a command line (the matcher, the tag cache's fingerprint,
    /// display) fills it in for the few processes it looks at. Elsewhere than Linux: a full pass.
    pub fn take_lean() -> Result<Snapshot, ProcError> {
        super::known::count_pass();
        #[cfg(target_os = "linux")]
        {
            super::linux::take_lean()
        }
        #[cfg(not(target_os = "linux"))]
        {
            super::portable::take()
        }
    }

    /// Reads the command lines a lean pass left out, for the processes `want` selects (zombies and
    /// kernel threads have none to read).
    pub fn fill_cmdlines(&mut self, want: impl Fn(&ProcInfo) -> bool) {
        #[cfg(target_os = "linux")]
        super::linux::fill_cmdlines(self, want);
        #[cfg(not(target_os = "linux"))]
        let _ = want;
    }

    /// The portable (sysinfo) path, also available on Linux so it can be checked against /proc.
    pub fn take_portable() -> Result<Snapshot, ProcError> {
        super::portable::take()
    }

    /// Loads the environment tags of the processes `want` selects (reading /proc/PID/environ is only
    /// possible for our own processes, and costs a read each, so callers pick).
    pub fn load_env_tags(&mut self, want: impl Fn(&ProcInfo) -> bool) {
        let mut cache = EnvCache::new(self.boot_time);
        self.load_env_tags_cached(&mut cache, want);
    }

    /// [`Snapshot::load_env_tags`] through `cache`: only processes it has not seen in this image are
    /// read; entries of processes that are gone or recycled are dropped from it.
    pub fn load_env_tags_cached(&mut self, cache: &mut EnvCache, want: impl Fn(&ProcInfo) -> bool) {
        let procs = &self.procs;
        cache.retain_live(self.boot_time, |pid, start| {
            procs.get(&pid).is_some_and(|p| p.start_ticks == start)
        });
        let under_manager: std::collections::HashSet<i32> = self
            .procs
            .values()
            .filter(|p| {
                self.procs
                    .get(&p.ppid)
                    .is_some_and(|pp| pp.comm == "systemd")
            })
            .map(|p| p.pid)
            .collect();
        let mut reader = environ::Reader::new();
        for p in self.procs.values_mut() {
            if p.env.is_some() || !want(p) {
                continue;
            }
            let need_unit = under_manager.contains(&p.pid);
            if let Some(tags) = cache.get(p, need_unit) {
                let mut tags = tags.clone();
                if !need_unit {
                    tags.unit = None; // looked up while it was a service manager's child; not now
                }
                p.env = Some(tags);
                continue;
            }
            let read = reader.as_mut().and_then(|r| r.read(p.pid));
            let mut tags = read.clone().unwrap_or_default();
            if need_unit {
                tags.unit = EnvTags::read_unit(p.pid);
            }
            // Only what was read is remembered: an unreadable environment is tried again next time.
            if read.is_some() {
                cache.insert(p, tags.clone(), need_unit);
            }
            p.env = Some(tags);
        }
    }
}

/// Seconds since the epoch, now.
pub fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
