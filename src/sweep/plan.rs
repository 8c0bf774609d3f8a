//! Pure: the [`Plan`] that `mcpd clean` (and the daemon's sweep) carries out: stop every stoppable
//! orphan tree, drop records whose process is gone, recycled or whose session is gone, and move records
//! whose session was renamed or whose process moved to another session.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::{Classified, Inputs};
use crate::model::{Identity, Owner, StopTarget};

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

/// A record that follows its process to another session: the session was renamed (same tmux id),
/// or the process's window moved to another session.
#[derive(Clone, Debug, Serialize)]
pub struct PlannedMove {
    #[serde(serialize_with = "ser_display")]
    pub from: Owner,
    #[serde(serialize_with = "ser_display")]
    pub to: Owner,
    pub pid: i32,
    pub start_time: u64,
}

/// What clean does.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    pub stop: Vec<PlannedStop>,
    pub drop: Vec<PlannedDrop>,
    #[serde(rename = "move")]
    pub moves: Vec<PlannedMove>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.stop.is_empty() && self.drop.is_empty() && self.moves.is_empty()
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
            reason: c.reason(),
        });
    }
    // Records of a gone session are dropped with the processes this plan stops; one whose process
    // lives on (it has a live client) keeps the evidence of where it came from.
    let stopped: HashSet<i32> = plan
        .stop
        .iter()
        .flat_map(|s| std::iter::once(s.pid).chain(snap.descendants(s.pid)))
        .collect();
    let by_pid: HashMap<i32, &Classified> = classified.iter().map(|c| (c.pid, c)).collect();
    for r in inp.records {
        let Some(c) = by_pid.get(&r.pid) else {
            continue;
        };
        if c.recorded.is_none() || stopped.contains(&r.pid) || c.orphan.is_some() {
            continue;
        }
        if let (Some(Owner::Session(to)), Some(_)) = (&c.owner, r.owner.session())
            && !to.starts_with('$')
            && c.owner.as_ref() != Some(&r.owner)
        {
            plan.moves.push(PlannedMove {
                from: r.owner.clone(),
                to: Owner::Session(to.clone()),
                pid: r.pid,
                start_time: r.start_ticks,
            });
        }
    }
    for r in inp.records {
        let why = match snap.get(r.pid) {
            None => Some(DropWhy::Gone),
            Some(p) if p.is_zombie() => Some(DropWhy::Gone),
            Some(p) if p.start_ticks != r.start_ticks => Some(DropWhy::Recycled),
            Some(_) if stopped.contains(&r.pid) => Some(DropWhy::SessionGone),
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
