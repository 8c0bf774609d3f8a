//! The steps `clean`, the hook worker and the daemon's sweep share after a plan is made: move the
//! records that follow their process to another session, stop what the plan says with its reasons in
//! the journal, and (for the hook) reconcile every session that is gone without its hook.

use std::collections::HashMap;

use crate::procs::{StopOptions, StopOutcome, stop_trees};
use crate::sweep::Plan;
use crate::world::{Env, World};

pub use crate::state::apply_moves;

/// Stops the plan's trees and writes each stop to the journal with its reason.
pub fn stop_planned(
    w: &World,
    plan: &Plan,
    actor: &str,
) -> Result<StopOutcome, crate::procs::ProcError> {
    if plan.stop.is_empty() {
        return Ok(StopOutcome::default());
    }
    let targets: Vec<_> = plan.stop.iter().map(|s| s.target.clone()).collect();
    let out = stop_trees(
        &targets,
        &StopOptions::with_grace(w.config.daemon.stop_grace),
    )?;
    let mut reasons: HashMap<i32, String> = HashMap::new();
    for s in &plan.stop {
        reasons.insert(s.pid, s.reason.clone());
        for d in w.snapshot.descendants(s.pid) {
            reasons.insert(d, format!("under {} ({})", s.pid, s.reason));
        }
    }
    crate::journal::record_stops(&w.paths.state_dir, actor, &out, &reasons, "orphaned");
    Ok(out)
}

/// After a session-closed hook: stop what every gone session (or a gone pane) left behind, judged by
/// evidence (a live client still protects), never lineage orphans (that is `clean`'s and the sweep's
/// business). Returns how many processes were stopped.
pub fn reconcile_sessions(env: Env) -> anyhow::Result<usize> {
    let w = World::gather(env)?;
    let mut plan = w.plan();
    let by_pid: HashMap<i32, &crate::sweep::Classified> =
        w.classified.iter().map(|c| (c.pid, c)).collect();
    plan.stop.retain(|s| {
        by_pid
            .get(&s.pid)
            .and_then(|c| c.orphan.as_ref())
            .is_some_and(|o| o.by_session())
    });
    apply_moves(&w.registry, &plan, &w.records);
    let out = stop_planned(&w, &plan, "session-close")?;
    let _ = w
        .registry
        .drop_gone(w.records.iter().map(|r| (&r.owner, r.identity())));
    Ok(out.stopped.len())
}
