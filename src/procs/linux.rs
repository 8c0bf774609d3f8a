//! The Linux snapshot: one pass over /proc, two small reads (`stat`, `cmdline`) and one `stat(2)` per
//! process. This is what keeps `mcpd status` as fast as `ps` with thousands of processes (BENCHMARKS.md).

use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;

use super::ProcError;
use super::snapshot::{ProcInfo, Snapshot, now_epoch};

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
    let mut f = f.skip(15); // fields 7..=21
    let start_ticks = f.next()?.parse().ok()?;
    let _vsize = f.next()?;
    let rss_pages: i64 = f.next()?.parse().ok()?;
    Some(Stat {
        comm,
        state,
        ppid,
        pgid,
        sid,
        start_ticks,
        rss_pages: rss_pages.max(0) as u64,
    })
}

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

fn page_size() -> u64 {
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

pub(crate) fn take() -> Result<Snapshot, ProcError> {
    let dir = fs::read_dir("/proc").map_err(|source| ProcError::Read {
        path: "/proc".into(),
        source,
    })?;
    let page = page_size();
    let mut procs = Vec::with_capacity(1024);
    let mut buf = String::with_capacity(512);
    let mut raw = Vec::with_capacity(512);
    let mut path = String::with_capacity(32);
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        // A process can exit at any point below; it is then simply not in the snapshot.
        path.clear();
        path.push_str("/proc/");
        path.push_str(name.to_str().unwrap_or_default());
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        let base = path.len();
        path.push_str("/stat");
        buf.clear();
        if fs::File::open(&path)
            .and_then(|mut f| f.read_to_string(&mut buf))
            .is_err()
        {
            continue;
        }
        let Some(st) = parse_stat(&buf) else { continue };
        path.truncate(base);
        path.push_str("/cmdline");
        raw.clear();
        let cmdline = match fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut raw)) {
            Ok(_) => split_cmdline(&raw),
            Err(_) => Vec::new(),
        };
        procs.push(ProcInfo {
            pid,
            ppid: st.ppid,
            pgid: st.pgid,
            sid: st.sid,
            uid: meta.uid(),
            start_ticks: st.start_ticks,
            rss_bytes: st.rss_pages * page,
            comm: st.comm,
            cmdline,
            state: st.state,
            env: None,
        });
    }
    Ok(Snapshot::from_procs(
        procs,
        ticks_per_sec(),
        boot_time(),
        now_epoch(),
    ))
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
    fn own_process_is_in_the_snapshot() {
        let s = take().unwrap();
        let me = s.get(std::process::id() as i32).expect("self in snapshot");
        assert_eq!(me.uid, nix::unistd::geteuid().as_raw());
        assert!(me.start_ticks > 0);
        assert!(me.rss_bytes > 0);
        assert_eq!(start_ticks(me.pid), Some(me.start_ticks));
    }
}
