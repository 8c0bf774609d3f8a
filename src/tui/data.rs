//! What the dashboard shows, as one plain value: the health report, the process rows in tree order and
//! the clean plan, all from one gathering of the world. Tests build a [`Data`] by hand; the collector
//! builds it with [`Data::from_world`].

use std::collections::HashMap;
use std::time::Duration;

use crate::health::Report;
use crate::model::DaemonSeen;
use crate::model::Identity;
use crate::ps_rows::{self, PsRow};
use crate::sweep::Plan;
use crate::world::World;

/// One snapshot of everything the dashboard draws.
#[derive(Debug)]
pub struct Data {
    /// The four metrics, sessions, servers, recommendations and gathering warnings.
    pub report: Report,
    /// Every MCP-like process, in tree order (parents first, with their depth), as `mcpd ps` lists them.
    pub rows: Vec<PsRow>,
    /// What `mcpd clean` would do now.
    pub plan: Plan,
    /// The process group recorded for each live recorded process. A stop takes the whole group only
    /// when the process leads a group mcpd recorded for it (an adopted process shares its agent's).
    pub pgids: HashMap<Identity, i32>,
    /// When the process table was read, seconds since the epoch.
    pub taken_at: f64,
    /// SIGTERM -> SIGKILL for stops started from the dashboard (`[daemon] stop_grace`).
    pub stop_grace: Duration,
}

impl Data {
    /// Everything the dashboard needs from one gathered world: the daemon is asked once, and its
    /// answer feeds both the report and the rows.
    pub fn from_world(w: &World) -> Data {
        Data::project(w, &w.ask_daemon())
    }

    /// Pure: the dashboard's data from a gathered world and what the daemon said.
    pub fn project(w: &World, daemon: &DaemonSeen) -> Data {
        let pgids = w
            .records
            .iter()
            .filter(|r| {
                w.snapshot
                    .get(r.pid)
                    .is_some_and(|p| p.start_ticks == r.start_ticks)
            })
            .map(|r| (r.identity(), r.pgid))
            .collect();
        Data {
            report: w.report_with(daemon),
            rows: ps_rows::project(
                &w.classified,
                &w.snapshot,
                daemon.servers(),
                &ps_rows::Filter::default(),
            ),
            plan: w.plan(),
            pgids,
            taken_at: w.snapshot.taken_at,
            stop_grace: w.config.daemon.stop_grace,
        }
    }

    /// The recorded process group of the process at `rows[index]`, if mcpd recorded one.
    pub fn pgid_of(&self, index: usize) -> Option<i32> {
        let r = self.rows.get(index)?;
        self.pgids
            .get(&Identity {
                pid: r.pid,
                start_ticks: r.start_time,
            })
            .copied()
    }

    /// The indexes of the rows below `rows[index]` in its tree (its MCP-like descendants).
    pub fn subtree(&self, index: usize) -> std::ops::Range<usize> {
        let Some(top) = self.rows.get(index) else {
            return index..index;
        };
        let end = self.rows[index + 1..]
            .iter()
            .position(|r| r.depth <= top.depth)
            .map_or(self.rows.len(), |n| index + 1 + n);
        index + 1..end
    }
}
