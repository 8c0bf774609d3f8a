//! Reading file descriptors out of /proc: what a candidate's stdin and stdout are (`readlink
//! /proc/PID/fd/N`, the access mode from `/proc/PID/fdinfo/N`), and one pass over the scanned processes'
//! descriptors that collects the holders of the few files we are looking for.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, open, readlinkat_raw, statat};
use rustix::io::Errno;

use super::{Access, Endpoint, Holder};

/// The longest link target kept (PATH_MAX); a longer one is cut and can then match nothing.
const LINK_MAX: usize = 4096;

/// One of a candidate's standard descriptors, as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Observed {
    pub endpoint: Endpoint,
    /// The candidate's own access mode on it (pipes and FIFOs; `Unknown` otherwise).
    pub mode: Access,
}

impl Observed {
    fn unknown(why: String) -> Observed {
        Observed {
            endpoint: Endpoint::Unknown(why),
            mode: Access::Unknown,
        }
    }
}

/// Parses a `/proc/PID/fd/N` link target. Named FIFOs look like files here; [`read_stdio`] tells them apart.
pub(super) fn parse_link(link: &[u8]) -> Endpoint {
    let inode_in = |prefix: &[u8]| -> Option<u64> {
        let rest = link.strip_prefix(prefix)?.strip_suffix(b"]")?;
        std::str::from_utf8(rest).ok()?.parse().ok()
    };
    if let Some(inode) = inode_in(b"pipe:[") {
        return Endpoint::Pipe { inode };
    }
    if let Some(inode) = inode_in(b"socket:[") {
        return Endpoint::Socket { inode, peer: None };
    }
    let text = String::from_utf8_lossy(link).into_owned();
    if text == "/dev/null" {
        Endpoint::DevNull
    } else if text.starts_with("/dev/pts/")
        || text.starts_with("/dev/tty")
        || text == "/dev/console"
    {
        Endpoint::Tty(text)
    } else {
        Endpoint::File(text)
    }
}

/// The access mode from the text of `/proc/PID/fdinfo/N` (`flags:` is octal; the low two bits are
/// O_RDONLY, O_WRONLY or O_RDWR).
pub(super) fn parse_fdinfo_mode(text: &str) -> Access {
    let flags = text
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok());
    match flags.map(|f| f & 0o3) {
        Some(0) => Access::Read,
        Some(1) => Access::Write,
        Some(2) => Access::ReadWrite,
        _ => Access::Unknown,
    }
}

fn fd_mode(pid: i32, fd: i32) -> Access {
    std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))
        .map_or(Access::Unknown, |t| parse_fdinfo_mode(&t))
}

fn open_fd_dir(pid: i32) -> rustix::io::Result<OwnedFd> {
    open(
        format!("/proc/{pid}/fd").as_str(),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Reads the link at `dir/fd` into `buf`, returning the target (possibly cut at `buf.len()`).
fn read_link(dir: impl AsFd, fd: i32, buf: &mut [u8]) -> rustix::io::Result<&[u8]> {
    let n = readlinkat_raw(dir, fd.to_string().as_str(), &mut *buf)?;
    Ok(&buf[..n])
}

/// True while `pid` exists and has not exited (a zombie has closed all its descriptors).
fn alive(pid: i32) -> bool {
    crate::procs::linux::start_ticks(pid).is_some()
}

/// What `pid`'s stdin (fd 0) and stdout (fd 1) are. Never fails: what cannot be read is `Unknown`, with why.
pub(super) fn read_stdio(pid: i32) -> [Observed; 2] {
    let dir = match open_fd_dir(pid) {
        Ok(d) => d,
        Err(Errno::NOENT | Errno::SRCH) => {
            let why = || Observed::unknown(format!("process {pid} is gone"));
            return [why(), why()];
        }
        Err(e) => {
            let why = || Observed::unknown(format!("cannot read /proc/{pid}/fd: {e}"));
            return [why(), why()];
        }
    };
    let mut buf = vec![0u8; LINK_MAX];
    [0, 1].map(|fd| observe(pid, &dir, fd, &mut buf))
}

fn observe(pid: i32, dir: &OwnedFd, fd: i32, buf: &mut [u8]) -> Observed {
    let link = match read_link(dir, fd, buf) {
        Ok(l) => l,
        // ENOENT is a closed descriptor while the process lives, and a process that is gone otherwise.
        Err(Errno::NOENT) if alive(pid) => {
            return Observed {
                endpoint: Endpoint::Closed,
                mode: Access::Unknown,
            };
        }
        Err(Errno::NOENT | Errno::SRCH) => {
            return Observed::unknown(format!("process {pid} is gone"));
        }
        Err(e) => return Observed::unknown(format!("cannot read /proc/{pid}/fd/{fd}: {e}")),
    };
    let endpoint = match parse_link(link) {
        // A named pipe's link is its path; stat through the link to see it is a FIFO. Its holders are
        // matched by that path, so a path that is not UTF-8 (kept lossily) could match nobody: unknown.
        Endpoint::File(path) if is_fifo(dir, fd) => match std::str::from_utf8(link) {
            Ok(_) => Endpoint::Fifo { path },
            Err(_) => Endpoint::Unknown(format!("FIFO {path:?} has a path that is not UTF-8")),
        },
        other => other,
    };
    let mode = match endpoint {
        Endpoint::Pipe { .. } | Endpoint::Fifo { .. } => fd_mode(pid, fd),
        _ => Access::Unknown,
    };
    Observed { endpoint, mode }
}

fn is_fifo(dir: &OwnedFd, fd: i32) -> bool {
    statat(dir, fd.to_string().as_str(), AtFlags::empty())
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Fifo)
}

/// One pass over the descriptors of `scan`: every descriptor whose link target is a key of `wanted` is
/// added to that key's holders, with its access mode. Processes that vanish or cannot be read (another
/// user's, EACCES) are skipped; the pass never fails.
pub(super) fn collect_holders(scan: &[i32], wanted: &mut HashMap<Vec<u8>, Vec<Holder>>) {
    if wanted.is_empty() {
        return;
    }
    let mut buf = vec![0u8; LINK_MAX];
    let mut fds: Vec<i32> = Vec::with_capacity(64);
    for &pid in scan {
        let Ok(mut entries) = open_fd_dir(pid).and_then(Dir::new) else {
            continue; // gone, or not ours to read
        };
        fds.clear();
        while let Some(Ok(entry)) = entries.read() {
            if let Some(fd) = entry.file_name().to_str().ok().and_then(|n| n.parse().ok()) {
                fds.push(fd);
            }
        }
        let Ok(dir) = entries.fd() else { continue };
        for &fd in &fds {
            let Ok(link) = read_link(dir, fd, &mut buf) else {
                continue; // closed since the listing, or the process exited
            };
            if let Some(holders) = wanted.get_mut(link) {
                holders.push(Holder {
                    pid,
                    fd,
                    mode: fd_mode(pid, fd),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_link() {
        assert_eq!(parse_link(b"pipe:[12955]"), Endpoint::Pipe { inode: 12955 });
        assert_eq!(
            parse_link(b"socket:[4026532]"),
            Endpoint::Socket {
                inode: 4026532,
                peer: None
            }
        );
        assert_eq!(parse_link(b"/dev/null"), Endpoint::DevNull);
        assert_eq!(
            parse_link(b"/dev/pts/3"),
            Endpoint::Tty("/dev/pts/3".into())
        );
        assert_eq!(parse_link(b"/dev/tty1"), Endpoint::Tty("/dev/tty1".into()));
        assert_eq!(
            parse_link(b"/tmp/x.log (deleted)"),
            Endpoint::File("/tmp/x.log (deleted)".into())
        );
        assert_eq!(
            parse_link(b"anon_inode:[eventfd]"),
            Endpoint::File("anon_inode:[eventfd]".into())
        );
        // Near misses are not pipes or sockets.
        assert_eq!(parse_link(b"pipe:[12"), Endpoint::File("pipe:[12".into()));
        assert_eq!(parse_link(b"pipe:[x]"), Endpoint::File("pipe:[x]".into()));
        assert_eq!(parse_link(b""), Endpoint::File(String::new()));
    }

    #[test]
    fn reads_access_modes_from_fdinfo() {
        let info = |flags: &str| format!("pos:\t0\nflags:\t{flags}\nmnt_id:\t15\nino:\t3\n");
        assert_eq!(parse_fdinfo_mode(&info("0100000")), Access::Read);
        assert_eq!(parse_fdinfo_mode(&info("02000001")), Access::Write);
        assert_eq!(parse_fdinfo_mode(&info("02")), Access::ReadWrite);
        assert_eq!(parse_fdinfo_mode(&info("zz")), Access::Unknown);
        assert_eq!(parse_fdinfo_mode(""), Access::Unknown);
    }
}
