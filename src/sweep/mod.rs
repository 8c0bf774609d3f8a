//! Pure: snapshot + records + tmux view + stdio evidence + matcher -> which processes are MCP-like,
//! who owns each and how we know, which are orphans, and the [`Plan`] that `mcpd clean` (and the
//! daemon's sweep) carries out (DESIGN.md, "Ownership, from evidence").
//!
//! Orphaned means: MCP-like, no live client, and either its lineage ends at an adopter (PID 1, a
//! subreaper, a user service manager) or its tmux pane is gone, or it belongs (by record, `TMUX` tag
//! outside every pane, or `MCPD_OWNER`) to a session that no longer exists. Lineage orphans younger
//! than `orphan_min_age` are reported, not stopped. Every verdict carries its evidence.

mod adopt;
pub mod clients;
pub mod dump;
pub mod lineage;
pub mod owner;
mod plan;

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use adopt::adoptions;
pub use clients::Client;
pub use lineage::Step;
pub use owner::OwnedBy;
pub use plan::{DropWhy, Plan, PlannedDrop, PlannedMove, PlannedStop, plan};

use crate::matcher::{MatchWhy, Matcher};
use crate::model::{Origin, Owner, ProcInfo, Record, Snapshot, StdioView, TmuxView};

/// What the pure functions need.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    pub records: &'a [Record],
    /// Our tmux server's sessions and panes: `Some(view)` when it answered (an empty view when no
    /// server runs), `None` when tmux could not be asked (then nothing is judged by session).
    pub tmux: Option<&'a TmuxView>,
    pub matcher: &'a Matcher,
    pub my_uid: u32,
    pub orphan_min_age: Duration,
    /// This mcpd's state directory as spawned processes carry it in `MCPD_STATE`: processes tagged
    /// with another state directory belong to another mcpd and are left out. None: accept all.
    pub state_tag: Option<&'a str>,
    /// Stdio evidence for the orphan candidates ([`candidates`]); None: not gathered yet, and then no
    /// orphan is stoppable.
    pub stdio: Option<&'a HashMap<i32, StdioView>>,
}

/// Why an MCP-like process is an orphan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrphanWhy {
    /// Its launcher chain ends at PID 1, a subreaper or a user service manager that adopted it.
    Reparented { to_pid: i32, to_name: String },
    /// It belongs to a tmux session that no longer exists.
    SessionGone { session: String },
    /// A child of our tmux server that is no pane's process: its pane is gone.
    PaneGone { server_pid: i32 },
}

impl OrphanWhy {
    /// Judged by session (the hook's business as much as the sweep's), not by lineage.
    pub fn by_session(&self) -> bool {
        !matches!(self, OrphanWhy::Reparented { .. })
    }
}

impl std::fmt::Display for OrphanWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrphanWhy::Reparented { to_pid, to_name } => {
                write!(f, "no live client; adopted by {to_name} (pid {to_pid})")
            }
            OrphanWhy::SessionGone { session } => {
                write!(f, "no live client; its tmux session {session} is gone")
            }
            OrphanWhy::PaneGone { server_pid } => write!(
                f,
                "no live client; its tmux pane is gone (a child of the tmux server, pid {server_pid})"
            ),
        }
    }
}

/// The evidence behind one classification (`mcpd ps --explain`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The pattern and program name that made it MCP-like (None: recorded or tagged by mcpd).
    pub matched: Option<MatchWhy>,
    /// How the owner was found.
    pub owned_by: Option<OwnedBy>,
    /// The walk up its ancestors (only when lineage was asked).
    pub steps: Vec<Step>,
    /// Its stdin/stdout and their other ends (only for orphan candidates).
    pub stdio: Option<StdioView>,
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
    /// What kept it from being an orphan: a live client, a live terminal, unreadable stdio.
    pub client: Option<Client>,
    /// Orphan by its lineage or session, but its stdio was not read: never stoppable.
    pub unverified: bool,
    pub evidence: Evidence,
}

impl Classified {
    /// An owned process with no further evidence (a starting point for tests and projections).
    pub fn owned(pid: i32, owner: Option<Owner>) -> Classified {
        Classified {
            pid,
            owner,
            recorded: None,
            orphan: None,
            young: false,
            client: None,
            unverified: false,
            evidence: Evidence::default(),
        }
    }

    /// An orphan that clean would stop now.
    pub fn stoppable(&self) -> bool {
        self.orphan.is_some() && !self.young && !self.unverified
    }

    /// The one-line reason shown by `ps`, `clean --dry-run` and the dashboard.
    pub fn reason(&self) -> String {
        if let Some(o) = &self.orphan {
            return o.to_string();
        }
        if let Some(c) = &self.client {
            return c.to_string();
        }
        match (&self.owner, &self.evidence.owned_by) {
            (Some(o), Some(OwnedBy::Pane { pane_pid })) => {
                format!("runs in a pane of {o} (pane {pane_pid})")
            }
            (Some(o), Some(_)) => format!("owned by {o}"),
            _ => self
                .evidence
                .steps
                .last()
                .map(|s| {
                    format!(
                        "owned by {} {}",
                        s.pid,
                        crate::output::truncate(&s.command, 60)
                    )
                })
                .unwrap_or_else(|| "owned".into()),
        }
    }
}

fn is_foreign(p: &ProcInfo, inp: &Inputs) -> bool {
    p.env
        .as_ref()
        .and_then(|e| e.mcpd_state.as_deref())
        .is_some_and(|s| inp.state_tag.is_some_and(|mine| mine != s))
}

/// Classifies every MCP-like process of ours (records' and mcpd-tagged processes count as MCP-like).
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
    let panes = owner::pane_index(snap, inp.tmux);
    let resolver = owner::Resolver {
        snap,
        view: inp.tmux,
        live_records: &live_records,
        panes: &panes,
    };
    let mut procs: Vec<(&ProcInfo, Option<MatchWhy>)> = snap
        .procs
        .values()
        .filter(|p| p.uid == inp.my_uid && p.pid > 1 && !p.is_zombie() && !is_foreign(p, inp))
        .filter_map(|p| {
            let why = inp.matcher.why_mcp(p);
            (why.is_some() || live_records.contains_key(&p.pid) || owner::mcpd_owner(p).is_some())
                .then_some((p, why))
        })
        .collect();
    procs.sort_by_key(|(p, _)| p.pid);
    let mut out: Vec<Classified> = procs
        .into_iter()
        .map(|(p, matched)| judge(inp, &resolver, p, matched))
        .collect();
    // A live client is proof of ownership: look at the candidates' stdio.
    let candidates: Vec<i32> = out
        .iter()
        .filter(|c| c.orphan.is_some())
        .map(|c| c.pid)
        .collect();
    if candidates.is_empty() {
        return out;
    }
    let Some(stdio) = inp.stdio else {
        for c in out.iter_mut().filter(|c| c.orphan.is_some()) {
            c.unverified = true;
        }
        return out;
    };
    let protected = clients::protect(snap, &candidates, stdio, inp.tmux);
    for c in out.iter_mut().filter(|c| c.orphan.is_some()) {
        c.evidence.stdio = stdio.get(&c.pid).cloned();
        if let Some(client) = protected.get(&c.pid) {
            c.client = Some(client.clone());
            c.orphan = None;
            c.young = false;
        }
    }
    out
}

fn judge(
    inp: &Inputs,
    resolver: &owner::Resolver,
    p: &ProcInfo,
    matched: Option<MatchWhy>,
) -> Classified {
    let ownership = resolver.resolve(p);
    let mut c = Classified {
        pid: p.pid,
        owner: ownership.as_ref().map(|o| o.owner.clone()),
        recorded: ownership.as_ref().and_then(|o| o.recorded),
        orphan: None,
        young: false,
        client: None,
        unverified: false,
        evidence: Evidence {
            matched,
            owned_by: ownership.as_ref().map(|o| o.by.clone()),
            ..Evidence::default()
        },
    };
    if let Some((session, _)) = ownership.as_ref().and_then(|o| o.gone.clone()) {
        c.orphan = Some(OrphanWhy::SessionGone { session });
        return c;
    }
    if matches!(c.owner, Some(Owner::Global(_))) || under_spawned(inp, resolver, p) {
        return c;
    }
    let (lineage, steps) = lineage::walk(inp.snapshot, p, inp.matcher, inp.tmux);
    c.evidence.steps = steps;
    match lineage {
        lineage::Lineage::Owned => {}
        lineage::Lineage::Adopted { to_pid, to_name } => {
            c.young = inp.snapshot.age(p) < inp.orphan_min_age;
            c.orphan = Some(OrphanWhy::Reparented { to_pid, to_name });
        }
        lineage::Lineage::PaneGone { server_pid } => {
            c.orphan = Some(OrphanWhy::PaneGone { server_pid });
        }
    }
    c
}

/// True when `p`, or an ancestor, is a process mcpd spawned (a configured server's tree): the daemon
/// owns it whatever its parent is now.
fn under_spawned(inp: &Inputs, r: &owner::Resolver, p: &ProcInfo) -> bool {
    std::iter::once(p.pid)
        .chain(inp.snapshot.ancestors(p.pid))
        .any(|pid| {
            r.live_records
                .get(&pid)
                .is_some_and(|r| r.origin == Origin::Spawned)
        })
        || owner::mcpd_owner(p).is_some_and(|o| o.starts_with("global:"))
}

/// The pids whose stdio must be read before anything is stopped: the orphans of a first,
/// evidence-less classification. Empty means no /proc/PID/fd is read at all.
pub fn candidates(classified: &[Classified]) -> Vec<i32> {
    classified
        .iter()
        .filter(|c| c.orphan.is_some())
        .map(|c| c.pid)
        .collect()
}

#[cfg(test)]
mod tests;
