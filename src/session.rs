//! Closing a session's processes: what `mcpd hook session-closed` runs, and what `clean --detached`
//! does after `kill-session`. The session's records, plus every process of ours whose `TMUX` tag names
//! the session (tags survive reparenting and `setsid`), are stopped with the identity-safe stop; then
//! the records whose processes are gone are dropped.

use std::collections::HashSet;

use crate::config::{Config, OnClose};
use crate::matcher::Matcher;
use crate::procs::{self, Identity, Snapshot, StopOptions, StopOutcome, StopTarget, stop_trees};
use crate::state::{Owner, Record, Registry};

/// Which session closed.
#[derive(Clone, Debug)]
pub struct ClosedSession {
    pub name: String,
    /// Its id number (`$3` -> 3), when known: from the hook, or from adoption records.
    pub id: Option<u32>,
    /// The tmux server it lived on, when known.
    pub server_pid: Option<i32>,
    /// That server's socket: records and tags of a same-named session on another server are left alone.
    pub socket: Option<String>,
}

impl ClosedSession {
    /// True when `r` belongs to this session (same name, and same tmux server when both are known).
    fn owns(&self, r: &Record, owner: &Owner) -> bool {
        &r.owner == owner
            && match (&r.tmux_socket, &self.socket) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// Pure: the trees to stop for a closed session.
pub fn targets(
    snap: &Snapshot,
    records: &[Record],
    closed: &ClosedSession,
    matcher: &Matcher,
    on_close: OnClose,
    my_uid: u32,
) -> Vec<StopTarget> {
    let owner = Owner::Session(closed.name.clone());
    let mut out: Vec<StopTarget> = Vec::new();
    let mut seen: HashSet<Identity> = HashSet::new();
    for r in records.iter().filter(|r| closed.owns(r, &owner)) {
        if seen.insert(r.identity()) {
            out.push(StopTarget {
                identity: r.identity(),
                pgid: Some(r.pgid),
                leader_exited: false,
            });
        }
    }
    let id = closed.id.or_else(|| {
        records
            .iter()
            .filter(|r| closed.owns(r, &owner))
            .find_map(|r| r.session_id)
    });
    if let Some(id) = id {
        let mut tagged: Vec<&crate::procs::ProcInfo> = snap
            .procs
            .values()
            .filter(|p| p.uid == my_uid && !p.is_zombie())
            .filter(|p| {
                p.env
                    .as_ref()
                    .and_then(|e| e.tmux.as_ref())
                    .is_some_and(|t| {
                        t.session_id == id
                            && closed.server_pid.is_none_or(|s| s == t.server_pid)
                            && closed.socket.as_deref().is_none_or(|s| s == t.socket)
                    })
            })
            .filter(|p| on_close == OnClose::All || matcher.is_mcp(p))
            .collect();
        tagged.sort_by_key(|p| p.pid);
        for p in tagged {
            if seen.insert(Identity::of(p)) {
                out.push(StopTarget {
                    identity: Identity::of(p),
                    pgid: None,
                    leader_exited: false,
                });
            }
        }
    }
    out
}

/// Stops everything `closed` owned and drops its records (keeping those of survivors).
pub fn close(
    registry: &Registry,
    config: &Config,
    closed: &ClosedSession,
) -> anyhow::Result<StopOutcome> {
    let owner = Owner::Session(closed.name.clone());
    let (records, warnings) = registry.load(&owner);
    for w in warnings {
        tracing::warn!("{w}");
    }
    let mut snap = Snapshot::take()?;
    let uid = procs::my_uid();
    snap.load_env_tags(|p| p.uid == uid && !p.cmdline.is_empty() && p.pid > 1);
    let matcher = Matcher::from_config(config);
    let targets = targets(
        &snap,
        &records,
        closed,
        &matcher,
        config.sessions.on_close,
        uid,
    );
    let outcome = stop_trees(&targets, &StopOptions::with_grace(config.daemon.stop_grace))?;
    // Only the records this close was about, and whose processes are gone now: a record written
    // meanwhile (the session reopened under the same name) stays.
    let about: HashSet<Identity> = records
        .iter()
        .filter(|r| closed.owns(r, &owner))
        .map(Record::identity)
        .collect();
    registry.update(&owner, |recs| {
        recs.retain(|r| !about.contains(&r.identity()) || r.identity().is_alive())
    })?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procs::environ::TmuxTag;
    use crate::procs::{EnvTags, ProcInfo};
    use crate::state::Origin;

    fn p(pid: i32, args: &[&str], tag: Option<(i32, u32)>) -> ProcInfo {
        ProcInfo {
            pid,
            ppid: 1,
            pgid: pid,
            uid: 1000,
            start_ticks: pid as u64,
            cmdline: args.iter().map(|s| s.to_string()).collect(),
            state: 'S',
            env: Some(EnvTags {
                tmux: tag.map(|(server_pid, session_id)| TmuxTag {
                    socket: "/s".into(),
                    server_pid,
                    session_id,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn records_and_tagged_mcp_processes_of_that_session_only() {
        let snap = Snapshot::from_procs(
            vec![
                p(10, &["node", "mcp-server-a"], Some((5, 3))),
                p(11, &["claude"], Some((5, 3))),
                p(12, &["node", "mcp-server-b"], Some((5, 4))),
                p(13, &["node", "mcp-server-c"], Some((6, 3))),
                p(14, &["node", "mcp-server-d"], None),
            ],
            100,
            0,
            0.0,
        );
        let rec = Record {
            pid: 14,
            start_ticks: 14,
            pgid: 14,
            owner: Owner::Session("s".into()),
            origin: Origin::Adopted,
            server: None,
            command: String::new(),
            recorded_at: 0,
            session_id: Some(3),
            tmux_socket: None,
        };
        let m = Matcher::from_config(&Config::default());
        let closed = ClosedSession {
            name: "s".into(),
            id: None,
            server_pid: Some(5),
            socket: Some("/s".into()),
        };
        let pids = |on| {
            targets(&snap, std::slice::from_ref(&rec), &closed, &m, on, 1000)
                .iter()
                .map(|t| t.identity.pid)
                .collect::<Vec<_>>()
        };
        assert_eq!(pids(OnClose::Mcp), vec![14, 10]);
        assert_eq!(pids(OnClose::All), vec![14, 10, 11]);
    }
}
