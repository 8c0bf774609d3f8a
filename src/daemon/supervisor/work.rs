//! The imperative shell of the supervisor: each [`Work`] the decisions ask for runs here as its own
//! task (spawns and tree stops on the blocking pool, timers on the runtime) and reports back as an
//! [`Event`]. Requests that wait for a start or a stop are kept as [`Waiter`]s and answered when
//! their instance settles.

use std::sync::{Arc, Mutex, MutexGuard};

use super::*;

/// Pids of the live server processes. A stop's search for what is tagged as a server's keeps these
/// (other instances of the same server carry the same tags). A spawn holds the lock from before its
/// fork until its pid is in, and the search reads it after its snapshot: a process the snapshot saw
/// is therefore always known by then.
#[derive(Clone, Default)]
pub(super) struct LivePids(Arc<Mutex<HashSet<i32>>>);

impl LivePids {
    pub(super) fn lock(&self) -> MutexGuard<'_, HashSet<i32>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a waiting request waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Until {
    Started,
    Stopped,
    /// A bridge joining: it gets the multiplexer once the process is attached (a multiplexer's
    /// router takes a client's first line only with a process to send it to).
    Joined,
}

/// A request answered when its instance is neither starting nor stopping any more.
pub(super) struct Waiter {
    pub key: Key,
    pub until: Until,
    pub tx: oneshot::Sender<Answer>,
}

/// One tree stop, owned, for the blocking pool.
pub(super) struct StopJob {
    pub key: Key,
    pub token: u64,
    pub identity: Identity,
    pub leader_exited: bool,
    pub after_exit: bool,
    pub why: String,
}

impl Sup {
    /// Runs what the decisions asked for.
    pub(super) fn run_work(&mut self, key: &Key, work: Vec<Work>) {
        for w in work {
            match w {
                Work::Spawn { token } => self.spawn_task(key, token),
                Work::Detach => {
                    if let Some(m) = self.instances.get(key).and_then(|i| i.mux.as_ref()) {
                        let _ = m.ctl.send(ServerMsg::Detach);
                    }
                }
                Work::Stop {
                    token,
                    pid,
                    start_ticks,
                    leader_exited,
                    after_exit,
                    why,
                } => {
                    let job = StopJob {
                        key: key.clone(),
                        token,
                        identity: Identity { pid, start_ticks },
                        leader_exited,
                        after_exit,
                        why,
                    };
                    match &mut self.batch {
                        // Shutting down: every tree goes in one stop.
                        Some(b) => b.push(job),
                        None => self.stop_task(job),
                    }
                }
                Work::Timer { token, after } => {
                    let (tx, k) = (self.events.clone(), key.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = tx.send(Event::RestartDue(k, token));
                    });
                }
                Work::Tell { why, hold } => {
                    if let Some(i) = self.instances.get(key) {
                        tell(i, why, hold);
                    }
                }
                Work::Forget => {
                    self.instances.remove(key);
                }
            }
        }
    }

    /// Spawns on the blocking pool: the tmux lookups (session directory, socket), the fork, the
    /// registry write. Reports [`Event::Spawned`].
    fn spawn_task(&mut self, key: &Key, token: u64) {
        let Some(cfg) = self.env.config.servers.get(&key.server).cloned() else {
            let _ = self.events.send(Event::Spawned {
                key: key.clone(),
                token,
                result: Err(format!("no server named {:?} in the config", key.server)),
            });
            return;
        };
        // The multiplexer exists from the start: a client may join while the process comes, and
        // its requests wait for it.
        self.ensure_mux(key);
        let Some(inst) = self.instances.get(key) else {
            return;
        };
        tell(inst, format!("{} is starting", key.label()), true);
        let dir = self.start_dirs.remove(key);
        let session_id = inst.session_id;
        let (registry, tmux, live) = (
            self.registry.clone(),
            self.env.tmux.clone(),
            self.live.clone(),
        );
        let (tx, key, tag) = (self.events.clone(), key.clone(), self.state_tag.clone());
        tokio::task::spawn_blocking(move || {
            let view = key
                .session
                .as_ref()
                .and_then(|_| tmux.view().ok().flatten());
            let dir = dir.or_else(|| {
                let v = view.as_ref()?;
                v.session(key.session.as_deref()?)
                    .map(|s| PathBuf::from(&s.path))
            });
            let owner = key.owner();
            let spec = spawn::SpawnSpec {
                name: &key.server,
                cfg: &cfg,
                owner: &owner,
                default_cwd: dir.as_deref().filter(|d| d.is_dir()),
                session_id,
                state_tag: &tag,
                tmux_socket: view.map(|v| v.socket_path),
            };
            let result = {
                let mut live = live.lock();
                let r = spawn::spawn(spec, &registry);
                if let Ok(s) = &r {
                    live.insert(s.pid);
                }
                r.map_err(|e| format!("{e:#}"))
            };
            let _ = tx.send(Event::Spawned { key, token, result });
        });
    }

    /// Stops one tree on the blocking pool (its group, then what is tagged as its server's and no
    /// live instance's), drops its record; reports [`Event::StopDone`].
    pub(super) fn stop_task(&self, job: StopJob) {
        let ctx = self.stop_ctx();
        let tx = self.events.clone();
        let tmux = self.env.tmux.clone();
        let log = self.log_path(&job.key);
        tokio::task::spawn_blocking(move || {
            let owner = job.key.owner().to_string();
            let mut targets = vec![StopTarget {
                identity: job.identity,
                pgid: Some(job.identity.pid),
                leader_exited: job.leader_exited,
            }];
            let t0 = Instant::now();
            let only = Some((owner.as_str(), job.key.server.as_str()));
            let start = ctx.known_start(Some(&ctx.live), &[job.identity.pid], only);
            let snap = match start {
                Some((snap, found)) => {
                    targets.extend(found);
                    Some(snap)
                }
                None => {
                    let live = Some(&ctx.live);
                    let pid = [job.identity.pid];
                    targets.extend(tagged(&ctx.env_cache, &ctx.tag, live, &pid, &[], only));
                    None
                }
            };
            let t1 = Instant::now();
            ctx.stop(snap, &[job.identity.pid], targets, &job.why);
            tracing::debug!(
                "stop of {}: tagged {:?}, stop {:?}",
                job.key.label(),
                t1 - t0,
                t1.elapsed()
            );
            let _ = ctx.registry.remove(&job.key.owner(), &[job.identity]);
            let (mut session_gone, mut last_log) = (false, Vec::new());
            if job.after_exit {
                session_gone = job.key.session.as_ref().is_some_and(|s| {
                    tmux.view()
                        .ok()
                        .map(|v| v.is_none_or(|v| v.session(s).is_none()))
                        .unwrap_or(false)
                });
                last_log = logs::tail(&log, 10);
            }
            let _ = tx.send(Event::StopDone {
                key: job.key,
                token: job.token,
                pid: job.identity.pid,
                session_gone,
                last_log,
            });
        });
    }

    /// The shutdown's stop: every tree of `jobs` and everything else tagged as this daemon's, in
    /// one stop (one grace for all); reports each job's [`Event::StopDone`], then
    /// [`Event::AllStopped`].
    pub(super) fn stop_all_task(&self, jobs: Vec<StopJob>) {
        let ctx = self.stop_ctx();
        let tx = self.events.clone();
        tokio::task::spawn_blocking(move || {
            let mut targets: Vec<StopTarget> = jobs
                .iter()
                .map(|j| StopTarget {
                    identity: j.identity,
                    pgid: Some(j.identity.pid),
                    leader_exited: j.leader_exited,
                })
                .collect();
            let leaders: Vec<i32> = jobs.iter().map(|j| j.identity.pid).collect();
            // Escaped grandchildren, inherited orphans: anything of ours.
            let snap = match ctx.known_start(None, &leaders, None) {
                Some((snap, found)) => {
                    targets.extend(found);
                    Some(snap)
                }
                None => {
                    targets.extend(tagged(&ctx.env_cache, &ctx.tag, None, &leaders, &[], None));
                    None
                }
            };
            ctx.stop(snap, &leaders, targets, "daemon shutting down");
            for j in jobs {
                let _ = ctx.registry.remove(&j.key.owner(), &[j.identity]);
                let _ = tx.send(Event::StopDone {
                    key: j.key,
                    token: j.token,
                    pid: j.identity.pid,
                    session_gone: false,
                    last_log: Vec::new(),
                });
            }
            let _ = tx.send(Event::AllStopped);
        });
    }

    fn stop_ctx(&self) -> StopCtx {
        StopCtx {
            tag: self.state_tag.clone(),
            live: self.live.clone(),
            registry: self.registry.clone(),
            opts: StopOptions::with_grace(self.env.config.daemon.stop_grace),
            state_dir: self.env.paths.state_dir.clone(),
            env_cache: self.env_cache.clone(),
            last_snap: self.last_snap.clone(),
        }
    }

    /// Answers the requests waiting on `key` once it is neither starting nor stopping; one waiting
    /// for [`Until::Started`] on a running process gets its answer after the settle window
    /// (settle.rs), which says whether that process stayed up.
    pub(super) fn settle(&mut self, key: &Key) {
        let state = self.instances.get(key).map(|i| &i.state);
        if matches!(state, Some(State::Starting { .. } | State::Stopping { .. })) {
            return;
        }
        let (ready, rest): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|w| &w.key == key);
        self.waiters = rest;
        let inst = self.instances.get(key);
        let mut windows = Vec::new();
        for w in ready {
            if w.until == Until::Joined {
                let a = match inst.map(|i| (&i.state, i.mux.as_ref())) {
                    Some((State::Running { .. }, Some(m))) => Answer::Attach { mux: m.tx.clone() },
                    Some((State::Failed { reason }, _)) => err(reason.clone()).into(),
                    Some((s, _)) => err(format!(
                        "{} did not start: it is {} ({})",
                        key.label(),
                        s.word(),
                        inst.and_then(|i| i.last_exit.as_deref())
                            .unwrap_or("no exit seen")
                    ))
                    .into(),
                    None => err(format!("{} was removed", key.label())).into(),
                };
                let _ = w.tx.send(a);
                continue;
            }
            let r = match (w.until, inst.map(|i| (&i.state, i))) {
                (Until::Stopped, _) => ok(format!("stopped {}", key.label())),
                (
                    Until::Started,
                    Some((
                        State::Running {
                            pid, start_ticks, ..
                        },
                        _,
                    )),
                ) => {
                    // Running is not yet started: the settle window says whether it stays up.
                    let message = format!("started {} (pid {pid})", key.label());
                    windows.push((*pid, *start_ticks, message, w.tx));
                    continue;
                }
                (Until::Started, Some((State::Failed { reason }, _))) => err(reason.clone()),
                (_, Some((s, i))) => err(format!(
                    "{} did not start: it is {} ({})",
                    key.label(),
                    s.word(),
                    i.last_exit.as_deref().unwrap_or("no exit seen")
                )),
                (_, None) => err(format!("{} was removed", key.label())),
            };
            let _ = w.tx.send(r.into());
        }
        for (pid, start_ticks, message, tx) in windows {
            self.settle_window(key, Identity { pid, start_ticks }, message, tx);
        }
    }

    /// At exit: whoever still waits hears why.
    pub(super) fn answer_leftover_waiters(&mut self) {
        for w in self.waiters.drain(..) {
            let _ =
                w.tx.send(err(format!("{}: the daemon stopped", w.key.label())).into());
        }
        for w in self.sweep_waiters.drain(..) {
            let _ = w.send(err("the daemon stopped").into());
        }
    }
}

/// What a stop task needs, cloned out of the supervisor.
struct StopCtx {
    tag: String,
    live: LivePids,
    registry: Registry,
    opts: StopOptions,
    state_dir: PathBuf,
    /// The daemon's environment-tag cache: a stop's search for tagged leftovers reads only what it
    /// does not know (see [`tagged`]).
    env_cache: std::sync::Arc<std::sync::Mutex<procs::EnvCache>>,
    /// The last sweep's table, when there was one: a stop starts from it (no pass of its own).
    last_snap: Option<std::sync::Arc<Snapshot>>,
}

impl StopCtx {
    /// The stop's start without a pass ([`lifecycle::known_start`]); None without a sweep yet or
    /// without children files.
    fn known_start(
        &self,
        live: Option<&LivePids>,
        leaders: &[i32],
        only: Option<(&str, &str)>,
    ) -> Option<(Snapshot, Vec<StopTarget>)> {
        let last = self.last_snap.as_deref()?;
        lifecycle::known_start(last, &self.tag, live, leaders, only)
    }

    /// Stops trees (blocking), from `snap` when the stop has one; what the daemon stops on its own
    /// (not on a user's request) goes into the event journal with `why`. Its looks for new members
    /// read the trees, not /proc ([`procs::stop::Rescan::Trees`]), when every one of `leaders` runs
    /// under this daemon: what they orphan then comes to it (a subreaper). A re-adopted server's
    /// orphans go elsewhere: its stop looks with passes.
    fn stop(&self, snap: Option<Snapshot>, leaders: &[i32], targets: Vec<StopTarget>, why: &str) {
        let done = match snap {
            Some(s) => {
                let me = std::process::id() as i32;
                let under_me = leaders.iter().all(|l| s.ancestors(*l).contains(&me));
                let opts = StopOptions {
                    rescan_by: if under_me {
                        procs::stop::Rescan::Trees
                    } else {
                        procs::stop::Rescan::Pass
                    },
                    ..self.opts.clone()
                };
                procs::stop_trees_seen(&s, &targets, &opts)
            }
            None => stop_trees(&targets, &self.opts),
        };
        match done {
            Ok(o) => {
                if !why.contains("on request") {
                    crate::journal::record_stops(
                        &self.state_dir,
                        "daemon",
                        &o,
                        &Default::default(),
                        why,
                    );
                }
                if o.survivors().count() > 0 {
                    tracing::warn!("{} process(es) survived SIGKILL", o.survivors().count());
                }
            }
            Err(e) => tracing::warn!("stop: {e}"),
        }
    }
}
