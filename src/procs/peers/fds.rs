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
    /// True when the kernel said that nobody at all holds the other end of this anonymous pipe (see
    /// [`other_end_closed`]): then no descriptor table needs to be scanned for its holders.
    pub other_end_closed: bool,
}

impl Observed {
    fn unknown(why: String) -> Observed {
        Observed {
            endpoint: Endpoint::Unknown(why),
            mode: Access::Unknown,
            other_end_closed: false,
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
    let mut name = itoa_buf();
    let n = readlinkat_raw(dir, fd_name(fd, &mut name), &mut *buf)?;
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
                other_end_closed: false,
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
    let other_end_closed =
        matches!(endpoint, Endpoint::Pipe { .. }) && other_end_closed(dir, fd, mode);
    Observed {
        endpoint,
        mode,
        other_end_closed,
    }
}

/// Asks the kernel whether anybody holds the other end of the anonymous pipe at `dir/fd`, which the
/// candidate holds one-way with `mode`: the pipe is opened again through /proc (its same end, without
/// blocking, never read from or written to) and polled once. A read end polls `POLLHUP` only when the
/// pipe has no writer left, and a write end `POLLERR` only when it has no reader left: a proof about
/// every process, of any user or PID namespace, that a scan of descriptor tables cannot give. Any
/// other answer (or a failure) proves nothing, and the holders are then looked for as before.
fn other_end_closed(dir: &OwnedFd, fd: i32, mode: Access) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let (flags, closed) = match mode {
        Access::Read => (OFlags::RDONLY, PollFlags::HUP),
        Access::Write => (OFlags::WRONLY, PollFlags::ERR),
        Access::ReadWrite | Access::Unknown => return false,
    };
    let mut name = itoa_buf();
    let Ok(end) = rustix::fs::openat(
        dir,
        fd_name(fd, &mut name),
        flags | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    ) else {
        return false;
    };
    let mut fds = [PollFd::new(&end, PollFlags::empty())];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&zero)), Ok(1)) && fds[0].revents().contains(closed)
}

/// Room for a descriptor number as text.
fn itoa_buf() -> [u8; 12] {
    [0; 12]
}

/// `fd` as a decimal name, written into `buf` (no allocation per descriptor).
fn fd_name(fd: i32, buf: &mut [u8; 12]) -> &str {
    use std::io::Write;
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cur, "{fd}");
    let n = cur.position() as usize;
    std::str::from_utf8(&buf[..n]).unwrap_or("")
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
    fn the_kernel_tells_when_nobody_holds_the_other_end_of_a_pipe() {
        use std::io::{Read, Write};
        use std::os::fd::AsRawFd;
        let dir = open_fd_dir(std::process::id() as i32).unwrap();
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
        assert!(
            !other_end_closed(&dir, rfd, Access::Read),
            "a writer is open"
        );
        assert!(
            !other_end_closed(&dir, wfd, Access::Write),
            "a reader is open"
        );
        // Read-write or unknown modes prove nothing.
        assert!(!other_end_closed(&dir, rfd, Access::ReadWrite));
        assert!(!other_end_closed(&dir, rfd, Access::Unknown));
        let mut w = std::fs::File::from(w);
        w.write_all(b"unread").unwrap();
        drop(w);
        assert!(other_end_closed(&dir, rfd, Access::Read), "no writer left");
        let mut got = String::new();
        std::fs::File::from(r).read_to_string(&mut got).unwrap();
        assert_eq!(got, "unread", "the probe never reads the candidate's input");
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let wfd = w.as_raw_fd();
        drop(r);
        assert!(other_end_closed(&dir, wfd, Access::Write), "no reader left");
        assert!(!other_end_closed(&dir, 999_999, Access::Read), "not open");
        drop(w);
    }

    #[test]
    fn descriptor_names_are_written_without_allocating() {
        let mut b = itoa_buf();
        assert_eq!(fd_name(0, &mut b), "0");
        assert_eq!(fd_name(1_048_576, &mut b), "1048576");
        assert_eq!(fd_name(i32::MAX, &mut b), "2147483647");
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
