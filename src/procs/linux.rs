//! The Linux snapshot: one pass over /proc, two lean reads (`stat`, `cmdline`, see `procfs`) per
//! process, and one `fstat` for its owner unless the caller settles owners later (`super::owners`:
//! what `mcpd status` does). This is what keeps `mcpd status` near the cost of reading /proc at all
//! (BENCHMARKS.md).

use std::fs;

use super::ProcError;
use super::procfs::ProcFs;
use super::snapshot::{ProcInfo, Snapshot, UID_UNREAD, now_epoch};

/// The fields of /proc/PID/stat that mcpd uses.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub start_ticks: u64,
    pub rss_pages: u64,
    /// The kernel's per-process flags (field 9); see [`PF_KTHREAD`].
    pub flags: u32,
    /// Where the argument and environment blocks lie in the process's memory (fields 48-51; zeros
    /// when another user's process hides them). A new image (`exec`) places them anew.
    pub layout: [u64; 4],
}

/// Parses /proc/PID/stat. `comm` may hold spaces and parentheses, so the fields are found after the
/// *last* `)`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    if close < open {
        return None;
    }
    let comm = text[open + 1..close].to_string();
    let mut f = text[close + 1..].split_ascii_whitespace();
    // After `)`: state(3) ppid(4) pgrp(5) session(6) ... starttime(22) vsize(23) rss(24).
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    let pgid = f.next()?.parse().ok()?;
    let sid = f.next()?.parse().ok()?;
    let _tty = f.next()?;
    let _tpgid = f.next()?;
    // Only a hint (a kernel thread's owner is known without a read): never a reason to drop a process.
    let flags = f.next()?.parse().unwrap_or(0);
    let mut f = f.skip(12); // fields 10..=21
    let start_ticks = f.next()?.parse().ok()?;
    let _vsize = f.next()?;
    let rss_pages: i64 = f.next()?.parse().ok()?;
    // rsslim(25) ... start_brk(47), then arg_start(48) arg_end(49) env_start(50) env_end(51); older
    // kernels stop before them.
    let mut f = f.skip(23);
    let mut layout = [0u64; 4];
    for v in &mut layout {
        *v = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    }
    Some(Stat {
        comm,
        state,
        ppid,
        pgid,
        sid,
        start_ticks,
        rss_pages: rss_pages.max(0) as u64,
        flags,
        layout,
    })
}

/// `flags` bit of a kernel thread (`PF_KTHREAD`): it runs with the kernel's credentials, as root,
/// and has no command line, environment or descriptors of a user.
pub(crate) const PF_KTHREAD: u32 = 0x0020_0000;

/// Reads the start time (clock ticks since boot) of `pid`, or None when it is gone or a zombie (which
/// holds no memory and can no longer be signalled).
pub(crate) fn start_ticks(pid: i32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
        .filter(|s| s.state != 'Z')
        .map(|s| s.start_ticks)
}

pub(crate) fn ticks_per_sec() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100, |v| v.max(1) as u64)
}

pub(crate) fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map_or(4096, |v| v.max(1) as u64)
}

pub(crate) fn boot_time() -> u64 {
    fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse().ok()))
        })
        .unwrap_or(0)
}

/// Splits a NUL-separated argument block. Some programs (npm, via `process.title`) overwrite their
/// argv with one space-separated string; that is split on whitespace so `argv[0]` is the program.
pub(crate) fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if parts.len() == 1 && parts[0].contains(' ') {
        return parts[0].split_whitespace().map(str::to_string).collect();
    }
    // A retitled process may leave trailing empty arguments behind.
    let mut parts = parts;
    while parts.len() > 1 && parts.last().is_some_and(|s| s.is_empty()) {
        parts.pop();
    }
    parts
}

/// Most a command line may take in a snapshot (the kernel allows up to a quarter of the stack limit;
/// the rest of a longer one is left unread).
const CMDLINE_LIMIT: usize = 256 * 1024;

pub(crate) fn take() -> Result<Snapshot, ProcError> {
    take_from(std::path::Path::new("/proc"))
}

/// One pass over /proc that reads only `stat` (and its owner): no command lines. See
/// [`Snapshot::take_lean`].
pub(crate) fn take_lean() -> Result<Snapshot, ProcError> {
    take_some(std::path::Path::new("/proc"), Cmdlines::Skip, Owners::Read)
}

/// Reads the command line of each process `want` selects that has none yet (after a lean pass); a
/// process that is gone keeps an empty one.
pub(crate) fn fill_cmdlines(snap: &mut Snapshot, want: impl Fn(&ProcInfo) -> bool) {
    let Ok(mut fs) = ProcFs::open(std::path::Path::new("/proc")) else {
        return;
    };
    let mut buf = Vec::new();
    for p in snap.procs.values_mut() {
        if !p.cmdline.is_empty() || p.is_zombie() || p.is_kernel_thread() || !want(p) {
            continue;
        }
        if let Ok((n, _)) = fs.read(p.pid, "cmdline", &mut buf, CMDLINE_LIMIT, false) {
            p.cmdline = split_cmdline(&buf[..n]);
        }
    }
}

/// One pass over a /proc-like directory: per process, `stat` (read, plus one `fstat` for the owner)
/// and `cmdline` (read), each one `openat` + one `read` + `close` when it fits the reused buffer.
pub(crate) fn take_from(root: &std::path::Path) -> Result<Snapshot, ProcError> {
    take_some(root, Cmdlines::All, Owners::Read)
}

/// A full pass that leaves owners unread ([`UID_UNREAD`]) but kernel threads' (root): see
/// [`super::owners`], which reads them only where no cache already knows them.
pub(crate) fn take_owners_later() -> Result<Snapshot, ProcError> {
    take_some(std::path::Path::new("/proc"), Cmdlines::All, Owners::Later)
}

/// Whether a pass reads each process's owner (one `fstat` per process).
#[derive(Clone, Copy)]
pub(crate) enum Owners {
    Read,
    /// Left as [`UID_UNREAD`], which nothing takes for this user's.
    Later,
}

/// Which command lines a pass reads.
pub(crate) enum Cmdlines {
    /// Every process's.
    All,
    /// None (a lean pass).
    Skip,
}

/// Reads `PID/stat` (and its owner) into a process without a command line, and where its argument
/// and environment blocks lie; None when it is gone or its `stat` cannot be parsed.
pub(crate) fn read_stat(
    fs: &mut ProcFs,
    pid: i32,
    buf: &mut Vec<u8>,
    page: u64,
) -> Option<(ProcInfo, [u64; 4])> {
    read_stat_owned(fs, pid, buf, page, Owners::Read)
}

/// [`read_stat`], with the owner read now or left for later ([`Owners`]).
fn read_stat_owned(
    fs: &mut ProcFs,
    pid: i32,
    buf: &mut Vec<u8>,
    page: u64,
    owners: Owners,
) -> Option<(ProcInfo, [u64; 4])> {
    let want_uid = matches!(owners, Owners::Read);
    let Ok((n, uid)) = fs.read(pid, "stat", buf, 4096, want_uid) else {
        return None;
    };
    let st = parse_stat(&String::from_utf8_lossy(&buf[..n]))?;
    let uid = match uid {
        Some(uid) => uid,
        // A kernel thread runs as root; anything else is read when it matters (`super::owners`).
        None if st.flags & PF_KTHREAD != 0 => 0,
        None => UID_UNREAD,
    };
    let p = ProcInfo {
        pid,
        ppid: st.ppid,
        pgid: st.pgid,
        sid: st.sid,
        uid,
        start_ticks: st.start_ticks,
        rss_bytes: st.rss_pages * page,
        comm: st.comm,
        cmdline: Vec::new(),
        state: st.state,
        env: None,
    };
    Some((p, st.layout))
}

/// Reads `PID/cmdline` (bounded); empty when it is gone or has none (a kernel thread, a zombie).
pub(crate) fn read_cmdline(fs: &mut ProcFs, pid: i32, buf: &mut Vec<u8>) -> Vec<String> {
    match fs.read(pid, "cmdline", buf, CMDLINE_LIMIT, false) {
        Ok((n, _)) => split_cmdline(&buf[..n]),
        Err(_) => Vec::new(),
    }
}

/// A snapshot of `procs` read just now.
pub(crate) fn snapshot_of(procs: Vec<ProcInfo>) -> Snapshot {
    Snapshot::from_procs(procs, ticks_per_sec(), boot_time(), now_epoch())
}

/// [`take_from`], with the command lines `cmdlines` says.
pub(crate) fn take_some(
    root: &std::path::Path,
    cmdlines: Cmdlines,
    owners: Owners,
) -> Result<Snapshot, ProcError> {
    let err = |source| ProcError::Read {
        path: root.display().to_string(),
        source,
    };
    let mut fs = ProcFs::open(root).map_err(err)?;
    let pids = fs.pids().map_err(err)?;
    let page = page_size();
    let mut procs = Vec::with_capacity(pids.len());
    let mut buf = Vec::new();
    for pid in pids {
        // A process can exit at any point below; it is then simply not in the snapshot.
        let Some((mut p, _)) = read_stat_owned(&mut fs, pid, &mut buf, page, owners) else {
            continue;
        };
        if matches!(cmdlines, Cmdlines::All) {
            p.cmdline = read_cmdline(&mut fs, pid, &mut buf);
        }
        procs.push(p);
    }
    Ok(snapshot_of(procs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_hostile_comm() {
        let line = "4242 (a) b) (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000000 321 18446744073709551615";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.comm, "a) b) (c");
        assert_eq!((s.state, s.ppid, s.pgid, s.sid), ('S', 1, 4242, 4242));
        assert_eq!(s.start_ticks, 98765);
        assert_eq!(s.rss_pages, 321);
        assert_eq!(s.flags, 4194560);
        assert_eq!(s.layout, [0; 4], "an old kernel's short line");
        let full = format!(
            "{line} 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 1000 1100 1200 1300 0"
        );
        assert_eq!(parse_stat(&full).unwrap().layout, [1000, 1100, 1200, 1300]);
        // This process's real blocks: arguments, then the environment, in that order.
        let me = parse_stat(&fs::read_to_string("/proc/self/stat").unwrap()).unwrap();
        let [arg_start, arg_end, env_start, env_end] = me.layout;
        assert!(
            0 < arg_start && arg_start < arg_end && arg_end <= env_start && env_start < env_end
        );
    }

    #[test]
    fn rejects_truncated_stat() {
        assert!(parse_stat("12 (x) S 1 2").is_none());
        assert!(parse_stat("").is_none());
        assert!(parse_stat(") (").is_none());
    }

    #[test]
    fn splits_cmdlines() {
        assert_eq!(
            split_cmdline(b"node\0/x/index.js\0/tmp\0"),
            vec!["node", "/x/index.js", "/tmp"]
        );
        assert_eq!(
            split_cmdline(b"npm exec @modelcontextprotocol/server-filesystem /tmp"),
            vec![
                "npm",
                "exec",
                "@modelcontextprotocol/server-filesystem",
                "/tmp"
            ]
        );
        assert_eq!(split_cmdline(b"sh\0-c\0a b\0"), vec!["sh", "-c", "a b"]);
        assert!(split_cmdline(b"").is_empty());
    }

    #[test]
    fn snapshot_of_a_proc_like_directory() {
        let d = tempfile::tempdir().unwrap();
        let put = |path: &str, body: &[u8]| {
            let p = d.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        let stat = |pid: i32, comm: &str, ppid: i32| {
            format!(
                "{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 {} 1000 7 0",
                pid * 10
            )
        };
        put("10/stat", stat(10, "node", 1).as_bytes());
        put("10/cmdline", b"node\0/x/mcp-server.js\0");
        // A comm that is not UTF-8 is still a process.
        let mut odd =
            b"11 (\xff\xfe) S 10 11 11 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 110 1000 3 0".to_vec();
        odd.push(b'\n');
        put("11/stat", &odd);
        put("12/stat", b"12 (broken) S 1 2"); // truncated: skipped
        put("13/cmdline", b"no stat: gone"); // exited between the listing and the read
        put("self/stat", stat(99, "self", 1).as_bytes());
        let long: Vec<u8> = std::iter::repeat_n(b'a', CMDLINE_LIMIT + 10).collect();
        put("14/stat", stat(14, "long", 1).as_bytes());
        put("14/cmdline", &long);
        let s = take_from(d.path()).unwrap();
        let mut pids: Vec<i32> = s.procs.keys().copied().collect();
        pids.sort_unstable();
        assert_eq!(pids, vec![10, 11, 14]);
        let p = s.get(10).unwrap();
        assert_eq!(p.cmdline, vec!["node", "/x/mcp-server.js"]);
        assert_eq!(
            (p.ppid, p.start_ticks, p.rss_bytes),
            (1, 100, 7 * page_size())
        );
        assert_eq!(p.uid, nix::unistd::geteuid().as_raw());
        assert_eq!(s.get(11).unwrap().comm, "\u{fffd}\u{fffd}");
        assert!(
            s.get(11).unwrap().cmdline.is_empty(),
            "no cmdline: a kernel thread's shape"
        );
        assert_eq!(s.children_of(10), &[11]);
        assert_eq!(
            s.get(14).unwrap().cmdline[0].len(),
            CMDLINE_LIMIT,
            "bounded"
        );
    }

    #[test]
    fn a_lean_pass_reads_stat_only_and_command_lines_on_demand() {
        let me = std::process::id() as i32;
        let mut s = take_lean().unwrap();
        let full = take().unwrap();
        let p = s.get(me).unwrap();
        assert!(p.cmdline.is_empty(), "no command line in a lean pass");
        let f = full.get(me).unwrap();
        assert_eq!(
            (p.ppid, p.start_ticks, p.uid),
            (f.ppid, f.start_ticks, f.uid)
        );
        assert_eq!(p.comm, f.comm);
        fill_cmdlines(&mut s, |p| p.pid == me);
        assert_eq!(s.get(me).unwrap().cmdline, f.cmdline);
        let other = s
            .procs
            .values()
            .find(|p| p.pid != me && p.uid == f.uid && !p.is_kernel_thread());
        assert!(
            other.is_none_or(|p| p.cmdline.is_empty()),
            "only what was asked for"
        );
    }

    #[test]
    fn own_process_is_in_the_snapshot() {
        let s = take().unwrap();
        let me = s.get(std::process::id() as i32).expect("self in snapshot");
        assert_eq!(me.uid, nix::unistd::geteuid().as_raw());
        assert!(me.start_ticks > 0);
        assert!(me.rss_bytes > 0);
        assert_eq!(start_ticks(me.pid), Some(me.start_ticks));
    }
}
