//! The daemon's tagged leftovers: processes of ours that carry this daemon's `MCPD_STATE` tag (a
//! stopped server's escaped helpers, anything left at shutdown), found without a full /proc pass in
//! the supervisor's path. [`tagged`] is pure over a snapshot the caller already has (the daemon's
//! last sweep, whose environment tags are loaded); [`tagged_now`] makes a lean pass (`stat` only)
//! and reads command lines and environments only of processes the daemon's tag cache does not know
//! or whose cached tags are this daemon's, so it costs about half a pass and no environment reads
//! for processes already seen. [`known_start`] is what the daemon's stops use: the last sweep's table
//! with only the daemon's own tree and this daemon's tagged processes read now, no pass at all.
//!
//! Safe with a snapshot that is a little old: every target is an [`Identity`] (pid and start time),
//! checked before any signal by the stop; processes started since are only missed (found by the
//! stop's own descendant rescans, or by the next call).

use std::collections::HashSet;

use super::{EnvCache, EnvTags, Identity, ProcInfo, Snapshot, StopTarget};

/// What to look for.
#[derive(Clone, Debug, Default)]
pub struct Wanted<'a> {
    /// This daemon's `MCPD_STATE`.
    pub state_tag: &'a str,
    /// Pids to keep, with their descendants (the servers still running).
    pub keep: &'a [i32],
    /// (owner, server) pairs whose tagged processes are kept wherever they went (a kept server's
    /// escaped helpers; re-adoption), with the sessions and groups the `keep` pids lead.
    pub keep_tags: &'a [(String, String)],
    /// Only the processes of this (owner, server).
    pub only: Option<(&'a str, &'a str)>,
}

/// Pure: the tagged leftovers in `snap` (whose environment tags of our processes are loaded), in
/// pid order. Never a process under tmux (a server that started a tmux server passes its tags on to
/// every pane: those are the user's), never the caller itself.
pub fn tagged(snap: &Snapshot, w: &Wanted) -> Vec<StopTarget> {
    let mut kept: HashSet<i32> = w.keep.iter().copied().collect();
    for k in w.keep {
        kept.extend(snap.descendants(*k));
    }
    if !w.keep_tags.is_empty() {
        let leaders: HashSet<i32> = w.keep.iter().copied().collect();
        for p in snap.procs.values() {
            let tagged_for_kept = p.env.as_ref().is_some_and(|e| {
                w.keep_tags.iter().any(|(o, sv)| {
                    e.mcpd_owner.as_deref() == Some(o.as_str())
                        && e.mcpd_server.as_deref() == Some(sv.as_str())
                })
            });
            if leaders.contains(&p.sid) || leaders.contains(&p.pgid) || tagged_for_kept {
                kept.insert(p.pid);
                kept.extend(snap.descendants(p.pid));
            }
        }
    }
    let me = std::process::id() as i32;
    let mut out: Vec<StopTarget> = snap
        .procs
        .values()
        .filter(|p| !kept.contains(&p.pid) && p.pid != me && !p.is_zombie())
        .filter(|p| {
            let Some(e) = &p.env else { return false };
            // The tags first: the walk up the tree only for this daemon's processes.
            ours(e, w)
                && e.tmux.is_none()
                && !snap
                    .ancestors(p.pid)
                    .iter()
                    .any(|a| snap.get(*a).is_some_and(super::guard::is_tmux))
        })
        .map(|p| StopTarget {
            identity: Identity::of(p),
            pgid: None,
            leader_exited: false,
        })
        .collect();
    out.sort_by_key(|t| t.identity.pid);
    out
}

/// True when tags `e` are this daemon's (and of `only`, when given).
fn ours(e: &EnvTags, w: &Wanted) -> bool {
    e.mcpd_state.as_deref() == Some(w.state_tag)
        && w.only.is_none_or(|(owner, server)| {
            e.mcpd_owner.as_deref() == Some(owner) && e.mcpd_server.as_deref() == Some(server)
        })
}

/// [`tagged`] on a lean pass taken now, with environment tags through `cache` (the daemon's): only
/// processes the cache does not know, and those it knows as this daemon's, are read (see
/// [`EnvCache::load_lean`]), so every target is judged on tags read now.
pub fn tagged_now(cache: &mut EnvCache, w: &Wanted) -> Result<Vec<StopTarget>, super::ProcError> {
    let mut snap = Snapshot::take_lean()?;
    let uid = super::my_uid();
    let state_tag = w.state_tag;
    cache.load_lean(
        &mut snap,
        |p: &ProcInfo| p.uid == uid && p.pid > 1 && !p.is_kernel_thread() && !p.is_zombie(),
        |t: &EnvTags| t.mcpd_state.as_deref() == Some(state_tag),
    );
    Ok(tagged(&snap, w))
}

/// For the daemon's stops: the snapshot a stop of the trees led by `leaders` begins from, and the
/// tagged leftovers in it ([`tagged`]), without a pass over /proc. `last` is the daemon's last
/// sweep (environment tags of ours loaded). Read now, through the children files
/// ([`super::known`]): the caller's whole subtree (the daemon is a child subreaper, so everything
/// its servers forked, escaped or not, is in it), the leaders, and every process `last` knew as
/// tagged this daemon's; of those, the environment of each process `last` did not know as that
/// very process, or knew as tagged this daemon's (every target is judged on tags read now). The
/// rest of `last` is kept as it was (`stat` fields and tags): group members and descendants the
/// stop may take from it are pinned and checked against their start time before any signal, and
/// what was forked since is found by the stop's own looks. None when the children files cannot be
/// read: the caller makes a pass instead.
pub fn known_start(
    last: &Snapshot,
    leaders: &[i32],
    w: &Wanted,
) -> Option<(Snapshot, Vec<StopTarget>)> {
    let me = std::process::id() as i32;
    let uid = super::my_uid();
    let ours = |e: &EnvTags| e.mcpd_state.as_deref() == Some(w.state_tag);
    let mut roots = vec![me];
    roots.extend_from_slice(leaders);
    roots.extend(
        last.procs
            .values()
            .filter(|p| p.env.as_ref().is_some_and(ours))
            .map(|p| p.pid),
    );
    let fresh = super::known::trees(&roots)?;
    let ancestors: HashSet<i32> = last.ancestors(me).into_iter().collect();
    let mut table: std::collections::HashMap<i32, ProcInfo> = last
        .procs
        .values()
        .filter(|p| p.uid == uid || ancestors.contains(&p.pid))
        .map(|p| {
            let q = ProcInfo {
                pid: p.pid,
                ppid: p.ppid,
                pgid: p.pgid,
                sid: p.sid,
                uid: p.uid,
                start_ticks: p.start_ticks,
                rss_bytes: p.rss_bytes,
                comm: p.comm.clone(),
                cmdline: Vec::new(),
                state: p.state,
                env: p.env.clone(),
            };
            (q.pid, q)
        })
        .collect();
    // A root not read now is gone: nothing is taken on the table's word for it.
    for r in &roots {
        table.remove(r);
    }
    let mut reader = super::environ::Reader::new();
    for mut p in fresh {
        if p.uid == uid && p.pid > 1 && !p.is_zombie() {
            let known = last
                .get(p.pid)
                .filter(|q| q.start_ticks == p.start_ticks)
                .and_then(|q| q.env.clone())
                .filter(|e| !ours(e));
            p.env = known.or_else(|| reader.as_mut().and_then(|r| r.read(p.pid)));
        }
        table.insert(p.pid, p);
    }
    let snap = Snapshot::from_procs(
        table.into_values().collect(),
        last.ticks_per_sec,
        last.boot_time,
        super::snapshot::now_epoch(),
    );
    let found = tagged(&snap, w);
    Some((snap, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32, env: Option<(&str, &str, &str)>) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            pgid: pid,
            sid: pid,
            uid: 1000,
            start_ticks: pid as u64,
            comm: "node".into(),
            state: 'S',
            env: env.map(|(state, owner, server)| EnvTags {
                mcpd_state: Some(state.into()),
                mcpd_owner: Some(owner.into()),
                mcpd_server: Some(server.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn pids(t: &[StopTarget]) -> Vec<i32> {
        t.iter().map(|t| t.identity.pid).collect()
    }

    #[test]
    fn finds_this_daemons_tagged_processes_except_kept_ones_and_tmux_panes() {
        let mut tmux = p(30, 1, None);
        tmux.comm = "tmux: server".into();
        let mut pane = p(31, 30, Some(("/st", "global", "fs")));
        pane.env.as_mut().unwrap().tmux = crate::procs::environ::TmuxTag::parse("/tmp/s,30,0");
        let snap = Snapshot::from_procs(
            vec![
                p(10, 1, Some(("/st", "global", "fs"))), // a running server (kept)
                p(11, 10, Some(("/st", "global", "fs"))), // its child
                p(12, 1, Some(("/st", "global", "fs"))), // an escapee
                p(13, 1, Some(("/st", "global", "db"))), // another server's escapee
                p(14, 1, Some(("/other", "global", "fs"))), // another daemon's
                p(15, 1, None),                          // untagged
                tmux,
                pane,
                p(32, 31, Some(("/st", "global", "fs"))), // under a pane
            ],
            100,
            0,
            0.0,
        );
        let all = Wanted {
            state_tag: "/st",
            keep: &[10],
            ..Default::default()
        };
        assert_eq!(pids(&tagged(&snap, &all)), vec![12, 13]);
        let only_fs = Wanted {
            only: Some(("global", "fs")),
            ..all.clone()
        };
        assert_eq!(pids(&tagged(&snap, &only_fs)), vec![12]);
        let keep_fs = [("global".to_string(), "fs".to_string())];
        let kept = Wanted {
            keep_tags: &keep_fs,
            ..all.clone()
        };
        assert_eq!(
            pids(&tagged(&snap, &kept)),
            vec![13],
            "fs's escapee is fs's"
        );
    }

    /// A `sleep` tagged as server `x` of the daemon of `state`, once it runs `sleep`.
    fn tagged_sleep(state: &str) -> (std::process::Child, i32) {
        let child = std::process::Command::new("sleep")
            .arg("1000")
            .env("MCPD_STATE", state)
            .env("MCPD_OWNER", "global")
            .env("MCPD_SERVER", "x")
            .env_remove("TMUX")
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        for _ in 0..500 {
            if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep"))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        (child, pid)
    }

    #[test]
    fn a_lean_pass_finds_a_real_tagged_process() {
        let (mut child, pid) = tagged_sleep("/leftovers-test-state");
        let mut cache = EnvCache::new(0);
        let w = Wanted {
            state_tag: "/leftovers-test-state",
            ..Default::default()
        };
        // This test may itself run under tmux: then nothing it starts is a leftover.
        let under_tmux = std::env::var_os("TMUX").is_some();
        let found = pids(&tagged_now(&mut cache, &w).unwrap());
        assert_eq!(found.contains(&pid), !under_tmux, "{found:?}");
        // Served from the cache the second time (the tag is this daemon's: read again, still found).
        let again = pids(&tagged_now(&mut cache, &w).unwrap());
        assert_eq!(again, found);
        let _ = child.kill();
        let _ = child.wait();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_stop_start_finds_a_tagged_process_forked_since_the_last_sweep_by_its_tree() {
        let (mut child, pid) = tagged_sleep("/known-start-test-state");
        // No sweep saw it: an empty table. It is this process's child, so in its tree.
        let last = Snapshot::from_procs(Vec::new(), 100, 0, 0.0);
        let w = Wanted {
            state_tag: "/known-start-test-state",
            ..Default::default()
        };
        let under_tmux = std::env::var_os("TMUX").is_some();
        let (snap, found) = known_start(&last, &[], &w).unwrap();
        assert_eq!(
            pids(&found).contains(&pid),
            !under_tmux,
            "{:?}",
            pids(&found)
        );
        let p = snap.get(pid).expect("read now");
        assert_eq!(p.ppid, std::process::id() as i32);
        // Kept as a live server's: not a leftover.
        let kept = Wanted {
            keep: &[pid],
            ..w.clone()
        };
        assert!(!pids(&known_start(&last, &[], &kept).unwrap().1).contains(&pid));
        let _ = child.kill();
        let _ = child.wait();
    }
}
