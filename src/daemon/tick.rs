//! One sweep, the blocking half: one process snapshot; adopt agent-started servers in live sessions;
//! stop orphans (and what closed or vanished sessions owned); drop stale records; measure each server's
//! tree RSS; build a history sample. The supervisor applies the rest (session servers, limits).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::history::Sample;
use super::instance::Key;
use crate::config::Config;
use crate::matcher::Matcher;
use crate::procs::{self, Snapshot, StopOptions, StopTarget, stop_trees};
use crate::state::Registry;
use crate::sweep;
use crate::tmux::{SessionInfo, Tmux};

/// What a sweep needs, cloned out of the supervisor.
pub struct TickInput {
    pub config: Config,
    pub registry: Registry,
    pub tmux: Tmux,
    /// Running instances: key, pid, start ticks.
    pub instances: Vec<(Key, i32, u64)>,
    /// `MCPD_STATE` of this daemon.
    pub state_tag: String,
    /// The state directory (for the event journal).
    pub state_dir: std::path::PathBuf,
    /// Environment tags kept across sweeps (tags are fixed at exec: only new process images are read).
    pub env_cache: std::sync::Arc<std::sync::Mutex<procs::EnvCache>>,
    /// Where the commands find the daemon's cache (`status` then reads no environment it has seen).
    pub env_cache_file: Option<std::path::PathBuf>,
    /// Every instance that existed when the sweep began: only these are judged by its session list
    /// (an instance opened during the sweep is newer than the list).
    pub keys: Vec<Key>,
}

/// What a sweep found and did.
#[derive(Debug, Default)]
pub struct TickResult {
    pub took_ms: u64,
    /// Live sessions; None when tmux could not be asked.
    pub sessions: Option<Vec<SessionInfo>>,
    /// Tree RSS of each running instance, by pid.
    pub rss: HashMap<i32, u64>,
    /// Instance pids that are gone (re-adopted servers are not our children: this is how their exit is seen).
    pub gone: Vec<i32>,
    pub stopped: usize,
    pub adopted: usize,
    pub sample: Option<Sample>,
    pub errors: Vec<String>,
    /// The instances this sweep may judge (see [`TickInput::keys`]).
    pub judged: Vec<Key>,
    /// The sweep's process table (environment tags of our processes loaded): the daemon's stops
    /// start from it instead of a pass of their own.
    pub snapshot: Option<std::sync::Arc<Snapshot>>,
}

/// What a sweep makes of an instance's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    Alive,
    /// Gone, and not our child: its exit status cannot be known.
    Gone,
    /// Our own child exited (a zombie, or already reaped): the reaper reports it with its real
    /// status. A sweep never guesses one.
    ForTheReaper,
}

/// Pure: what the snapshot says of instance process `pid` (started at `start`); `me` is the
/// daemon's pid.
pub fn judge_instance(snap: &Snapshot, pid: i32, start: u64, me: i32) -> Seen {
    match snap.get(pid) {
        Some(p) if p.start_ticks != start => Seen::Gone,
        Some(p) if p.is_zombie() && p.ppid == me => Seen::ForTheReaper,
        Some(p) if p.is_zombie() => Seen::Gone,
        Some(_) => Seen::Alive,
        // Not in the table: a child of ours was reaped already (its exit came with its status,
        // or is on its way); anything else is gone.
        None if is_child(pid) => Seen::ForTheReaper,
        None => Seen::Gone,
    }
}

/// True when `pid` is a child of this process not yet reaped (`waitid` knows it).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn is_child(pid: i32) -> bool {
    use nix::sys::wait::{WaitPidFlag, waitid};
    // WNOWAIT: a peek; the reaper still gets the status.
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    waitid(
        nix::sys::wait::Id::Pid(nix::unistd::Pid::from_raw(pid)),
        flags,
    )
    .is_ok()
}

/// Without `waitid`: a plain `waitpid(WNOHANG)` would reap it, so ask whether the pid exists at all.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn is_child(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

pub fn tick(input: TickInput) -> TickResult {
    let t0 = Instant::now();
    let mut out = TickResult {
        judged: input.keys.clone(),
        ..TickResult::default()
    };
    let asking = crate::world::PendingView::start(&input.tmux);
    let uid = procs::my_uid();
    let matcher = Matcher::from_config(&input.config);
    let reread = |p: &procs::ProcInfo| crate::judge::reread(&matcher, uid, p);
    // The daemon's own servers' trees are read every time: `max_rss` acts on their memory.
    let roots: Vec<i32> = input.instances.iter().map(|(_, p, _)| *p).collect();
    let mut snap = match read_table(&input, uid, |images| images.take(&reread, &roots)) {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let view = match asking.wait() {
        Ok(v) => Some(v),
        Err(e) => {
            if !matches!(e, crate::tmux::TmuxError::Missing) {
                out.errors.push(format!("tmux: {e}"));
            }
            None
        }
    };
    let (mut records, warnings) = input.registry.load_all();
    out.errors.extend(warnings.iter().map(ToString::to_string));

    // Adopt what agents started in live sessions.
    if let Some(v) = view.as_ref().filter(|v| !v.sessions.is_empty()) {
        let new = sweep::adoptions(&snap, v, &matcher, &records, uid, snap.taken_at as u64);
        out.adopted = new.len();
        if !new.is_empty() {
            match input.registry.add(new.clone()) {
                Ok(_) => records.extend(new),
                Err(e) => out.errors.push(e.to_string()),
            }
        }
    }

    let (mut classified, mut plan) = decide(&input, &snap, &records, view.as_ref(), &matcher);
    // Stops are decided on a full pass only: an incremental one may hold stale plain processes
    // (procs::incremental). Orphans to stop are rare, so this costs one pass now and then.
    let full = input
        .env_cache
        .lock()
        .map(|c| c.images.last_full)
        .unwrap_or(false);
    if !full && !stops(&input, &plan, &classified).is_empty() {
        match read_table(&input, uid, |images| images.take_full(&reread)) {
            Ok(s) => {
                snap = s;
                (classified, plan) = decide(&input, &snap, &records, view.as_ref(), &matcher);
            }
            Err(e) => {
                out.errors.push(e);
                return out;
            }
        }
    }
    crate::state::apply_moves(&input.registry, &plan, &records);
    let ours: HashSet<i32> = input.instances.iter().map(|(_, p, _)| *p).collect();
    let planned = stops(&input, &plan, &classified);
    if !planned.is_empty() {
        let targets: Vec<StopTarget> = planned.iter().map(|s| s.target.clone()).collect();
        match stop_trees(
            &targets,
            &StopOptions::with_grace(input.config.daemon.stop_grace),
        ) {
            Ok(o) => {
                out.stopped = o.stopped.len();
                let mut reasons = HashMap::new();
                for s in &planned {
                    reasons.insert(s.pid, s.reason.clone());
                }
                crate::journal::record_stops(
                    &input.state_dir,
                    "sweep",
                    &o,
                    &reasons,
                    "under an orphaned server",
                );
                tracing::info!(
                    "sweep stopped {} orphaned process(es), {} freed",
                    o.stopped.len(),
                    crate::units::human_bytes(o.freed_bytes())
                );
            }
            Err(e) => out.errors.push(e.to_string()),
        }
    }
    // Records whose process is gone (never those of running instances).
    let candidates = records
        .iter()
        .filter(|r| !ours.contains(&r.pid))
        .map(|r| (&r.owner, r.identity()));
    if let Err(e) = input.registry.drop_gone(candidates) {
        out.errors.push(e.to_string());
    }

    let mut per_server = Vec::new();
    let me = std::process::id() as i32;
    for (key, pid, start) in &input.instances {
        match judge_instance(&snap, *pid, *start, me) {
            Seen::Alive => {
                let rss = snap.tree_rss(*pid);
                out.rss.insert(*pid, rss);
                per_server.push((key.label(), rss));
            }
            Seen::Gone => out.gone.push(*pid),
            Seen::ForTheReaper => {}
        }
    }
    let total: u64 = classified
        .iter()
        .filter_map(|c| snap.get(c.pid))
        .map(|p| p.rss_bytes)
        .sum();
    out.sample = Some(Sample {
        t: snap.taken_at as u64,
        processes: classified.len() as u32,
        rss_bytes: total,
        servers: per_server,
    });
    out.sessions = view.map(|v| v.sessions);
    // Kept until the next sweep: without the command lines (the stops need none), which are most
    // of its memory.
    for p in snap.procs.values_mut() {
        p.cmdline = Vec::new();
    }
    out.snapshot = Some(std::sync::Arc::new(snap));
    out.took_ms = t0.elapsed().as_millis() as u64;
    out
}

/// One pass over the process table through the daemon's memory of it (`pass`: incremental or
/// full), with the environment tags of our processes loaded through the tag cache (saved for the
/// commands when it learnt something).
fn read_table(
    input: &TickInput,
    uid: u32,
    pass: impl FnOnce(&mut procs::incremental::Images) -> Result<Snapshot, procs::ProcError>,
) -> Result<Snapshot, String> {
    let mut cache = input
        .env_cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut snap = pass(&mut cache.images).map_err(|e| e.to_string())?;
    let i = &cache.images;
    tracing::debug!(
        "sweep pass ({}): {} stat read, {} served from memory; {} command lines read, {} served",
        if i.last_full { "full" } else { "incremental" },
        i.stat_read,
        i.stat_skipped,
        i.last_read,
        i.last_served
    );
    snap.load_env_tags_cached(&mut cache, |p| {
        p.uid == uid && !p.cmdline.is_empty() && p.pid > 1
    });
    if let Some(path) = input.env_cache_file.as_deref().filter(|_| cache.is_dirty())
        && let Err(e) = cache.save(path)
    {
        tracing::debug!("{}: {e}", path.display());
    }
    Ok(snap)
}

/// Classifies (reading the candidates' stdio) and plans on `snap`.
fn decide(
    input: &TickInput,
    snap: &Snapshot,
    records: &[crate::state::Record],
    view: Option<&crate::model::TmuxView>,
    matcher: &Matcher,
) -> (Vec<sweep::Classified>, sweep::Plan) {
    let inp = sweep::Inputs {
        snapshot: snap,
        records,
        tmux: view,
        matcher,
        my_uid: procs::my_uid(),
        orphan_min_age: input.config.daemon.orphan_min_age,
        state_tag: Some(&input.state_tag),
        stdio: None,
    };
    let (classified, stdio) = crate::judge::classify(&inp);
    let inp = sweep::Inputs {
        stdio: Some(&stdio),
        ..inp
    };
    let plan = sweep::plan(&inp, &classified);
    (classified, plan)
}

/// The planned stops a sweep carries out: never the daemon's own servers; what a closed session
/// left behind always, lineage orphans only with `sweep_orphans`.
fn stops<'a>(
    input: &TickInput,
    plan: &'a sweep::Plan,
    classified: &[sweep::Classified],
) -> Vec<&'a sweep::PlannedStop> {
    let ours: HashSet<i32> = input.instances.iter().map(|(_, p, _)| *p).collect();
    plan.stop
        .iter()
        .filter(|s| !ours.contains(&s.pid))
        .filter(|s| {
            input.config.daemon.sweep_orphans
                || classified
                    .iter()
                    .find(|c| c.pid == s.pid)
                    .and_then(|c| c.orphan.as_ref())
                    .is_some_and(|o| o.by_session())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procs::ProcInfo;

    fn proc(pid: i32, ppid: i32, start: u64, state: char) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            pgid: pid,
            sid: pid,
            uid: 1000,
            start_ticks: start,
            rss_bytes: 0,
            comm: "srv".into(),
            cmdline: vec!["srv".into()],
            state,
            env: None,
        }
    }

    #[test]
    fn a_zombie_of_our_own_is_left_to_the_reaper_never_judged_a_failure() {
        let me = 500;
        let snap = Snapshot::from_procs(
            vec![
                proc(10, me, 7, 'Z'),
                proc(11, 1, 7, 'Z'),
                proc(12, me, 7, 'S'),
                proc(13, me, 9, 'S'),
            ],
            100,
            0,
            0.0,
        );
        assert_eq!(judge_instance(&snap, 10, 7, me), Seen::ForTheReaper);
        assert_eq!(judge_instance(&snap, 11, 7, me), Seen::Gone);
        assert_eq!(judge_instance(&snap, 12, 7, me), Seen::Alive);
        assert_eq!(judge_instance(&snap, 13, 7, me), Seen::Gone, "pid reused");
        assert_eq!(judge_instance(&snap, 99_999_999, 7, me), Seen::Gone);
    }
}
