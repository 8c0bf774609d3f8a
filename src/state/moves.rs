//! Applying a plan's record moves: records follow their process to the session it belongs to now
//! (renames, move-window). The plan is pure (`sweep::plan`); this writes the registry.

use std::collections::HashMap;

use super::Registry;
use crate::model::{Owner, Record};
use crate::sweep::Plan;

/// Moves records to the session their process belongs to now (renames, move-window). Returns how
/// many moved; failures are warnings, never losses (the registry writes before it removes).
pub fn apply_moves(registry: &Registry, plan: &Plan, records: &[Record]) -> usize {
    let mut by_to: HashMap<&Owner, Vec<Record>> = HashMap::new();
    for m in &plan.moves {
        if let Some(r) = records
            .iter()
            .find(|r| r.pid == m.pid && r.start_ticks == m.start_time && r.owner == m.from)
        {
            by_to.entry(&m.to).or_default().push(r.clone());
        }
    }
    let mut n = 0;
    for (to, recs) in by_to {
        match registry.move_records(&recs, to) {
            Ok(_) => n += recs.len(),
            Err(e) => tracing::warn!("cannot move records to {to}: {e}"),
        }
    }
    n
}
