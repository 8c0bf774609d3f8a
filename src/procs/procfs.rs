//! Lean reads of /proc (Linux): one `openat` relative to an open /proc directory, as few `read(2)`s as
//! procfs allows into a buffer the caller reuses, and `close`. No `statx` or `lseek` per file (what
//! `std::fs::read` adds to size its buffer), no path walk from `/` per file.
//!
//! A procfs read shorter than the space offered means the end of the file: `stat` is generated whole
//! at the first read, and `cmdline`/`environ` copy until the count or the end of the area. So a file that
//! fits the buffer costs exactly one read. The same code reads a fixture directory in tests (regular
//! files behave the same way).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{Mode, OFlags};

/// Room given to the first read of a file (most `stat`, `cmdline` and `environ` files fit).
const FIRST_READ: usize = 16 * 1024;

/// An open /proc (or a /proc-like fixture directory).
pub(crate) struct ProcFs {
    dir: OwnedFd,
    /// `PID/file`, rebuilt for every open (reused: no allocation per file).
    path: String,
}

impl ProcFs {
    /// Opens the directory that holds the `PID/` entries.
    pub(crate) fn open(root: &Path) -> io::Result<ProcFs> {
        let dir = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ProcFs {
            dir,
            path: String::with_capacity(32),
        })
    }

    /// The numeric entries (pids), in directory order.
    pub(crate) fn pids(&self) -> io::Result<Vec<i32>> {
        Ok(self.pids_ino()?.into_iter().map(|(pid, _)| pid).collect())
    }

    /// The numeric entries with the inode number `getdents` gives for each (no `stat` per entry).
    /// On procfs the inode of /proc/PID stays the same while the process lives (its dentry is
    /// cached), and a pid used again is a new inode: the kernel flushes a process's /proc entries
    /// when it exits. A dentry evicted under memory pressure comes back with a new inode for the
    /// same process, which only makes a caller read it again.
    pub(crate) fn pids_ino(&self) -> io::Result<Vec<(i32, u64)>> {
        let mut out = Vec::with_capacity(1024);
        let dir = rustix::fs::Dir::read_from(&self.dir)?;
        for entry in dir {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name.first().is_some_and(u8::is_ascii_digit)
                && let Some(pid) = std::str::from_utf8(name)
                    .ok()
                    .and_then(|n| n.parse::<i32>().ok())
            {
                out.push((pid, entry.ino()));
            }
        }
        Ok(out)
    }

    /// Reads `PID/file` whole into the start of `buf` and returns its length, at most `limit` bytes
    /// (what is past it is left unread: memory stays bounded whatever a process puts in its arguments
    /// or environment). `buf` only grows (it is scratch space: its length is its room, so nothing is
    /// zeroed again per file). With `want_uid`, also returns the owner of the file, which for
    /// /proc/PID/* is the process's effective uid.
    pub(crate) fn read(
        &mut self,
        pid: i32,
        file: &str,
        buf: &mut Vec<u8>,
        limit: usize,
        want_uid: bool,
    ) -> io::Result<(usize, Option<u32>)> {
        use std::fmt::Write;
        self.path.clear();
        let _ = write!(self.path, "{pid}/{file}");
        let fd = rustix::fs::openat(
            &self.dir,
            self.path.as_str(),
            OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )?;
        let len = read_all(fd.as_fd(), buf, limit)?;
        let uid = if want_uid {
            Some(rustix::fs::fstat(&fd)?.st_uid)
        } else {
            None
        };
        Ok((len, uid))
    }

    /// The owner of `PID` (the process's effective uid, or root while it is not dumpable): one
    /// `statx` of its /proc directory, relative to the open /proc.
    pub(crate) fn owner(&mut self, pid: i32) -> io::Result<u32> {
        use std::fmt::Write;
        self.path.clear();
        let _ = write!(self.path, "{pid}");
        Ok(rustix::fs::statat(&self.dir, self.path.as_str(), rustix::fs::AtFlags::empty())?.st_uid)
    }
}

/// Reads until a short read (the end, on procfs and regular files) or `limit`; returns the length.
fn read_all(fd: std::os::fd::BorrowedFd<'_>, buf: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let mut len = 0;
    loop {
        if buf.len() <= len {
            // Full: grow (once; a reused buffer keeps its size), unless at the limit.
            let want = buf.len().max(FIRST_READ / 2).saturating_mul(2).min(limit);
            if want <= len {
                break;
            }
            buf.resize(want, 0);
        }
        let room = buf.len().min(limit);
        if room <= len {
            break;
        }
        let n = loop {
            match rustix::io::read(fd, &mut buf[len..room]) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r?,
            }
        };
        len += n;
        if n == 0 || len < room {
            break;
        }
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (path, body) in files {
            let p = d.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        d
    }

    #[test]
    fn lists_only_numeric_entries() {
        let d = fixture(&[
            ("12/stat", b"x"),
            ("7/stat", b"x"),
            ("self/stat", b"x"),
            ("1x/stat", b"x"),
        ]);
        std::fs::write(d.path().join("99"), b"a file, not a process: still listed").unwrap();
        let fs = ProcFs::open(d.path()).unwrap();
        let mut pids = fs.pids().unwrap();
        pids.sort_unstable();
        assert_eq!(pids, vec![7, 12, 99]);
        use std::os::unix::fs::MetadataExt;
        for (pid, ino) in fs.pids_ino().unwrap() {
            let meta = std::fs::symlink_metadata(d.path().join(pid.to_string())).unwrap();
            assert_eq!(ino, meta.ino(), "the entry's own inode, for {pid}");
        }
    }

    #[test]
    fn reads_small_large_and_limited_files_into_a_reused_buffer() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let d = fixture(&[("5/cmdline", b"node\0x.js\0"), ("5/environ", &big)]);
        let mut fs = ProcFs::open(d.path()).unwrap();
        let mut buf = Vec::new();
        let (n, uid) = fs.read(5, "cmdline", &mut buf, 1 << 20, true).unwrap();
        assert_eq!(&buf[..n], b"node\0x.js\0");
        assert_eq!(uid, Some(nix::unistd::geteuid().as_raw()));
        let (n, uid) = fs.read(5, "environ", &mut buf, 1 << 20, false).unwrap();
        assert_eq!(uid, None);
        assert_eq!(
            &buf[..n],
            big,
            "a file larger than the first read is read whole"
        );
        let (n, _) = fs.read(5, "environ", &mut buf, 20_000, false).unwrap();
        assert_eq!(&buf[..n], &big[..20_000], "the limit bounds what is read");
        let (n, _) = fs.read(5, "cmdline", &mut buf, 1 << 20, false).unwrap();
        assert_eq!(
            &buf[..n],
            b"node\0x.js\0",
            "only the new file's bytes count"
        );
        assert!(fs.read(6, "cmdline", &mut buf, 1 << 20, false).is_err());
    }

    #[test]
    fn reads_real_proc_files_of_this_process() {
        let mut fs = ProcFs::open(Path::new("/proc")).unwrap();
        let me = std::process::id() as i32;
        assert!(fs.pids().unwrap().contains(&me));
        // /proc/PID's inode, from the listing alone, is the one `stat` gives, and stays the same.
        use std::os::unix::fs::MetadataExt;
        let ino = |l: Vec<(i32, u64)>| l.into_iter().find(|(p, _)| *p == me).map(|(_, i)| i);
        let first = ino(fs.pids_ino().unwrap()).unwrap();
        assert_eq!(
            first,
            std::fs::metadata(format!("/proc/{me}")).unwrap().ino()
        );
        assert_eq!(ino(fs.pids_ino().unwrap()), Some(first));
        let mut buf = Vec::new();
        let (n, _) = fs.read(me, "cmdline", &mut buf, 1 << 20, false).unwrap();
        assert_eq!(
            buf[..n],
            std::fs::read(format!("/proc/{me}/cmdline")).unwrap()
        );
        let (n, _) = fs.read(me, "environ", &mut buf, 8 << 20, false).unwrap();
        assert_eq!(
            buf[..n],
            std::fs::read(format!("/proc/{me}/environ")).unwrap()
        );
    }
}
