//! Owners, read only where nothing already knows them. Reading every process's owner in a pass costs
//! one more system call per process (an `fstat` of its `stat`), a seventh beside the six of reading
//! `stat` and `cmdline` at all (BENCHMARKS.md, issue 16). So the commands' pass (`status`, `ps`,
//! `clean`, `reconcile`, the dashboard) leaves owners unread ([`UID_UNREAD`]), and then:
//! - a process the environment-tag cache knows in this very image (same pid, start time, `comm` and
//!   command line) is this user's: the cache only ever holds processes read as this user's
//!   ([`EnvCache::insert`]), and only a privileged process can change its owner without an `exec`;
//! - every other process has its owner read now (one `statx` of /proc/PID).
//!
//! What this can get wrong is a process running as root whose cached image later dropped to another
//! user without an `exec`, seen by mcpd running as root. A stop never trusts a snapshot's owner: it
//! reads the owner of each process again once the process is pinned ([`owner_now`], used by
//! `procs::stop`).

use super::envcache::EnvCache;
use super::snapshot::{Snapshot, UID_UNREAD};

/// Gives every process of `snap` with an unread owner its owner: `my_uid` for the images `cache`
/// knows, read from /proc for the rest. A process gone before its owner is read keeps
/// [`UID_UNREAD`], which nothing takes for this user's.
pub fn settle(snap: &mut Snapshot, cache: Option<&EnvCache>, my_uid: u32) {
    let mut unread = Vec::new();
    for p in snap.procs.values_mut().filter(|p| p.uid == UID_UNREAD) {
        if cache.is_some_and(|c| c.knows(p)) {
            p.uid = my_uid;
        } else {
            unread.push(p.pid);
        }
    }
    if unread.is_empty() {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Ok(mut fs) = super::procfs::ProcFs::open(std::path::Path::new("/proc")) {
        for pid in unread {
            if let (Ok(uid), Some(p)) = (fs.owner(pid), snap.procs.get_mut(&pid)) {
                p.uid = uid;
            }
        }
    }
}

/// The owner of `pid` now (its effective uid, or root while it is not dumpable), or None when it is
/// gone or the platform cannot say.
pub fn owner_now(pid: i32) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        let mut fs = super::procfs::ProcFs::open(std::path::Path::new("/proc")).ok()?;
        fs.owner(pid).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

#[cfg(test)]
mod tests;
