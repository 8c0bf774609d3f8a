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
    reconcile_in(&World::gather(env)?)
}

/// [`reconcile_sessions`] right after a close, judged on the pass the close made
/// ([`crate::session::Closing`]) instead of a new one: the processes the close stopped are taken out,
/// the command lines the lean pass left out are read (no `stat` again, except of what the plan would
/// stop and its ancestors, read now before judging again), and the environment tags come through
/// the cache, checked against those command lines. Processes started since that pass
/// are not judged now (the next reconcile or sweep sees them): only ever fewer stops, never more.
pub fn reconcile_after_close(env: Env, seen: crate::session::Closing) -> anyhow::Result<usize> {
    let crate::session::Closing {
        outcome,
        snapshot,
        view,
        ..
    } = seen;
    let ended: std::collections::HashSet<(i32, u64)> = outcome
        .stopped
        .iter()
        .filter(|s| s.ending != crate::procs::stop::Ending::Survived)
        .map(|s| (s.pid, s.start_time))
        .chain(outcome.gone.iter().map(|i| (i.pid, i.start_ticks)))
        .collect();
    let mut snap = crate::procs::Snapshot::from_procs(
        snapshot
            .procs
            .into_values()
            .filter(|p| !ended.contains(&(p.pid, p.start_ticks)))
            .map(|mut p| {
                p.env = None; // cached hints of the lean pass: loaded again, checked
                p
            })
            .collect(),
        snapshot.ticks_per_sec,
        snapshot.boot_time,
        snapshot.taken_at,
    );
    snap.fill_cmdlines(|_| true);
    let uid = crate::procs::my_uid();
    crate::procs::envcache::load_through_file(
        &mut snap,
        env.paths.env_cache_file().as_deref(),
        |p| p.uid == uid && !p.cmdline.is_empty() && p.pid > 1,
    );
    let registry = env.registry()?;
    let (records, warnings) = registry.load_all();
    let matcher = crate::matcher::Matcher::from_config(&env.config);
    let state_tag = env.paths.state_dir.display().to_string();
    let mut w = World {
        config: env.config,
        paths: env.paths,
        registry,
        records,
        snapshot: snap,
        tmux_view: view,
        tmux: env.tmux,
        matcher,
        classified: Vec::new(),
        stdio: HashMap::new(),
        warnings: warnings.iter().map(ToString::to_string).collect(),
        state_tag,
    };
    w.reclassify();
    // The pass was partly served from the cache (procs::envcache_ino): what the plan would stop is
    // judged again on its `stat` and its ancestors' read now.
    let stops: Vec<i32> = w.plan().stop.iter().map(|s| s.pid).collect();
    if !stops.is_empty() {
        let read = crate::procs::envcache_ino::refresh(&mut w.snapshot, stops);
        w.snapshot.fill_cmdlines(|p| read.contains(&p.pid));
        w.reclassify();
    }
    reconcile_in(&w)
}

fn reconcile_in(w: &World) -> anyhow::Result<usize> {
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
    let out = stop_planned(w, &plan, "session-close")?;
    let _ = w
        .registry
        .drop_gone(w.records.iter().map(|r| (&r.owner, r.identity())));
    Ok(out.stopped.len())
}
