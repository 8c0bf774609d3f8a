//! Reading known processes without a pass over /proc: the `stat` of named pids, and the trees under
//! them through `/proc/PID/task/TID/children`. This is what the daemon's stops read (fresh evidence of
//! identity for exactly what they may signal, and what those processes forked since the last sweep),
//! so a stop costs reads in proportion to its tree, not to the machine's process table. `None` when
//! the children files cannot be read (a kernel without `CONFIG_PROC_CHILDREN`, or not Linux): the
//! caller then makes a pass.
//!
//! Also counts the passes this process makes over /proc ([`passes`]): the daemon reports it, and a
//! test asserts that control requests leave it unchanged.

use std::sync::atomic::{AtomicU64, Ordering};

use super::ProcInfo;

static PASSES: AtomicU64 = AtomicU64::new(0);

/// Passes over the whole of /proc made by this process so far (full, lean and incremental).
pub fn passes() -> u64 {
    PASSES.load(Ordering::Relaxed)
}

/// Called by every pass over /proc.
pub(crate) fn count_pass() {
    PASSES.fetch_add(1, Ordering::Relaxed);
}

/// The processes `pids` as they are now (`stat` and owner, no command line); the gone are left out.
pub fn read(pids: &[i32]) -> Vec<ProcInfo> {
    #[cfg(target_os = "linux")]
    {
        let Ok(mut fs) = super::procfs::ProcFs::open(std::path::Path::new("/proc")) else {
            return Vec::new();
        };
        let mut buf = Vec::new();
        pids.iter()
            .filter_map(|pid| read_one(&mut fs, &mut buf, *pid))
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pids;
        Vec::new()
    }
}

#[cfg(target_os = "linux")]
fn read_one(fs: &mut super::procfs::ProcFs, buf: &mut Vec<u8>, pid: i32) -> Option<ProcInfo> {
    super::linux::read_stat(fs, pid, buf, super::linux::page_size()).map(|(p, _)| p)
}

/// The children of `pid` now, from every one of its threads; None when they cannot be read (gone
/// processes have none: `Some(empty)`).
pub fn children(pid: i32) -> Option<Vec<i32>> {
    let tasks = match std::fs::read_dir(format!("/proc/{pid}/task")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(_) => return None,
    };
    let mut out = Vec::new();
    for t in tasks.flatten() {
        let mut path = t.path();
        path.push("children");
        match std::fs::read_to_string(&path) {
            Ok(text) => out.extend(
                text.split_ascii_whitespace()
                    .filter_map(|c| c.parse::<i32>().ok()),
            ),
            // The thread ended meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
    }
    Some(out)
}

/// `roots` and everything under them now (`stat` only), read through the children files; None when
/// those cannot be read. A process that exits meanwhile is left out, with its children if it had not
/// been walked yet (they are reparented, and found by their group or a later look).
pub fn trees(roots: &[i32]) -> Option<Vec<ProcInfo>> {
    let mut seen = std::collections::HashSet::new();
    let mut todo: Vec<i32> = roots.to_vec();
    let mut out = Vec::new();
    while let Some(pid) = todo.pop() {
        if !seen.insert(pid) {
            continue;
        }
        let Some(p) = read(&[pid]).pop() else {
            continue;
        };
        todo.extend(children(pid)?);
        out.push(p);
    }
    Some(out)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_read_through_the_children_files_without_a_pass() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 1000 & wait"])
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        // The shell forks its sleep at some point after the spawn.
        let mut tree = Vec::new();
        for _ in 0..1000 {
            tree = trees(&[pid]).expect("children files");
            if tree.iter().any(|p| p.comm == "sleep") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let sleep = tree.iter().find(|p| p.comm == "sleep").expect("the sleep");
        assert_eq!(sleep.ppid, pid);
        assert_eq!(sleep.uid, super::super::my_uid());
        assert_eq!(tree.iter().find(|p| p.pid == pid).unwrap().comm, "sh");
        let sleep_pid = sleep.pid;
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(sleep_pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = child.kill();
        let _ = child.wait();
        assert!(read(&[-5]).is_empty());
    }
}
