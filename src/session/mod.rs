//! Closing a session's processes: what `mcpd hook session-closed` runs, and what `clean --detached`
//! does after `kill-session`. The session's records, every process of ours whose `TMUX` tag names the
//! session (tags survive reparenting and `setsid`) and runs outside every pane now, and its servers'
//! `MCPD_OWNER` escapees are stopped with the identity-safe stop, except those with a live client
//! outside that set (DESIGN.md, "Ownership, from evidence"); then the records whose processes are
//! gone are dropped.

mod targets;

pub use targets::{ClosedSession, Rules, candidates, targets};

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::matcher::Matcher;
use crate::model::{Identity, Owner, Record, Snapshot, TmuxView};
use crate::procs::stop::stop_trees_listed;
use crate::procs::{self, StopOptions, StopOutcome, peers};
use crate::state::Registry;

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
    /// New pids its last look listed that were gone before they could be read.
    pub vanished: usize,
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
    let mut closed = close_pass(
        registry, config, closing, tmux, state_tag, env_cache, &records,
    )?;
    // A process that forks, exits and calls setsid in a loop can be between two pids while a pass
    // looks: while a pass stopped something, or a new pid it listed was gone before it could be
    // read, look again (its records are done; what is left are tagged escapees), a few times at
    // most. A look is a listing plus what changed, so this costs little.
    let mut more = !closed.outcome.stopped.is_empty() || closed.vanished > 0;
    for _ in 0..EXTRA_PASSES {
        if !more {
            break;
        }
        let again = close_pass(registry, config, closing, tmux, state_tag, env_cache, &[])?;
        let o = &mut closed.outcome;
        o.elapsed_ms += again.outcome.elapsed_ms;
        o.gone.extend(again.outcome.gone);
        o.recycled.extend(again.outcome.recycled);
        o.refused.extend(again.outcome.refused);
        more = !again.outcome.stopped.is_empty() || again.vanished > 0;
        o.stopped.extend(again.outcome.stopped);
        closed.snapshot = again.snapshot;
        closed.view = again.view;
    }
    Ok(closed)
}

/// Passes after the first, while each still stops something or misses a new pid.
const EXTRA_PASSES: usize = 3;

/// One pass of a close: candidates from a fresh lean snapshot, the stop, the journal and the
/// records this close was about.
fn close_pass(
    registry: &Registry,
    config: &Config,
    closing: &[ClosedSession],
    tmux: &crate::tmux::Tmux,
    state_tag: &str,
    env_cache: Option<&std::path::Path>,
    records: &[Record],
) -> anyhow::Result<Closing> {
    // Membership now: tmux's panes after the close (none when the server is gone), asked while /proc
    // is read.
    let asking = crate::world::PendingView::start(tmux);
    // One listing of /proc: processes unchanged since the last close (same /proc inode) are served
    // from the cache, the others read now (procs::envcache_ino).
    let stats_file = env_cache.map(procs::envcache_ino::StatCache::path_for);
    let mut stats = procs::envcache_ino::StatCache::load(stats_file.as_deref());
    let listed = stats.take_listed()?;
    let inos = listed.inos;
    let listed_vanished = listed.vanished;
    let mut snap = listed.snapshot;
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
    let mut cache = match env_cache {
        Some(p) => procs::EnvCache::load(p, snap.boot_time),
        None => procs::EnvCache::new(snap.boot_time),
    };
    cache.load_lean(
        &mut snap,
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
    let choose = |snap: &Snapshot| {
        let mut all: Vec<i32> = Vec::new();
        for closed in closing {
            for pid in candidates(snap, records, closed, &rules, view.as_ref()) {
                if !all.contains(&pid) {
                    all.push(pid);
                }
            }
        }
        all
    };
    // Chosen on a table partly served from the cache; chosen again on their `stat` (and their
    // ancestors', which say whether they run under a pane now) read now: every candidate rests on
    // fresh evidence (their tags were read now by load_lean above).
    let first = choose(&snap);
    let all = if first.is_empty() {
        first
    } else {
        procs::envcache_ino::refresh(&mut snap, first.iter().copied());
        choose(&snap)
    };
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
    let (targets, protected) = targets(&snap, records, &all, &stdio, view.as_ref());
    let names: Vec<&str> = closing.iter().map(|c| c.name.as_str()).collect();
    for (pid, why) in &protected {
        tracing::info!("session(s) {names:?}: not stopping {pid}: {why}");
    }
    // The stop starts from the snapshot the decision was made on, with the trees and groups it
    // stops read again now; its rescans read only what changed.
    if !targets.is_empty() {
        let roots: HashSet<i32> = targets.iter().map(|t| t.identity.pid).collect();
        let mut tree: Vec<i32> = roots.iter().copied().collect();
        for t in &targets {
            tree.extend(snap.descendants(t.identity.pid));
        }
        tree.extend(
            snap.procs
                .values()
                .filter(|p| roots.contains(&p.pgid))
                .map(|p| p.pid),
        );
        procs::envcache_ino::refresh(&mut snap, tree);
    }
    let outcome = stop_trees_listed(
        &snap,
        &inos,
        &targets,
        &StopOptions::with_grace(config.daemon.stop_grace),
    )?;
    // Saved once the stop has begun: the signals go first.
    if let Some(path) = env_cache.filter(|_| cache.is_dirty())
        && let Err(e) = cache.save(path)
    {
        tracing::debug!("{}: {e}", path.display());
    }
    if let Some(path) = stats_file.as_deref()
        && let Err(e) = stats.save(path)
    {
        tracing::debug!("{}: {e}", path.display());
    }
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
        vanished: listed_vanished,
    })
}
