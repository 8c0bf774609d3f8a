//! Who is at the other end of a process's stdin and stdout: the evidence that an MCP server still has a
//! live client (DESIGN.md, "A live client is proof of ownership").
//!
//! For a set of candidates this reads what fd 0 and fd 1 are (a pipe, a UNIX socket, a tty, /dev/null, a
//! file), finds the other end (a pipe's opposite access mode; a socket's peer through sock_diag), and then,
//! in one pass over the scanned processes' descriptors, who holds it. It only observes: the values are plain
//! (saved in `ps --dump` files and replayed in tests); [`client_evidence`] is the one obvious reading of them.
//! Nothing here runs unless there are candidates, so `mcpd status` never pays for it; and a candidate on
//! an anonymous pipe whose other end nobody holds (the kernel says so when that end is polled) needs no
//! scan of descriptor tables at all: the scan runs only for ends that someone still holds.

#[cfg(target_os = "linux")]
mod fds;
#[cfg(target_os = "linux")]
mod netlink;
#[cfg(target_os = "linux")]
mod sockdiag;

use std::collections::{HashMap, HashSet};

use super::Snapshot;

pub use crate::model::stdio::{
    Access, ClientEvidence, Endpoint, Holder, StdioView, client_evidence, live_client,
};

/// One pass: the stdio of every candidate and the holders of the other ends, found among the descriptors
/// of `scan` (the current user's processes: see [`scan_pids`]). Holders of the same end of a pipe (the
/// candidate's own launcher chain inherits it) and the candidate itself are not reported. Never fails: what
/// cannot be read is an `Unknown` endpoint saying why.
pub fn stdio_peers(candidates: &[i32], scan: &[i32]) -> HashMap<i32, StdioView> {
    #[cfg(target_os = "linux")]
    {
        linux_peers(candidates, scan)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = scan;
        let why = || Endpoint::Unknown("stdio peers are only read on Linux".into());
        candidates
            .iter()
            .map(|&pid| {
                let view = StdioView {
                    pid,
                    stdin: why(),
                    stdout: why(),
                    stdin_clients: Vec::new(),
                    stdout_clients: Vec::new(),
                };
                (pid, view)
            })
            .collect()
    }
}

#[cfg(target_os = "linux")]
fn linux_peers(candidates: &[i32], scan: &[i32]) -> HashMap<i32, StdioView> {
    let mut seen = HashSet::new();
    let mut observed: Vec<(i32, [fds::Observed; 2])> = candidates
        .iter()
        .filter(|pid| seen.insert(**pid))
        .map(|&pid| (pid, fds::read_stdio(pid)))
        .collect();
    resolve_socket_peers(&mut observed);
    let mut wanted: HashMap<Vec<u8>, Vec<Holder>> = observed
        .iter()
        .flat_map(|(_, ends)| ends.iter().filter_map(wanted_key))
        .map(|key| (key, Vec::new()))
        .collect();
    fds::collect_holders(scan, &mut wanted);
    observed
        .into_iter()
        .map(|(pid, [stdin, stdout])| {
            let view = StdioView {
                pid,
                stdin_clients: clients(pid, &stdin, &wanted),
                stdout_clients: clients(pid, &stdout, &wanted),
                stdin: stdin.endpoint,
                stdout: stdout.endpoint,
            };
            (pid, view)
        })
        .collect()
}

/// Fills in the peer of every socket endpoint, or makes it `Unknown` when sock_diag cannot say.
#[cfg(target_os = "linux")]
fn resolve_socket_peers(observed: &mut [(i32, [fds::Observed; 2])]) {
    let mut inodes: Vec<u64> = observed
        .iter()
        .flat_map(|(_, ends)| ends.iter())
        .filter_map(|o| match o.endpoint {
            Endpoint::Socket { inode, .. } => Some(inode),
            _ => None,
        })
        .collect();
    if inodes.is_empty() {
        return;
    }
    inodes.sort_unstable();
    inodes.dedup();
    let found = sockdiag::peers(&inodes);
    for o in observed.iter_mut().flat_map(|(_, ends)| ends.iter_mut()) {
        let Endpoint::Socket { inode, .. } = o.endpoint else {
            continue;
        };
        o.endpoint = match &found {
            Ok(map) => match map.get(&inode) {
                Some(0) => Endpoint::Socket { inode, peer: None },
                Some(&p) => Endpoint::Socket {
                    inode,
                    peer: Some(p),
                },
                None => Endpoint::Unknown(format!(
                    "socket:[{inode}] is not a UNIX socket sock_diag can see (another kind of \
                     socket, or another network namespace)"
                )),
            },
            Err(e) => Endpoint::Unknown(format!("socket:[{inode}]: {e}")),
        };
    }
}

/// The link target that names the other end of `e` in /proc/PID/fd (a pipe's two ends share one).
#[cfg(target_os = "linux")]
fn other_end_key(e: &Endpoint) -> Option<Vec<u8>> {
    match e {
        Endpoint::Pipe { inode } => Some(format!("pipe:[{inode}]").into_bytes()),
        Endpoint::Fifo { path } => Some(path.clone().into_bytes()),
        Endpoint::Socket { peer: Some(p), .. } => Some(format!("socket:[{p}]").into_bytes()),
        _ => None,
    }
}

/// The key to look for in descriptor tables for `o`: none when nothing has its other end open (the
/// kernel said so), so a candidate reading a dead pipe costs no scan at all.
#[cfg(target_os = "linux")]
fn wanted_key(o: &fds::Observed) -> Option<Vec<u8>> {
    if o.other_end_closed {
        return None;
    }
    other_end_key(&o.endpoint)
}

/// The holders of the other end of `o`, without `pid` itself and, for pipes and FIFOs, without holders
/// of the same end (same access mode as the candidate's own, when that is known and one-way).
#[cfg(target_os = "linux")]
fn clients(pid: i32, o: &fds::Observed, holders: &HashMap<Vec<u8>, Vec<Holder>>) -> Vec<Holder> {
    let Some(key) = wanted_key(o) else {
        return Vec::new();
    };
    let one_way = matches!(o.endpoint, Endpoint::Pipe { .. } | Endpoint::Fifo { .. })
        && matches!(o.mode, Access::Read | Access::Write);
    holders
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|h| h.pid != pid && !(one_way && h.mode == o.mode))
        .cloned()
        .collect()
}

/// The processes worth scanning for holders: `uid`'s, alive (not zombies), not kernel threads.
pub fn scan_pids(snapshot: &Snapshot, uid: u32) -> Vec<i32> {
    let mut pids: Vec<i32> = snapshot
        .procs
        .values()
        .filter(|p| p.uid == uid && !p.is_zombie())
        .filter(|p| !(p.cmdline.is_empty() && (p.pid == 2 || p.ppid == 2)))
        .map(|p| p.pid)
        .collect();
    pids.sort_unstable();
    pids
}

#[cfg(test)]
mod tests;
