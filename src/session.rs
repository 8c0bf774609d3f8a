//! Closing a session's processes: what `mcpd hook session-closed` runs, and what `clean --detached`
//! does after `kill-session`. The session's records, every process of ours whose `TMUX` tag names the
//! session (tags survive reparenting and `setsid`) and runs outside every pane now, and its servers'
//! `MCPD_OWNER` escapees are stopped with the identity-safe stop, except those with a live client
//! outside that set (DESIGN.md, "Ownership, from evidence"); then the records whose processes are
//! gone are dropped.

use std::collections::{HashMap, HashSet};

use crate::config::{Config, OnClose};
use crate::matcher::Matcher;
use crate::model::{Identity, Owner, ProcInfo, Record, Snapshot, StdioView, StopTarget, TmuxView};
// The shell part (`close`): reading /proc and stopping.
use crate::procs::{self, StopOptions, StopOutcome, peers, stop_trees_seen};
use crate::state::Registry;

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

/// Stops everything `closed` owned and drops its records (keeping those of survivors and of
/// processes that live on with a live client).
pub fn close(
    registry: &Registry,
    config: &Config,
    closed: &ClosedSession,
    tmux: &crate::tmux::Tmux,
    state_tag: &str,
    env_cache: Option<&std::path::Path>,
) -> anyhow::Result<StopOutcome> {
    close_many(
        registry,
        config,
        std::slice::from_ref(closed),
        tmux,
        state_tag,
        env_cache,
    )
}

/// [`close`] for several sessions at once, served by one /proc pass and one stop (concurrent closes
/// gathered by `crate::gather`): each session's candidates are chosen as for a single close, and
/// the live-client check sees all of them as the set about to be stopped.
pub fn close_many(
    registry: &Registry,
    config: &Config,
    closing: &[ClosedSession],
    tmux: &crate::tmux::Tmux,
    state_tag: &str,
    env_cache: Option<&std::path::Path>,
) -> anyhow::Result<StopOutcome> {
    close_many_seen(registry, config, closing, tmux, state_tag, env_cache).map(|c| c.outcome)
}

/// What a close did, and what it saw: the hook's reconcile judges the other gone sessions from the
/// same pass instead of reading /proc again.
pub struct Closing {
    pub outcome: StopOutcome,
    /// The lean snapshot the close decided on (command lines only of the processes it looked at).
    pub snapshot: Snapshot,
    /// tmux's sessions and panes after the close (None when tmux could not be asked).
    pub view: Option<TmuxView>,
}

/// [`close_many`], returning what it saw. The pass is lean ([`Snapshot::take_lean`]): `stat` of every
/// process; the command line and environment only of the processes that could be candidates and that
/// the tag cache does not already clear (new processes, and those whose cached tags name a closing
/// session, which are read again: a candidate is always judged on tags read now).
pub fn close_many_seen(
    registry: &Registry,
    config: &Config,
    closing: &[ClosedSession],
    tmux: &crate::tmux::Tmux,
    state_tag: &str,
    env_cache: Option<&std::path::Path>,
) -> anyhow::Result<Closing> {
    let mut records: Vec<Record> = Vec::new();
    for owner in closing.iter().map(|c| Owner::Session(c.name.clone())) {
        if records.iter().any(|r| r.owner == owner) {
            continue; // the same name twice (closed and reopened): its records are in already
        }
        let (recs, warnings) = registry.load(&owner);
        for w in warnings {
            tracing::warn!("{w}");
        }
        records.extend(recs);
    }
    // Membership now: tmux's panes after the close (none when the server is gone), asked while /proc
    // is read.
    let asking = crate::world::PendingView::start(tmux);
    let mut snap = Snapshot::take_lean()?;
    let uid = procs::my_uid();
    let view = asking.wait().ok();
    // Only processes outside every pane tree can be candidates (candidates() below).
    let in_pane = crate::sweep::owner::pane_index(&snap, view.as_ref());
    let ids: HashSet<u32> = closing
        .iter()
        .filter_map(|c| c.id)
        .chain(records.iter().filter_map(|r| r.session_id))
        .collect();
    let owners: HashSet<String> = closing
        .iter()
        .map(|c| format!("session:{}", c.name))
        .collect();
    procs::envcache::load_lean_through_file(
        &mut snap,
        env_cache,
        |p| {
            p.uid == uid
                && p.pid > 1
                && !p.is_kernel_thread()
                && !p.is_zombie()
                && !in_pane.contains_key(&p.pid)
        },
        |t| {
            t.tmux.as_ref().is_some_and(|x| ids.contains(&x.session_id))
                || t.mcpd_owner.as_ref().is_some_and(|o| owners.contains(o))
        },
    );
    let recorded: HashSet<i32> = records.iter().map(|r| r.pid).collect();
    snap.fill_cmdlines(|p| recorded.contains(&p.pid));
    let matcher = Matcher::from_config(config);
    let rules = Rules {
        matcher: &matcher,
        on_close: config.sessions.on_close,
        my_uid: uid,
        state_tag: Some(state_tag),
    };
    let mut all: Vec<i32> = Vec::new();
    for closed in closing {
        for pid in candidates(&snap, &records, closed, &rules, view.as_ref()) {
            if !all.contains(&pid) {
                all.push(pid);
            }
        }
    }
    let stdio = if all.is_empty() {
        HashMap::new()
    } else {
        peers::stdio_peers(&all, &peers::scan_pids(&snap, uid))
    };
    // Clients are named in the log with their command lines.
    let clients: HashSet<i32> = stdio
        .values()
        .flat_map(|v| v.stdin_clients.iter().chain(&v.stdout_clients))
        .map(|h| h.pid)
        .collect();
    snap.fill_cmdlines(|p| clients.contains(&p.pid));
    let (targets, protected) = targets(&snap, &records, &all, &stdio, view.as_ref());
    let names: Vec<&str> = closing.iter().map(|c| c.name.as_str()).collect();
    for (pid, why) in &protected {
        tracing::info!("session(s) {names:?}: not stopping {pid}: {why}");
    }
    // The stop starts from the snapshot the decision was made on: one /proc pass fewer per close.
    let outcome = stop_trees_seen(
        &snap,
        &targets,
        &StopOptions::with_grace(config.daemon.stop_grace),
    )?;
    let why = match names.as_slice() {
        [one] => format!("no live client; its tmux session {one:?} closed"),
        many => format!("no live client; its tmux session (one of {many:?}) closed"),
    };
    crate::journal::record_stops(
        registry.dir().parent().unwrap_or(registry.dir()),
        "session-close",
        &outcome,
        &HashMap::new(),
        &why,
    );
    // Only the records this close was about, and whose processes are gone now: a record written
    // meanwhile (the session reopened under the same name) stays.
    for closed in closing {
        let owner = Owner::Session(closed.name.clone());
        let about: HashSet<Identity> = records
            .iter()
            .filter(|r| closed.owns(r, &owner))
            .map(Record::identity)
            .collect();
        if about.is_empty() {
            continue;
        }
        registry.update(&owner, |recs| {
            recs.retain(|r| !about.contains(&r.identity()) || r.identity().is_alive())
        })?;
    }
    Ok(Closing {
        outcome,
        snapshot: snap,
        view,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
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
