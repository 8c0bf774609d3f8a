//! Pure: which processes a session's close considers and which trees it stops, from plain values
//! (a snapshot, records, tmux's view, stdio evidence) and config; no I/O. The shell in `session`
//! reads /proc and tmux, then calls these.

use std::collections::{HashMap, HashSet};

use crate::config::OnClose;
use crate::matcher::Matcher;
use crate::model::{Identity, Owner, ProcInfo, Record, Snapshot, StdioView, StopTarget, TmuxView};

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
    pub(super) fn owns(&self, r: &Record, owner: &Owner) -> bool {
        &r.owner == owner
            && match (&r.tmux_socket, &self.socket) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// What decides which processes a close considers.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub matcher: &'a Matcher,
    pub on_close: OnClose,
    pub my_uid: u32,
    /// This mcpd's `MCPD_STATE`: escapees tagged by another mcpd are left alone.
    pub state_tag: Option<&'a str>,
}

/// Pure: the candidates for a closed session: its records, processes tagged (`TMUX`) with its id
/// that run outside every pane tree now, and its servers' `MCPD_OWNER` escapees; never a process that
/// runs under a pane of a live session now (move-window moved it there). `view` is the tmux server
/// after the close (empty when it is gone).
pub fn candidates(
    snap: &Snapshot,
    records: &[Record],
    closed: &ClosedSession,
    rules: &Rules,
    view: Option<&TmuxView>,
) -> Vec<i32> {
    let Rules {
        matcher,
        on_close,
        my_uid,
        state_tag,
    } = *rules;
    let owner = Owner::Session(closed.name.clone());
    let in_pane = crate::sweep::owner::pane_index(snap, view);
    let live = |pid: i32| {
        snap.get(pid)
            .filter(|p| p.uid == my_uid && !p.is_zombie() && !in_pane.contains_key(&pid))
    };
    let mut out: Vec<i32> = Vec::new();
    for r in records.iter().filter(|r| closed.owns(r, &owner)) {
        if live(r.pid).is_some_and(|p| p.start_ticks == r.start_ticks) {
            out.push(r.pid);
        }
    }
    let id = closed.id.or_else(|| {
        records
            .iter()
            .filter(|r| closed.owns(r, &owner))
            .find_map(|r| r.session_id)
    });
    let mine = |p: &ProcInfo| {
        p.env
            .as_ref()
            .and_then(|e| e.mcpd_state.as_deref())
            .is_none_or(|s| state_tag.is_none_or(|t| t == s))
    };
    let mut tagged: Vec<i32> = snap
        .procs
        .values()
        .filter(|p| live(p.pid).is_some() && mine(p))
        .filter(|p| {
            let Some(e) = p.env.as_ref() else {
                return false;
            };
            let by_tag = id.is_some_and(|id| {
                e.tmux.as_ref().is_some_and(|t| {
                    t.session_id == id
                        && closed.server_pid.is_none_or(|s| s == t.server_pid)
                        && closed.socket.as_deref().is_none_or(|s| s == t.socket)
                })
            });
            let by_owner =
                crate::sweep::owner::mcpd_owner(p) == Some(&format!("session:{}", closed.name));
            (by_tag && (on_close == OnClose::All || matcher.is_mcp(p))) || by_owner
        })
        .map(|p| p.pid)
        .collect();
    tagged.sort_unstable();
    for pid in tagged {
        if !out.contains(&pid) {
            out.push(pid);
        }
    }
    out
}

/// Pure: the trees to stop: the candidates less those with a live client outside the set (a
/// detached editor's server, a server another session's agent talks to).
pub fn targets(
    snap: &Snapshot,
    records: &[Record],
    candidates: &[i32],
    stdio: &HashMap<i32, StdioView>,
    view: Option<&TmuxView>,
) -> (Vec<StopTarget>, HashMap<i32, crate::sweep::Client>) {
    let protected = crate::sweep::clients::protect(snap, candidates, stdio, view);
    let pgid: HashMap<Identity, i32> = records.iter().map(|r| (r.identity(), r.pgid)).collect();
    let mut seen: HashSet<Identity> = HashSet::new();
    let mut out = Vec::new();
    for pid in candidates.iter().filter(|p| !protected.contains_key(p)) {
        let Some(p) = snap.get(*pid) else { continue };
        let identity = Identity::of(p);
        if seen.insert(identity) {
            out.push(StopTarget {
                identity,
                pgid: pgid.get(&identity).copied(),
                leader_exited: false,
            });
        }
    }
    (out, protected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{EnvTags, Origin, TmuxTag};

    fn p(pid: i32, args: &[&str], tag: Option<(i32, u32)>) -> ProcInfo {
        ProcInfo::new(pid, 1, args)
            .with_uid(1000)
            .with_start(pid as u64)
            .with_env(EnvTags {
                tmux: tag.map(|(server_pid, session_id)| TmuxTag {
                    socket: "/s".into(),
                    server_pid,
                    session_id,
                }),
                ..Default::default()
            })
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
        let rec = Record::new(
            Identity {
                pid: 14,
                start_ticks: 14,
            },
            Owner::Session("s".into()),
            Origin::Adopted,
        )
        .with_session_id(3);
        let m = Matcher::from_config(&Config::default());
        let closed = ClosedSession {
            name: "s".into(),
            id: None,
            server_pid: Some(5),
            socket: Some("/s".into()),
        };
        let recs = std::slice::from_ref(&rec);
        let rules = |on_close| Rules {
            matcher: &m,
            on_close,
            my_uid: 1000,
            state_tag: None,
        };
        let pids = |on, view: Option<&TmuxView>| candidates(&snap, recs, &closed, &rules(on), view);
        assert_eq!(pids(OnClose::Mcp, None), vec![14, 10]);
        assert_eq!(pids(OnClose::All, None), vec![14, 10, 11]);
        // After move-window, 10 and 11 run under a pane of another session: theirs now.
        let moved = TmuxView {
            server_pid: 5,
            socket_path: "/s".into(),
            sessions: vec![],
            panes: vec![crate::model::Pane {
                pid: 11,
                session_id: 4,
                ..Default::default()
            }],
            next_session_id: None,
        };
        let mut snap2 = snap.clone();
        snap2.procs.get_mut(&10).unwrap().ppid = 11;
        let snap2 = Snapshot::from_procs(snap2.procs.into_values().collect(), 100, 0, 0.0);
        assert_eq!(
            candidates(&snap2, recs, &closed, &rules(OnClose::All), Some(&moved)),
            vec![14]
        );
        // A live client outside the set protects; a client inside it does not.
        let all = pids(OnClose::All, None);
        let view = |pid: i32, client: i32| StdioView {
            pid,
            stdin: crate::model::Endpoint::Pipe { inode: 1 },
            stdout: crate::model::Endpoint::DevNull,
            stdin_clients: vec![crate::model::Holder {
                pid: client,
                fd: 3,
                mode: crate::model::Access::Write,
            }],
            stdout_clients: vec![],
        };
        let mut quiet = view(11, 0);
        quiet.stdin = crate::model::Endpoint::DevNull;
        quiet.stdin_clients.clear();
        let stdio: HashMap<i32, StdioView> = [(10, view(10, 11)), (11, quiet), (14, view(14, 12))]
            .into_iter()
            .collect();
        let (t, protected) = targets(&snap, recs, &all, &stdio, None);
        let stopped: Vec<i32> = t.iter().map(|t| t.identity.pid).collect();
        assert_eq!(stopped, vec![10, 11], "{protected:?}");
        assert!(
            protected[&14]
                .to_string()
                .starts_with("has a live client: 12")
        );
    }

    #[test]
    fn a_session_servers_escapees_are_found_by_their_owner_tag() {
        let mut esc = p(20, &["node", "helper.js"], None);
        esc.env.as_mut().unwrap().mcpd_owner = Some("session:s".into());
        esc.env.as_mut().unwrap().mcpd_state = Some("/state".into());
        let mut foreign = p(21, &["node", "helper.js"], None);
        foreign.env.as_mut().unwrap().mcpd_owner = Some("session:s".into());
        foreign.env.as_mut().unwrap().mcpd_state = Some("/other".into());
        let snap = Snapshot::from_procs(vec![esc, foreign], 100, 0, 0.0);
        let closed = ClosedSession {
            name: "s".into(),
            id: Some(1),
            server_pid: None,
            socket: None,
        };
        let m = Matcher::from_config(&Config::default());
        let rules = Rules {
            matcher: &m,
            on_close: OnClose::Mcp,
            my_uid: 1000,
            state_tag: Some("/state"),
        };
        let c = candidates(&snap, &[], &closed, &rules, None);
        assert_eq!(c, vec![20]);
    }
}
