//! Pure: snapshot + records + tmux sessions + matcher -> which processes are MCP-like, who owns each,
//! which are orphans, and the [`Plan`] that `mcpd clean` (and the daemon's sweep) carries out.
//!
//! Ownership, strongest first: a record (spawned or adopted), the `MCPD_OWNER` tag, a recorded ancestor,
//! the `TMUX` tag of a session on our server. Orphans:
//! - anything owned by a tmux session that no longer exists (or whose tmux server is gone);
//! - by parent lineage: walk up past launchers and other MCP-like processes; the first other ancestor
//!   decides: PID 1 or a user service manager (`systemd --user`, launchd) means orphan, anything else
//!   (tmux, an agent, a shell, an editor, mcpd) means owned. Processes mcpd spawned for a global server,
//!   or under a spawned server, are owned by that server whatever their parent.
//!
//! Lineage orphans younger than `orphan_min_age` are left alone (a launcher may still be starting).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use crate::matcher::Matcher;
use crate::procs::{Identity, ProcInfo, Snapshot, StopTarget};
use crate::state::{Origin, Owner, Record};
use crate::tmux::TmuxView;

/// What the pure functions need.
pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub records: &'a [Record],
    /// The tmux server's sessions: `Some(view)` when it answered (an empty view when no server runs),
    /// `None` when tmux could not be asked (then nothing is judged by session).
    pub tmux: Option<&'a TmuxView>,
    pub matcher: &'a Matcher,
    pub my_uid: u32,
    pub orphan_min_age: Duration,
    /// This mcpd's state directory as spawned processes carry it in `MCPD_STATE`: processes tagged
    /// with another state directory belong to another mcpd and are left out. None: accept all.
    pub state_tag: Option<&'a str>,
}

/// Why an MCP-like process is an orphan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrphanWhy {
    /// Its launcher chain ends at PID 1 or a user service manager that adopted it.
    Reparented { to_pid: i32, to_name: String },
    /// It belongs to a tmux session that no longer exists.
    SessionGone { session: String },
}

impl std::fmt::Display for OrphanWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrphanWhy::Reparented { to_pid, to_name } => {
                write!(f, "reparented to {to_name} (pid {to_pid})")
            }
            OrphanWhy::SessionGone { session } => write!(f, "its tmux session {session:?} is gone"),
        }
    }
}

/// One MCP-like process of ours, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub pid: i32,
    pub owner: Option<Owner>,
    pub recorded: Option<Origin>,
    pub orphan: Option<OrphanWhy>,
    /// An orphan by lineage that is younger than `orphan_min_age`: reported, not stopped yet.
    pub young: bool,
}

impl Classified {
    /// An orphan that clean would stop now.
    pub fn stoppable(&self) -> bool {
        self.orphan.is_some() && !self.young
    }
}

/// Who decided ownership on the walk up.
enum Lineage {
    Owned,
    Orphan { to_pid: i32, to_name: String },
}

/// `MCPD_OWNER`, unless the process also carries `TMUX`: then it runs in a tmux pane (a spawned server
/// that started a tmux server passes its tags on to every pane), and the pane's processes are the
/// user's.
fn mcpd_owner(p: &ProcInfo) -> Option<&str> {
    let e = p.env.as_ref()?;
    if e.tmux.is_some() {
        return None;
    }
    e.mcpd_owner.as_deref()
}

fn is_user_manager(p: &ProcInfo) -> bool {
    (p.comm == "systemd" && p.pid != 1) || p.comm == "launchd"
}

struct Ctx<'a> {
    inp: &'a Inputs<'a>,
    /// Records whose identity matches a live process, by pid.
    live_records: HashMap<i32, &'a Record>,
}

impl Ctx<'_> {
    fn owner_of(&self, p: &ProcInfo) -> Option<(Owner, Option<Origin>)> {
        if let Some(r) = self.live_records.get(&p.pid) {
            return Some((r.owner.clone(), Some(r.origin)));
        }
        if let Some(o) = mcpd_owner(p).and_then(|o| Owner::parse(o).ok()) {
            return Some((o, None));
        }
        for a in self.inp.snapshot.ancestors(p.pid) {
            if let Some(r) = self.live_records.get(&a) {
                return Some((r.owner.clone(), None));
            }
        }
        let tag = p.env.as_ref().and_then(|e| e.tmux.as_ref())?;
        let view = self.inp.tmux?;
        if tag.server_pid == view.server_pid
            && let Some(s) = view.session_by_id(tag.session_id)
        {
            return Some((Owner::Session(s.name.clone()), None));
        }
        None
    }

    /// True when `p`, or an ancestor, is a process mcpd spawned (a configured server's tree): the
    /// daemon owns it whatever its parent is now.
    fn under_spawned(&self, p: &ProcInfo) -> bool {
        std::iter::once(p.pid)
            .chain(self.inp.snapshot.ancestors(p.pid))
            .any(|pid| {
                self.live_records
                    .get(&pid)
                    .is_some_and(|r| r.origin == Origin::Spawned)
            })
            || mcpd_owner(p).is_some_and(|o| o.starts_with("global:"))
    }

    fn lineage(&self, p: &ProcInfo) -> Lineage {
        let snap = self.inp.snapshot;
        let mut below = p;
        for a in snap.ancestors(p.pid) {
            let Some(ap) = snap.get(a) else {
                return Lineage::Owned;
            };
            let service = || {
                below
                    .env
                    .as_ref()
                    .and_then(|e| e.unit.as_deref())
                    .is_some_and(|u| u.ends_with(".service"))
            };
            if a == 1 {
                // Under systemd as PID 1, a `.service` unit was started as a service, not orphaned.
                if ap.comm == "systemd" && service() {
                    return Lineage::Owned;
                }
                return Lineage::Orphan {
                    to_pid: 1,
                    to_name: ap.comm.clone(),
                };
            }
            if self.inp.matcher.is_launcher(ap) || self.inp.matcher.is_mcp(ap) {
                below = ap;
                continue;
            }
            if is_user_manager(ap) {
                // Started as a user service (its own `.service` unit), not merely adopted.
                if service() {
                    return Lineage::Owned;
                }
                return Lineage::Orphan {
                    to_pid: a,
                    to_name: ap.comm.clone(),
                };
            }
            return Lineage::Owned;
        }
        // The parent is not in the snapshot (it exited mid-read): not enough to call it an orphan.
        Lineage::Owned
    }

    /// The tmux socket recorded for `p` or its nearest recorded ancestor.
    fn recorded_socket(&self, p: &ProcInfo) -> Option<&str> {
        std::iter::once(p.pid)
            .chain(self.inp.snapshot.ancestors(p.pid))
            .find_map(|pid| self.live_records.get(&pid))
            .and_then(|r| r.tmux_socket.as_deref())
    }

    /// Session gone, or tmux server gone, judged only when tmux answered.
    fn session_orphan(&self, p: &ProcInfo, owner: Option<&Owner>) -> Option<OrphanWhy> {
        let view = self.inp.tmux?;
        // A session of another tmux server that is still there cannot be judged by this one's list.
        if let Some(sock) = self.recorded_socket(p)
            && sock != view.socket_path
            && std::path::Path::new(sock).exists()
        {
            return None;
        }
        if let Some(Owner::Session(name)) = owner {
            if view.session(name).is_none() {
                return Some(OrphanWhy::SessionGone {
                    session: name.clone(),
                });
            }
            return None;
        }
        // A `TMUX` tag alone is not judged here: an editor started in a pane outlives its session,
        // and what it starts later inherits the stale tag. Tags decide only when the session closes
        // (`session::targets`); after that, lineage does.
        None
    }
}

/// Classifies every MCP-like process of ours (records' processes count as MCP-like).
pub fn classify(inp: &Inputs) -> Vec<Classified> {
    let snap = inp.snapshot;
    let live_records: HashMap<i32, &Record> = inp
        .records
        .iter()
        .filter(|r| {
            snap.get(r.pid)
                .is_some_and(|p| p.start_ticks == r.start_ticks && !p.is_zombie())
        })
        .map(|r| (r.pid, r))
        .collect();
    let ctx = Ctx { inp, live_records };
    let mut out: Vec<Classified> = Vec::new();
    let mut pids: Vec<&ProcInfo> = snap
        .procs
        .values()
        .filter(|p| p.uid == inp.my_uid && p.pid > 1 && !p.is_zombie())
        .filter(|p| {
            let foreign = p
                .env
                .as_ref()
                .and_then(|e| e.mcpd_state.as_deref())
                .is_some_and(|s| inp.state_tag.is_some_and(|mine| mine != s));
            !foreign
        })
        .filter(|p| {
            ctx.live_records.contains_key(&p.pid)
                || mcpd_owner(p).is_some()
                || inp.matcher.is_mcp(p)
        })
        .collect();
    pids.sort_by_key(|p| p.pid);
    for p in pids {
        let owned = ctx.owner_of(p);
        let (owner, recorded) = match owned {
            Some((o, origin)) => (Some(o), origin),
            None => (None, None),
        };
        let mut young = false;
        let orphan = if let Some(why) = ctx.session_orphan(p, owner.as_ref()) {
            Some(why)
        } else if matches!(owner, Some(Owner::Global(_))) || ctx.under_spawned(p) {
            None
        } else {
            match ctx.lineage(p) {
                Lineage::Owned => None,
                Lineage::Orphan { to_pid, to_name } => {
                    young = snap.age(p) < inp.orphan_min_age;
                    Some(OrphanWhy::Reparented { to_pid, to_name })
                }
            }
        };
        out.push(Classified {
            pid: p.pid,
            owner,
            recorded,
            orphan,
            young,
        });
    }
    out
}

/// A tree to stop, with what to tell the user about it.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedStop {
    #[serde(skip)]
    pub target: StopTarget,
    pub pid: i32,
    pub command: String,
    /// RSS of the process and its descendants.
    pub rss_bytes: u64,
    pub owner: Option<String>,
    pub reason: String,
}

/// Why a record is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropWhy {
    /// Its process has exited.
    Gone,
    /// Its pid now belongs to a different process.
    Recycled,
    /// Its session is gone (dropped once its processes are stopped).
    SessionGone,
}

/// A record to drop.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedDrop {
    #[serde(serialize_with = "ser_display")]
    pub owner: Owner,
    pub pid: i32,
    pub start_time: u64,
    pub why: DropWhy,
}

fn ser_display<S: serde::Serializer>(o: &Owner, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(o)
}

/// What clean does.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    pub stop: Vec<PlannedStop>,
    pub drop: Vec<PlannedDrop>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.stop.is_empty() && self.drop.is_empty()
    }

    pub fn rss_bytes(&self) -> u64 {
        self.stop.iter().map(|s| s.rss_bytes).sum()
    }
}

/// The plan: stop every stoppable orphan tree (only its topmost orphan: the stop takes descendants),
/// and drop records whose process is gone, recycled, or whose session is gone.
pub fn plan(inp: &Inputs, classified: &[Classified]) -> Plan {
    let snap = inp.snapshot;
    let stoppable: BTreeMap<i32, &Classified> = classified
        .iter()
        .filter(|c| c.stoppable())
        .map(|c| (c.pid, c))
        .collect();
    let mut plan = Plan::default();
    let mut pgid_of: HashMap<Identity, i32> = HashMap::new();
    for r in inp.records {
        pgid_of.insert(r.identity(), r.pgid);
    }
    for (pid, c) in &stoppable {
        let Some(p) = snap.get(*pid) else { continue };
        if snap
            .ancestors(*pid)
            .iter()
            .any(|a| stoppable.contains_key(a))
        {
            continue;
        }
        let id = Identity::of(p);
        plan.stop.push(PlannedStop {
            target: StopTarget {
                identity: id,
                pgid: pgid_of.get(&id).copied(),
                leader_exited: false,
            },
            pid: *pid,
            command: p.command(),
            rss_bytes: snap.tree_rss(*pid),
            owner: c.owner.as_ref().map(ToString::to_string),
            reason: c
                .orphan
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        });
    }
    let gone_sessions: HashSet<&str> = match inp.tmux {
        Some(view) => inp
            .records
            .iter()
            .filter_map(|r| r.owner.session())
            .filter(|s| view.session(s).is_none())
            .collect(),
        None => HashSet::new(),
    };
    for r in inp.records {
        let why = match snap.get(r.pid) {
            None => Some(DropWhy::Gone),
            Some(p) if p.is_zombie() => Some(DropWhy::Gone),
            Some(p) if p.start_ticks != r.start_ticks => Some(DropWhy::Recycled),
            Some(_) if r.owner.session().is_some_and(|s| gone_sessions.contains(s)) => {
                Some(DropWhy::SessionGone)
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            plan.drop.push(PlannedDrop {
                owner: r.owner.clone(),
                pid: r.pid,
                start_time: r.start_ticks,
                why,
            });
        }
    }
    plan
}

#[cfg(test)]
#[path = "sweep_tests.rs"]
mod tests;

/// Pure: the MCP-like processes running in each live session's panes (the pane's process and its
/// descendants) that are not recorded yet, as adopted records for that session. Whatever is not
/// MCP-like, like the shell or the agent (a pane leader or deeper), is never recorded.
pub fn adoptions(
    snapshot: &Snapshot,
    panes: &[crate::tmux::Pane],
    matcher: &Matcher,
    records: &[Record],
    my_uid: u32,
    now: u64,
    tmux_socket: &str,
) -> Vec<Record> {
    let known: HashSet<Identity> = records.iter().map(Record::identity).collect();
    let mut seen: HashSet<i32> = HashSet::new();
    let mut out = Vec::new();
    for pane in panes {
        for pid in std::iter::once(pane.pid).chain(snapshot.descendants(pane.pid)) {
            let Some(p) = snapshot.get(pid) else { continue };
            if p.uid != my_uid
                || p.is_zombie()
                || !seen.insert(pid)
                || known.contains(&Identity::of(p))
            {
                continue;
            }
            if !matcher.is_mcp(p) {
                continue;
            }
            out.push(Record {
                pid,
                start_ticks: p.start_ticks,
                pgid: p.pgid,
                owner: Owner::Session(pane.session_name.clone()),
                origin: Origin::Adopted,
                server: None,
                command: p.command(),
                recorded_at: now,
                session_id: Some(pane.session_id),
                tmux_socket: Some(tmux_socket.to_string()),
            });
        }
    }
    out
}
