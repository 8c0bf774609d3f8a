//! A process's stdin and stdout and who holds their other ends, as plain values (read by
//! `procs::peers`, saved in `ps --dump` files), and the one reading of them that decides whether a
//! candidate has a live client (DESIGN.md, "A live client is proof of ownership").

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// What one standard descriptor of a process is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// An anonymous pipe (`pipe:[INODE]`): both ends share the inode; the access mode tells them apart.
    Pipe {
        inode: u64,
    },
    /// A named pipe (FIFO): its holders are found by path, the ends by access mode, as for a pipe.
    Fifo {
        path: String,
    },
    /// A socket. `peer` is the inode of the other end of a UNIX socket (from sock_diag); `None` when that
    /// end is closed. A socket sock_diag cannot see (TCP, another network namespace) is `Unknown` instead.
    Socket {
        inode: u64,
        peer: Option<u64>,
    },
    /// A terminal (`/dev/pts/N`, `/dev/ttyN`, `/dev/console`).
    Tty(String),
    DevNull,
    /// Anything else with no other end: a regular file, a device, an anonymous inode (the link target).
    File(String),
    /// The descriptor is not open.
    Closed,
    /// Could not be read (the process is gone, permission denied, sock_diag unavailable): why.
    Unknown(String),
}

/// How a holder opened its descriptor (`flags:` of /proc/PID/fdinfo/FD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
    ReadWrite,
    Unknown,
}

/// A process descriptor that holds the other end of a candidate's stdin or stdout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: i32,
    pub fd: i32,
    pub mode: Access,
}

/// A candidate's stdin and stdout, and who holds their other ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StdioView {
    pub pid: i32,
    pub stdin: Endpoint,
    pub stdout: Endpoint,
    /// Holders of the other end of stdin (for a pipe, its write end), the candidate itself excluded.
    pub stdin_clients: Vec<Holder>,
    /// Holders of the other end of stdout (for a pipe, its read end), the candidate itself excluded.
    pub stdout_clients: Vec<Holder>,
}

/// What a [`StdioView`] says about a live client, given the processes about to be stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientEvidence {
    /// This process holds the other end: the candidate has a live client.
    Live(i32),
    /// Nobody outside the excluded set holds an other end.
    NoClient,
    /// The stdio could not be fully read: not evidence of abandonment (why).
    Unknown(String),
}

/// Pure: the first client (stdin's, then stdout's) not in `exclude` (the trees about to be stopped).
/// Holders were alive when scanned: a process that has exited holds no descriptors.
pub fn live_client(view: &StdioView, exclude: &HashSet<i32>) -> Option<i32> {
    view.stdin_clients
        .iter()
        .chain(&view.stdout_clients)
        .map(|h| h.pid)
        .find(|pid| *pid > 0 && *pid != view.pid && !exclude.contains(pid))
}

/// Pure: whether `view` proves a live client, proves there is none, or cannot tell. A socket whose peer
/// end is open but held by no other scanned process (another user's, another PID namespace, a descriptor
/// in flight, or the candidate itself) cannot tell: never stop live work on a guess. Pipes and FIFOs have
/// no such check: an unseen holder of their other end cannot be told from none.
pub fn client_evidence(view: &StdioView, exclude: &HashSet<i32>) -> ClientEvidence {
    if let Some(pid) = live_client(view, exclude) {
        return ClientEvidence::Live(pid);
    }
    let ends = [
        ("stdin", &view.stdin, &view.stdin_clients),
        ("stdout", &view.stdout, &view.stdout_clients),
    ];
    for (name, end, clients) in ends {
        match end {
            Endpoint::Unknown(why) => return ClientEvidence::Unknown(format!("{name}: {why}")),
            Endpoint::Socket {
                inode,
                peer: Some(peer),
            } if clients.is_empty() => {
                return ClientEvidence::Unknown(format!(
                    "{name}: the other end of socket:[{inode}] (socket:[{peer}]) is open but held \
                     by no process mcpd can read"
                ));
            }
            _ => {}
        }
    }
    ClientEvidence::NoClient
}
