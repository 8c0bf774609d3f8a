//! Starting and stopping instances, as decisions: re-adoption after a crash, eager global servers,
//! a start or a stop asked for (its work runs in `work.rs`), and the shutdown's one stop of every
//! tree.

use super::*;

impl Sup {
    /// Feeds one input to an instance's decisions, runs the work they ask for, and answers the
    /// requests waiting on it.
    pub(super) fn input(&mut self, key: &Key, input: Input) {
        let ctx = machine::Ctx {
            now: Instant::now(),
            policy: self.env.config.servers.get(&key.server).map(|c| c.restart),
            shutting_down: self.shutdown,
        };
        let Some(inst) = self.instances.get_mut(key) else {
            return;
        };
        let work = machine::step(inst, input, &ctx);
        self.run_work(key, work);
        self.settle(key);
    }

    /// After a crash: recorded servers whose identity still matches are taken back (no second copy);
    /// records that no longer match are dropped; tagged leftovers of ours that no instance owns are
    /// stopped (in the background: the daemon serves meanwhile).
    pub(super) async fn readopt(&mut self) {
        let registry = self.registry.clone();
        let (records, _) = tokio::task::spawn_blocking(move || registry.load_all())
            .await
            .unwrap_or_default();
        let mut keep: Vec<i32> = Vec::new();
        let mut keep_tags: Vec<(String, String)> = Vec::new();
        let mut drop = Vec::new();
        for r in records.iter().filter(|r| r.origin == Origin::Spawned) {
            let Some(server) = &r.server else { continue };
            let key = Key::new(server, r.owner.session().map(str::to_string));
            if r.identity().is_alive()
                && self.env.config.servers.contains_key(server)
                && !self.instances.contains_key(&key)
            {
                tracing::info!("re-adopted {} (pid {})", key.label(), r.pid);
                let mut inst = Instance::new(key.clone());
                inst.state = State::Running {
                    pid: r.pid,
                    start_ticks: r.start_ticks,
                    since: Instant::now(),
                    attached: false,
                };
                inst.session_id = r.session_id;
                keep.push(r.pid);
                keep_tags.push((r.owner.to_string(), server.clone()));
                self.instances.insert(key, inst);
            } else {
                drop.push((r.owner.clone(), r.identity()));
            }
        }
        self.live.lock().extend(keep.iter().copied());
        let (tag, registry) = (self.state_tag.clone(), self.registry.clone());
        let cache = self.env_cache.clone();
        let opts = StopOptions::with_grace(self.env.config.daemon.stop_grace);
        let state_dir = self.env.paths.state_dir.clone();
        tokio::task::spawn_blocking(move || {
            for (owner, id) in drop {
                let _ = registry.remove(&owner, &[id]);
            }
            // This daemon's own tree is not a previous daemon's: the eager servers it starts
            // meanwhile carry the same tags (a launcher stopped here failed its start).
            let mut keep = keep;
            keep.push(std::process::id() as i32);
            let leftovers = tagged(&cache, &tag, None, &keep, &keep_tags, None);
            if leftovers.is_empty() {
                return;
            }
            tracing::info!(
                "stopping {} leftover process(es) of a previous daemon",
                leftovers.len()
            );
            match stop_trees(&leftovers, &opts) {
                Ok(o) => crate::journal::record_stops(
                    &state_dir,
                    "daemon",
                    &o,
                    &Default::default(),
                    "a leftover of a previous daemon that no server owns",
                ),
                Err(e) => tracing::warn!("stop: {e}"),
            }
        });
    }

    pub(super) fn start_eager_globals(&mut self) {
        let names: Vec<String> = self
            .env
            .config
            .servers
            .iter()
            .filter(|(_, c)| c.scope == Scope::Global && c.start == StartMode::Eager)
            .map(|(n, _)| n.clone())
            .collect();
        for name in names {
            let key = Key::new(&name, None);
            if !self.instances.contains_key(&key)
                && let Err(e) = self.start(&key, None, None)
            {
                tracing::warn!("{e}");
            }
        }
    }

    /// Asks for one instance to start (no-op when it runs or starts). Errors are the config's
    /// (no such server, wrong scope); the start itself reports back later. `dir`: the session's
    /// directory when the caller knows it (else the spawn asks tmux).
    pub(super) fn start(
        &mut self,
        key: &Key,
        dir: Option<PathBuf>,
        session_id: Option<u32>,
    ) -> Result<String, String> {
        let cfgs = &self.env.config.servers;
        let Some(cfg) = cfgs.get(&key.server) else {
            let known: Vec<&str> = cfgs.keys().map(String::as_str).collect();
            return Err(format!(
                "no server named {:?} in the config (configured: {})",
                key.server,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ));
        };
        match (cfg.scope, &key.session) {
            (Scope::Global, Some(_)) => {
                return Err(format!(
                    "{} is a global server: it takes no --session",
                    key.server
                ));
            }
            (Scope::Session, None) => {
                return Err(format!(
                    "{} is a session server: name the session with --session",
                    key.server
                ));
            }
            _ => {}
        }
        if self.shutdown {
            return Err("the daemon is shutting down".into());
        }
        let inst = self
            .instances
            .entry(key.clone())
            .or_insert_with(|| Instance::new(key.clone()));
        if let State::Running { pid, .. } = inst.state {
            return Ok(format!("{} is already running (pid {pid})", key.label()));
        }
        if session_id.is_some() {
            inst.session_id = session_id;
        }
        if let Some(d) = dir {
            self.start_dirs.insert(key.clone(), d);
        }
        self.input(key, Input::Start);
        Ok(format!("starting {}", key.label()))
    }

    /// Asks for one instance to stop; `next` says what it becomes once its tree is gone.
    pub(super) fn stop(&mut self, key: &Key, why: &str, next: Next) -> Result<String, String> {
        let Some(inst) = self.instances.get(key) else {
            return Err(format!("{} is not running", key.label()));
        };
        let was = inst.state.word();
        let running = inst.pid().is_some() || matches!(inst.state, State::Starting { .. });
        self.input(
            key,
            Input::Stop {
                why: why.to_string(),
                next,
            },
        );
        if running {
            tracing::info!("stopping {} ({why})", key.label());
            Ok(format!("stopping {}", key.label()))
        } else {
            Ok(format!("{} was not running ({was})", key.label()))
        }
    }

    /// `daemon stop`, SIGTERM, SIGINT: every instance's stop goes into one stop of every tree at
    /// once (one grace for all), with everything else tagged as this daemon's. The loop ends when
    /// it has reported and no instance is starting or stopping.
    pub(super) fn begin_shutdown(&mut self) {
        if self.shutdown {
            return;
        }
        self.shutdown = true;
        // Close every stdin first, so cooperative servers start exiting together.
        for inst in self.instances.values() {
            if let Some(m) = &inst.mux {
                let _ = m.ctl.send(ServerMsg::Detach);
            }
        }
        self.batch = Some(Vec::new());
        let keys: Vec<Key> = self.instances.keys().cloned().collect();
        for k in keys {
            self.input(
                &k,
                Input::Stop {
                    why: "daemon shutting down".into(),
                    next: Next::Stopped,
                },
            );
        }
        let jobs = self.batch.take().unwrap_or_default();
        self.stop_all_task(jobs);
    }

    /// The shutdown is complete: the one stop reported and nothing is starting or stopping.
    pub(super) fn finished(&self) -> bool {
        self.shutdown
            && self.all_stopped
            && !self
                .instances
                .values()
                .any(|i| matches!(i.state, State::Starting { .. } | State::Stopping { .. }))
    }
}

/// Processes of ours tagged by this daemon (`MCPD_STATE`), optionally only those of one owner and
/// server, except the pids in `keep` and in `live` (read after the snapshot, see [`LivePids`]) and
/// their descendants, and except anything running under tmux (see [`procs::leftovers::tagged`]).
/// Blocking: a lean pass (`stat` only), with environment tags through the daemon's cache `cache`
/// (only processes it does not know, or knows as this daemon's, are read now: every target is
/// judged on tags read now). `keep_tags` (owner, server) keeps every process tagged for a kept
/// server, wherever it went (re-adoption: a server's escaped helpers are part of it, not leftovers).
pub(super) fn tagged(
    cache: &std::sync::Mutex<procs::EnvCache>,
    state_tag: &str,
    live: Option<&LivePids>,
    keep: &[i32],
    keep_tags: &[(String, String)],
    only: Option<(&str, &str)>,
) -> Vec<StopTarget> {
    let Ok(mut snap) = Snapshot::take_lean() else {
        return Vec::new();
    };
    let uid = procs::my_uid();
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .load_lean(
            &mut snap,
            |p| p.uid == uid && p.pid > 1 && !p.is_kernel_thread() && !p.is_zombie(),
            |t| t.mcpd_state.as_deref() == Some(state_tag),
        );
    let mut keep = keep.to_vec();
    if let Some(l) = live {
        keep.extend(l.lock().iter().copied());
    }
    procs::leftovers::tagged(
        &snap,
        &procs::leftovers::Wanted {
            state_tag,
            keep: &keep,
            keep_tags,
            only,
        },
    )
}

/// The start of a stop of the trees led by `leaders`, without a pass over /proc: see
/// [`procs::leftovers::known_start`] (`live`: the live servers' pids, read now, kept with `leaders`).
pub(super) fn known_start(
    last: &Snapshot,
    state_tag: &str,
    live: Option<&LivePids>,
    leaders: &[i32],
    only: Option<(&str, &str)>,
) -> Option<(Snapshot, Vec<StopTarget>)> {
    // Held while the tree is read: a spawn holds it from before its fork until its pid is in, so
    // every process of ours the reads can see is either known live here or not forked yet (a new
    // instance's launcher carries the same tags as the tree being stopped).
    let guard = live.map(LivePids::lock);
    let mut keep = leaders.to_vec();
    if let Some(g) = &guard {
        keep.extend(g.iter().copied());
    }
    let w = procs::leftovers::Wanted {
        state_tag,
        keep: &keep,
        keep_tags: &[],
        only,
    };
    procs::leftovers::known_start(last, leaders, &w)
}
