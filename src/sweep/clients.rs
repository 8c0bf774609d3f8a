//! Pure: a live client is proof of ownership (DESIGN.md). A candidate whose stdin or stdout is a pipe
//! or socket held at the other end by a live process outside the set about to be stopped has a live
//! client, whatever its lineage. A terminal is live while it is a current pane's tty (or, for a
//! process born outside our tmux server, always: mcpd cannot see that terminal's other end).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::stdio::{ClientEvidence, Endpoint, StdioView, client_evidence};
use crate::model::{ProcInfo, Snapshot, TmuxView};

/// What the stdio evidence says about one candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Client {
    /// A live process holds the other end of its stdin or stdout.
    Live { pid: i32, command: String },
    /// Its terminal is a live pane's (or one mcpd cannot judge).
    Terminal { tty: String },
    /// Its stdio could not be read fully: not evidence of abandonment.
    Unknown { why: String },
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Client::Live { pid, command } => write!(f, "has a live client: {pid} {command}"),
            Client::Terminal { tty } => write!(f, "its terminal {tty} is live"),
            Client::Unknown { why } => write!(f, "its stdio could not be read ({why})"),
        }
    }
}

/// The client protecting `p`, if any. `stdio` None: not gathered (nothing is protected by it, and the
/// caller must not act on the verdict).
pub fn client_of(
    snap: &Snapshot,
    p: &ProcInfo,
    view: &StdioView,
    tmux: Option<&TmuxView>,
    exclude: &HashSet<i32>,
) -> Option<Client> {
    match client_evidence(view, exclude) {
        ClientEvidence::Live(pid) => {
            return Some(Client::Live {
                pid,
                command: snap.get(pid).map(|c| c.command()).unwrap_or_default(),
            });
        }
        ClientEvidence::Unknown(why) => return Some(Client::Unknown { why }),
        ClientEvidence::NoClient => {}
    }
    let ours = |tag_socket: &str| tmux.is_some_and(|v| v.socket_path == tag_socket);
    for end in [&view.stdin, &view.stdout] {
        if let Endpoint::Tty(tty) = end {
            if tmux.is_some_and(|v| v.is_pane_tty(tty)) {
                return Some(Client::Terminal { tty: tty.clone() });
            }
            // A terminal of our tmux server that is no pane's any more is dead; any other terminal
            // (an ssh login, another emulator) may be live.
            let born_in_our_tmux = p
                .env
                .as_ref()
                .and_then(|e| e.tmux.as_ref())
                .is_some_and(|t| ours(&t.socket));
            if !born_in_our_tmux {
                return Some(Client::Terminal { tty: tty.clone() });
            }
        }
    }
    None
}

/// Pure: the protected candidates. `candidates` are the pids about to be stopped (with their trees);
/// a candidate whose client is only another candidate is not protected, unless that one is itself
/// protected (then it stays, and so does what it is a client of): iterated to a fixed point.
pub fn protect(
    snap: &Snapshot,
    candidates: &[i32],
    stdio: &HashMap<i32, StdioView>,
    tmux: Option<&TmuxView>,
) -> HashMap<i32, Client> {
    let dead = dead_panes(snap, tmux);
    let mut protected: HashMap<i32, Client> = HashMap::new();
    loop {
        let mut exclude: HashSet<i32> = dead.clone();
        for &c in candidates.iter().filter(|c| !protected.contains_key(c)) {
            exclude.insert(c);
            exclude.extend(snap.descendants(c));
        }
        let mut changed = false;
        for &c in candidates {
            if protected.contains_key(&c) {
                continue;
            }
            let Some(p) = snap.get(c) else { continue };
            let client = match stdio.get(&c) {
                Some(view) => client_of(snap, p, view, tmux, &exclude),
                None => Some(Client::Unknown {
                    why: "not read".into(),
                }),
            };
            if let Some(client) = client {
                protected.insert(c, client);
                changed = true;
            }
        }
        if !changed {
            return protected;
        }
    }
}

/// Processes of panes that are gone: children of our tmux server that are no pane's process, and
/// their descendants. They are being closed with their pane (or ignore its SIGHUP): never evidence
/// of a live client. A process that left its pane tree on purpose (`setsid`, now under PID 1) is not
/// among them.
pub fn dead_panes(snap: &Snapshot, tmux: Option<&TmuxView>) -> HashSet<i32> {
    let mut out = HashSet::new();
    let Some(v) = tmux else { return out };
    let alive = snap
        .get(v.server_pid)
        .is_some_and(|s| super::lineage::is_tmux_server(s) && !s.is_zombie());
    if !alive {
        return out;
    }
    for &child in snap.children_of(v.server_pid) {
        if v.panes.iter().any(|p| p.pid == child) {
            continue;
        }
        out.insert(child);
        out.extend(snap.descendants(child));
    }
    out
}
