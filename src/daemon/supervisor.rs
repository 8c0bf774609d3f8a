//! The supervisor: one task owning every instance, driven by control requests, child exits (SIGCHLD),
//! restart timers and sweep ticks. Blocking work (process snapshots, tree stops) runs on the blocking
//! pool; the state itself is only touched here.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

use super::control::{self, Answer, Incoming};
use super::history::{self, History};
use super::instance::{AfterExit, Instance, Key, State, after_exit};
use super::protocol::{DaemonStatus, Request, Response, ServerStatus};
use super::reaper::{Reaper, describe};
use super::tick::{self, TickInput, TickResult};
use super::{logs, spawn};
use crate::config::{Scope, StartMode};
use crate::procs::{self, Identity, Snapshot, StopOptions, StopTarget, stop_trees};
use crate::state::{Origin, Registry};
use crate::world::Env;

enum Event {
    RestartDue(Key, u64),
    SweepDone(Box<TickResult>),
    /// The last client of this instance's multiplexer left.
    MuxEmpty(Key),
    /// The tmux watcher saw a session or the server go: reconcile now.
    TmuxLost,
}

struct Sup {
    env: Env,
    registry: Registry,
    instances: BTreeMap<Key, Instance>,
    started: Instant,
    sweeps: u64,
    last_sweep_ms: u64,
    sweeping: bool,
    /// A reason to sweep came during a sweep: sweep again when it ends.
    sweep_again: bool,
    sweep_waiters: Vec<oneshot::Sender<Answer>>,
    history: History,
    history_path: PathBuf,
    reaper: Reaper,
    /// `MCPD_STATE` on everything this daemon spawns.
    state_tag: String,
    events: mpsc::UnboundedSender<Event>,
    shutdown: bool,
    /// Connection ids handed to bridges.
    next_conn: u64,
    /// Environment tags kept across sweeps (procs::envcache).
    env_cache: std::sync::Arc<std::sync::Mutex<procs::EnvCache>>,
    /// Tree RSS of each instance pid at the last sweep: `status` answers from it without reading /proc.
    last_rss: std::collections::HashMap<i32, u64>,
}

pub async fn main(env: Env, listener: UnixListener) -> anyhow::Result<()> {
    let registry = env.registry()?;
    let state_dir = env.paths.state_dir.clone();
    let d = &env.config.daemon;
    let capacity = History::capacity_for(d.history_window, d.sweep_interval);
    let history_path = state_dir.join("history.jsonl");
    let history = match History::load(&history_path, capacity, 4 << 20) {
        Ok((h, skipped)) => {
            if skipped > 0 {
                tracing::warn!(
                    "{}: skipped {skipped} unreadable line(s)",
                    history_path.display()
                );
            }
            h
        }
        Err(e) => {
            tracing::warn!("{}: {e}; starting a new history", history_path.display());
            History::new(capacity, 4 << 20)
        }
    };
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<Incoming>(64);
    tokio::spawn(control::serve(listener, ctl_tx));
    let mut sup = Sup {
        registry,
        instances: BTreeMap::new(),
        started: Instant::now(),
        sweeps: 0,
        last_sweep_ms: 0,
        sweeping: false,
        sweep_again: false,
        sweep_waiters: Vec::new(),
        history,
        history_path,
        reaper: Reaper::default(),
        state_tag: state_dir.display().to_string(),
        events: ev_tx,
        shutdown: false,
        next_conn: 0,
        env_cache: Default::default(),
        last_rss: Default::default(),
        env,
    };
    sup.readopt().await;
    sup.start_eager_globals();
    let (lost_tx, mut lost_rx) = mpsc::unbounded_channel::<()>();
    tokio::spawn(super::watch::run(sup.env.tmux.clone(), lost_tx));

    let mut sigchld = signal(SignalKind::child())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut reap_tick = tokio::time::interval(Duration::from_secs(1));
    let mut sweep_tick = tokio::time::interval(sup.env.config.daemon.sweep_interval);
    sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !sup.shutdown {
        tokio::select! {
            Some((req, tx)) = ctl_rx.recv() => sup.request(req, tx).await,
            Some(ev) = ev_rx.recv() => sup.event(ev).await,
            Some(()) = lost_rx.recv() => sup.event(Event::TmuxLost).await,
            _ = sigchld.recv() => sup.reap().await,
            _ = reap_tick.tick() => sup.reap().await,
            _ = sweep_tick.tick() => sup.start_sweep(),
            _ = sigterm.recv() => { tracing::info!("SIGTERM: shutting down"); sup.shutdown = true },
            _ = sigint.recv() => { tracing::info!("SIGINT: shutting down"); sup.shutdown = true },
        }
    }
    sup.stop_everything().await;
    if let Err(e) = sup.history.save(&sup.history_path) {
        tracing::warn!("cannot save history: {e}");
    }
    tracing::info!("daemon stopped");
    Ok(())
}

fn ok(message: impl Into<String>) -> Response {
    Response::Ok {
        message: message.into(),
    }
}

fn err(message: impl Into<String>) -> Response {
    Response::Error {
        message: message.into(),
    }
}

impl Sup {
    fn log_path(&self, key: &Key) -> PathBuf {
        logs::log_path(&self.env.paths.state_dir, &key.label())
    }

    /// After a crash: recorded servers whose identity still matches are taken back (no second copy);
    /// records that no longer match are dropped; tagged leftovers of ours that no instance owns are
    /// stopped.
    async fn readopt(&mut self) {
        let (records, _) = self.registry.load_all();
        let mut keep: Vec<i32> = Vec::new();
        let mut keep_tags: Vec<(String, String)> = Vec::new();
        for r in records.iter().filter(|r| r.origin == Origin::Spawned) {
            let Some(server) = &r.server else { continue };
            let key = Key::new(server, r.owner.session().map(str::to_string));
            if r.identity().is_alive()
                && self.env.config.servers.contains_key(server)
                && !self.instances.contains_key(&key)
            {
                tracing::info!("re-adopted {} (pid {})", key.label(), r.pid);
                let mut inst = Instance::new(key.clone());
                inst.state = State::Running;
                inst.pid = Some(r.pid);
                inst.start_ticks = r.start_ticks;
                inst.started_at = Some(Instant::now());
                inst.session_id = r.session_id;
                keep.push(r.pid);
                keep_tags.push((r.owner.to_string(), server.clone()));
                self.instances.insert(key, inst);
            } else {
                let _ = self.registry.remove(&r.owner, &[r.identity()]);
            }
        }
        let tag = self.state_tag.clone();
        let leftovers = tokio::task::spawn_blocking(move || tagged(&tag, &keep, &keep_tags, None))
            .await
            .unwrap_or_default();
        if !leftovers.is_empty() {
            tracing::info!(
                "stopping {} leftover process(es) of a previous daemon",
                leftovers.len()
            );
            self.stop_targets(leftovers).await;
        }
    }

    fn start_eager_globals(&mut self) {
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

    /// Starts one instance (no-op when it runs).
    fn start(
        &mut self,
        key: &Key,
        dir: Option<PathBuf>,
        session_id: Option<u32>,
    ) -> Result<String, String> {
        let cfgs = &self.env.config.servers;
        let Some(cfg) = cfgs.get(&key.server).cloned() else {
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
        let log = self.log_path(key);
        let cap = self.env.config.daemon.log_max_bytes;
        let inst = self
            .instances
            .entry(key.clone())
            .or_insert_with(|| Instance::new(key.clone()));
        if inst.state == State::Running && inst.pid.is_some() {
            return Ok(format!(
                "{} is already running (pid {})",
                key.label(),
                inst.pid.unwrap_or(0)
            ));
        }
        if session_id.is_some() {
            inst.session_id = session_id;
        }
        let session_id = session_id.or(inst.session_id);
        let socket = key
            .session
            .as_ref()
            .and_then(|_| self.env.tmux.view().ok().flatten())
            .map(|v| v.socket_path);
        let owner = key.owner();
        let spec = spawn::SpawnSpec {
            name: &key.server,
            cfg: &cfg,
            owner: &owner,
            default_cwd: dir.as_deref(),
            session_id,
            state_tag: &self.state_tag,
            tmux_socket: socket,
        };
        match spawn::spawn(spec, &self.registry) {
            Ok(s) => {
                inst.pid = Some(s.pid);
                inst.start_ticks = s.start_ticks;
                inst.state = State::Running;
                inst.attached = true;
                inst.started_at = Some(Instant::now());
                inst.stopping = false;
                inst.over_rss = 0;
                inst.generation += 1;
                let mux = inst.mux.get_or_insert_with(|| {
                    let (tx, k) = (self.events.clone(), key.clone());
                    super::mux::spawn(key.label(), move || {
                        let _ = tx.send(Event::MuxEmpty(k.clone()));
                    })
                });
                let _ = mux.ctl.send(super::mux::ServerMsg::Attach {
                    stdin: s.stdin,
                    stdout: s.stdout,
                });
                tokio::spawn(logs::pump(s.stderr, log, cap));
                tracing::info!("started {} (pid {})", key.label(), s.pid);
                Ok(format!("started {} (pid {})", key.label(), s.pid))
            }
            Err(e) => {
                inst.state = State::Failed;
                inst.last_exit = Some(format!("{e:#}"));
                Err(format!("{e:#}"))
            }
        }
    }

    /// Stops one instance: stdin closed first (the MCP stdio shutdown), then the tree stop.
    async fn stop(&mut self, key: &Key, why: &str) -> Result<String, String> {
        let Some(inst) = self.instances.get_mut(key) else {
            return Err(format!("{} is not running", key.label()));
        };
        inst.stopping = true;
        if let Some(m) = &inst.mux {
            let _ = m.ctl.send(super::mux::ServerMsg::Detach);
        }
        let was = inst.state;
        inst.state = State::Stopped;
        inst.last_exit = Some(why.to_string());
        let Some(pid) = inst.pid.take() else {
            return Ok(format!("{} was not running ({})", key.label(), was.word()));
        };
        let id = Identity {
            pid,
            start_ticks: inst.start_ticks,
        };
        // Our own child's pid cannot be reused before we reap it, so its group is still its own.
        let own_child = inst.attached;
        let mut targets = vec![StopTarget {
            identity: id,
            pgid: Some(pid),
            leader_exited: own_child,
        }];
        let (tag, server, owner) = (
            self.state_tag.clone(),
            key.server.clone(),
            key.owner().to_string(),
        );
        let mut keep: Vec<i32> = self.instances.values().filter_map(|i| i.pid).collect();
        keep.push(pid);
        targets.extend(
            tokio::task::spawn_blocking(move || tagged(&tag, &keep, &[], Some((&owner, &server))))
                .await
                .unwrap_or_default(),
        );
        self.stop_targets(targets).await;
        let _ = nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(pid),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        );
        let _ = self.registry.remove(&key.owner(), &[id]);
        tracing::info!("stopped {} ({why})", key.label());
        Ok(format!("stopped {}", key.label()))
    }

    async fn stop_targets(&self, targets: Vec<StopTarget>) {
        let opts = StopOptions::with_grace(self.env.config.daemon.stop_grace);
        match tokio::task::spawn_blocking(move || stop_trees(&targets, &opts)).await {
            Ok(Ok(o)) if o.survivors().count() > 0 => {
                tracing::warn!("{} process(es) survived SIGKILL", o.survivors().count())
            }
            Ok(Err(e)) => tracing::warn!("stop: {e}"),
            _ => {}
        }
    }

    async fn stop_everything(&mut self) {
        let keys: Vec<Key> = self.instances.keys().cloned().collect();
        // Close every stdin first, so cooperative servers start exiting together.
        for inst in self.instances.values() {
            if let Some(m) = &inst.mux {
                let _ = m.ctl.send(super::mux::ServerMsg::Detach);
            }
        }
        for k in keys {
            let _ = self.stop(&k, "daemon shutting down").await;
        }
        // Anything of ours left: escaped grandchildren, inherited orphans.
        let tag = self.state_tag.clone();
        let left = tokio::task::spawn_blocking(move || tagged(&tag, &[], &[], None))
            .await
            .unwrap_or_default();
        if !left.is_empty() {
            self.stop_targets(left).await;
        }
        self.reap().await;
    }

    async fn reap(&mut self) {
        let pids: HashSet<i32> = self.instances.values().filter_map(|i| i.pid).collect();
        let exits = self.reaper.reap(|p| pids.contains(&p));
        for (pid, status) in exits {
            let (success, desc) = describe(&status);
            self.on_exit(pid, success, desc, true).await;
        }
    }

    /// A running instance's process ended (reaped, or found gone by a sweep).
    async fn on_exit(&mut self, pid: i32, success: bool, desc: String, just_reaped: bool) {
        let Some(key) = self
            .instances
            .iter()
            .find(|(_, i)| i.pid == Some(pid))
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        let policy = self.env.config.servers.get(&key.server).map(|c| c.restart);
        let log = self.log_path(&key);
        let Some(inst) = self.instances.get_mut(&key) else {
            return;
        };
        let id = Identity {
            pid,
            start_ticks: inst.start_ticks,
        };
        inst.pid = None;
        inst.attached = false;
        inst.last_exit = Some(desc.clone());
        tracing::info!("{} (pid {pid}) exited: {desc}", key.label());
        let _ = self.registry.remove(&key.owner(), &[id]);
        // The leader is gone; what it left in its group, or tagged as its own, goes too.
        let (tag, server, owner) = (
            self.state_tag.clone(),
            key.server.clone(),
            key.owner().to_string(),
        );
        let keep: Vec<i32> = self.instances.values().filter_map(|i| i.pid).collect();
        // Just reaped: the members left in its group are its own.
        let mut targets = vec![StopTarget {
            identity: id,
            pgid: Some(pid),
            leader_exited: just_reaped,
        }];
        targets.extend(
            tokio::task::spawn_blocking(move || tagged(&tag, &keep, &[], Some((&owner, &server))))
                .await
                .unwrap_or_default(),
        );
        self.stop_targets(targets).await;
        // A session server whose session has closed (its hook stopped it) is not restarted.
        let session_gone = match &key.session {
            Some(s) => self
                .env
                .tmux
                .view()
                .ok()
                .map(|v| v.is_none_or(|v| v.session(s).is_none()))
                .unwrap_or(false),
            None => false,
        };
        let Some(inst) = self.instances.get_mut(&key) else {
            return;
        };
        if inst.stopping || policy.is_none() || session_gone {
            inst.state = State::Stopped;
            return;
        }
        match after_exit(
            policy.unwrap_or(crate::config::RestartPolicy::Never),
            success,
            &mut inst.failures,
            Instant::now(),
        ) {
            AfterExit::Restart(delay) => {
                inst.state = State::Backoff;
                let (tx, generation) = (self.events.clone(), inst.generation);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(Event::RestartDue(key, generation));
                });
            }
            AfterExit::CrashLoop => {
                inst.state = State::Failed;
                inst.last_log = logs::tail(&log, 10);
                tracing::warn!(
                    "{}: crash loop ({} failures within 60 s); not restarting",
                    inst.key.label(),
                    inst.failures.len()
                );
            }
            AfterExit::Stay => inst.state = State::Exited,
        }
    }

    async fn event(&mut self, ev: Event) {
        match ev {
            Event::MuxEmpty(key) => {
                // A private instance lives as long as its one connection.
                if self.instances.get(&key).is_some_and(|i| i.private) {
                    let _ = self.stop(&key, "its client disconnected").await;
                    self.instances.remove(&key);
                }
            }
            Event::RestartDue(key, generation) => {
                let due = self
                    .instances
                    .get(&key)
                    .is_some_and(|i| i.state == State::Backoff && i.generation == generation);
                if due {
                    let dir = self.session_dir(&key);
                    if let Some(i) = self.instances.get_mut(&key) {
                        i.restarts += 1;
                    }
                    if let Err(e) = self.start(&key, dir, None) {
                        tracing::warn!("restart {}: {e}", key.label());
                    }
                }
            }
            Event::SweepDone(r) => self.apply_sweep(*r).await,
            Event::TmuxLost => {
                if self.sweeping {
                    self.sweep_again = true;
                } else {
                    self.start_sweep();
                }
            }
        }
    }

    fn session_dir(&self, key: &Key) -> Option<PathBuf> {
        key.session.as_ref()?;
        let view = self.env.tmux.view().ok().flatten()?;
        view.session(key.session.as_deref()?)
            .map(|s| PathBuf::from(&s.path))
            .filter(|p| p.is_dir())
    }

    fn start_sweep(&mut self) {
        if self.sweeping {
            return;
        }
        self.sweeping = true;
        let input = TickInput {
            config: self.env.config.clone(),
            registry: self.registry.clone(),
            tmux: self.env.tmux.clone(),
            instances: self
                .instances
                .values()
                .filter_map(|i| i.pid.map(|p| (i.key.clone(), p, i.start_ticks)))
                .collect(),
            state_tag: self.state_tag.clone(),
            state_dir: self.env.paths.state_dir.clone(),
            keys: self.instances.keys().cloned().collect(),
            env_cache: self.env_cache.clone(),
            env_cache_file: self.env.paths.env_cache_file(),
        };
        let tx = self.events.clone();
        tokio::task::spawn_blocking(move || {
            let r = tick::tick(input);
            let _ = tx.send(Event::SweepDone(Box::new(r)));
        });
    }

    async fn apply_sweep(&mut self, r: TickResult) {
        self.sweeping = false;
        self.sweeps += 1;
        self.last_sweep_ms = r.took_ms;
        self.last_rss.clone_from(&r.rss);
        for e in &r.errors {
            tracing::warn!("sweep: {e}");
        }
        // Re-adopted servers are not our children: a sweep is how their exit is seen.
        for pid in &r.gone {
            self.on_exit(
                *pid,
                false,
                "gone (not our child: status unknown)".into(),
                false,
            )
            .await;
        }
        let now_secs = crate::procs::snapshot::now_epoch() as u64;
        if let Some(sessions) = &r.sessions {
            let live: HashSet<&str> = sessions.iter().map(|s| s.name.as_str()).collect();
            // Session servers of sessions that are gone.
            let gone: Vec<Key> = self
                .instances
                .keys()
                .filter(|k| {
                    r.judged.contains(k) && k.session.as_deref().is_some_and(|s| !live.contains(s))
                })
                .cloned()
                .collect();
            for k in gone {
                if self.instances.get(&k).is_some_and(|i| i.pid.is_some()) {
                    let _ = self.stop(&k, "its session is gone").await;
                }
                self.instances.remove(&k);
            }
            // A name closed and reopened between two sweeps is a new session.
            let ids: Vec<(String, u32)> = sessions.iter().map(|s| (s.name.clone(), s.id)).collect();
            self.retire_reopened(&ids).await;
            // Eager session servers of live sessions found by the sweep.
            for s in sessions {
                self.ensure_session_servers(&s.name, Some(PathBuf::from(&s.path)), Some(s.id));
            }
            // Detached too long.
            if let Some(ttl) = self.env.config.sessions.detached_ttl {
                let stale: Vec<Key> = sessions
                    .iter()
                    .filter(|s| {
                        s.attached == 0 && now_secs.saturating_sub(s.activity) >= ttl.as_secs()
                    })
                    .flat_map(|s| {
                        self.instances
                            .values()
                            .filter(|i| {
                                i.pid.is_some() && i.key.session.as_deref() == Some(s.name.as_str())
                            })
                            .map(|i| i.key.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for k in stale {
                    let _ = self
                        .stop(&k, "its session was detached longer than detached_ttl")
                        .await;
                }
            }
        }
        self.enforce_limits(&r).await;
        if let Some(s) = r.sample {
            self.history.push(s);
            if self.sweeps.is_multiple_of(10)
                && let Err(e) = self.history.save(&self.history_path)
            {
                tracing::warn!("cannot save history: {e}");
            }
        }
        for w in self.sweep_waiters.drain(..) {
            let _ = w.send(Answer::Response(ok(format!(
                "sweep done in {} ms: {} stopped, {} adopted",
                r.took_ms, r.stopped, r.adopted
            ))));
        }
        if std::mem::take(&mut self.sweep_again) {
            self.start_sweep();
        }
    }

    /// `max_rss` (over it in two consecutive sweeps: restart a global server, stop a session server) and
    /// `idle_timeout` (no client for that long: stop).
    async fn enforce_limits(&mut self, r: &TickResult) {
        let mut restart = Vec::new();
        let mut stop = Vec::new();
        for inst in self.instances.values_mut() {
            let (Some(pid), Some(cfg)) = (inst.pid, self.env.config.servers.get(&inst.key.server))
            else {
                continue;
            };
            if let (Some(max), Some(rss)) = (cfg.max_rss, r.rss.get(&pid)) {
                if *rss > max {
                    inst.over_rss += 1;
                    tracing::info!(
                        "{} uses {} (max_rss {})",
                        inst.key.label(),
                        crate::units::human_bytes(*rss),
                        crate::units::human_bytes(max)
                    );
                } else {
                    inst.over_rss = 0;
                }
                if inst.over_rss >= 2 {
                    inst.rss_actions += 1;
                    let why = format!(
                        "tree RSS {} over max_rss {}",
                        crate::units::human_bytes(*rss),
                        crate::units::human_bytes(max)
                    );
                    if inst.key.session.is_some() {
                        stop.push((inst.key.clone(), why))
                    } else {
                        restart.push((inst.key.clone(), why))
                    }
                    continue;
                }
            }
            let idle_for = match &inst.mux {
                Some(m) => m.idle_for(),
                None => inst.started_at.map(|t| t.elapsed()).unwrap_or_default(),
            };
            if let Some(idle) = cfg.idle_timeout
                && idle_for >= idle
            {
                stop.push((
                    inst.key.clone(),
                    format!("no client for {}", crate::units::human_duration(idle)),
                ));
            }
        }
        for (k, why) in stop {
            tracing::warn!("stopping {}: {why}", k.label());
            let _ = self.stop(&k, &why).await;
        }
        for (k, why) in restart {
            tracing::warn!("restarting {}: {why}", k.label());
            let _ = self.stop(&k, &why).await;
            if let Some(i) = self.instances.get_mut(&k) {
                i.restarts += 1;
            }
            if let Err(e) = self.start(&k, None, None) {
                tracing::warn!("{e}");
            }
        }
    }

    /// Stops and forgets session instances started for an earlier session of the same name (its tmux
    /// id differs): the new session gets its own servers.
    async fn retire_reopened(&mut self, sessions: &[(String, u32)]) {
        let stale: Vec<Key> = self
            .instances
            .values()
            .filter(|i| {
                sessions.iter().any(|(name, id)| {
                    i.key.session.as_deref() == Some(name.as_str())
                        && i.session_id.is_some_and(|old| old != *id)
                })
            })
            .map(|i| i.key.clone())
            .collect();
        for k in stale {
            if self.instances.get(&k).is_some_and(|i| i.pid.is_some()) {
                let _ = self.stop(&k, "its session was closed and reopened").await;
            }
            self.instances.remove(&k);
        }
    }

    fn ensure_session_servers(
        &mut self,
        session: &str,
        dir: Option<PathBuf>,
        id: Option<u32>,
    ) -> Vec<String> {
        let names: Vec<String> = self
            .env
            .config
            .servers
            .iter()
            .filter(|(_, c)| c.scope == Scope::Session && c.start == StartMode::Eager)
            .map(|(n, _)| n.clone())
            .collect();
        let mut out = Vec::new();
        for name in names {
            let key = Key::new(&name, Some(session.to_string()));
            // One set per session: an instance that exists (even stopped by the user) is left alone.
            if let Some(i) = self.instances.get(&key) {
                out.push(match i.pid {
                    Some(p) => format!("{} is already running (pid {p})", key.label()),
                    None => format!("{} is {}", key.label(), i.state.word()),
                });
                continue;
            }
            match self.start(&key, dir.clone().filter(|d| d.is_dir()), id) {
                Ok(m) => out.push(m),
                Err(e) => out.push(e),
            }
        }
        out
    }

    async fn request(&mut self, req: Request, tx: oneshot::Sender<Answer>) {
        let answer = match req {
            Request::Ping => Response::Pong {
                pid: std::process::id() as i32,
                version: env!("CARGO_PKG_VERSION").to_string(),
                uptime_secs: self.started.elapsed().as_secs(),
            },
            Request::Status => Response::Status(Box::new(self.status().await)),
            Request::Shutdown => {
                self.shutdown = true;
                ok("shutting down")
            }
            Request::Start { server, session } => {
                let key = Key::new(&server, session);
                let dir = self.session_dir(&key);
                if let Some(i) = self.instances.get_mut(&key) {
                    i.failures.clear();
                }
                self.start(&key, dir, None).map_or_else(err, ok)
            }
            Request::Stop { server, session } => self
                .stop(&Key::new(&server, session), "stopped on request")
                .await
                .map_or_else(err, ok),
            Request::Restart { server, session } => {
                let key = Key::new(&server, session);
                if !self.env.config.servers.contains_key(&key.server) {
                    err(format!("no server named {:?} in the config", key.server))
                } else {
                    let _ = self.stop(&key, "restarting on request").await;
                    let dir = self.session_dir(&key);
                    if let Some(i) = self.instances.get_mut(&key) {
                        i.restarts += 1;
                        i.failures.clear();
                    }
                    self.start(&key, dir, None).map_or_else(err, ok)
                }
            }
            Request::SessionOpened { session, dir } => {
                // tmux's truth: the session's id now (a name reopened at once is a new session).
                let id = self
                    .env
                    .tmux
                    .view()
                    .ok()
                    .flatten()
                    .and_then(|v| v.session(&session).map(|s| s.id));
                if let Some(id) = id {
                    self.retire_reopened(&[(session.clone(), id)]).await;
                }
                let started = self.ensure_session_servers(&session, dir.map(PathBuf::from), id);
                ok(if started.is_empty() {
                    format!("session {session}: nothing to start")
                } else {
                    started.join("; ")
                })
            }
            Request::Sweep => {
                self.sweep_waiters.push(tx);
                self.start_sweep();
                return;
            }
            Request::Connect {
                server,
                session,
                client_session,
            } => {
                let _ = tx.send(match self.connect(server, session, client_session).await {
                    Ok(a) => a,
                    Err(e) => Answer::Response(err(e)),
                });
                return;
            }
        };
        let _ = tx.send(answer.into());
    }

    /// A bridge wants `server`: start it when needed (on-connect, stopped, re-adopted without stdio),
    /// then hand over its multiplexer. `share = false` servers get a private instance per connection.
    async fn connect(
        &mut self,
        server: String,
        session: Option<String>,
        client_session: Option<String>,
    ) -> Result<Answer, String> {
        let Some(cfg) = self.env.config.servers.get(&server).cloned() else {
            return Err(format!("no server named {server:?} in the config"));
        };
        let session = match cfg.scope {
            Scope::Global => None,
            Scope::Session => Some(session.or_else(|| client_session.clone()).ok_or_else(|| {
                format!("{server} is a session server: run `mcpd connect` inside tmux, or pass --session")
            })?),
        };
        self.next_conn += 1;
        let cid = self.next_conn;
        let mut key = Key::new(&server, session);
        if !cfg.share {
            key.conn = Some(cid);
        }
        let needs_start = match self.instances.get(&key) {
            None => true,
            Some(i) => i.pid.is_none() || !i.attached,
        };
        if self
            .instances
            .get(&key)
            .is_some_and(|i| i.state == State::Failed)
        {
            return Err(format!(
                "{} failed (crash loop: {}); fix it, then `mcpd restart {server}`",
                key.label(),
                self.instances
                    .get(&key)
                    .and_then(|i| i.last_exit.clone())
                    .unwrap_or_default()
            ));
        }
        if needs_start {
            if self.instances.get(&key).is_some_and(|i| i.pid.is_some()) {
                // Re-adopted after a crash: its stdin is gone, so it cannot serve; replace it.
                let _ = self
                    .stop(&key, "replaced: re-adopted without its stdio")
                    .await;
            }
            let dir = self.session_dir(&key);
            self.start(&key, dir, None)?;
        }
        let inst = self.instances.get_mut(&key).ok_or("the server vanished")?;
        inst.private = !cfg.share;
        let mux = inst.mux.as_ref().ok_or("the server has no multiplexer")?;
        Ok(Answer::Attach {
            message: format!(
                "connected to {} (pid {})",
                key.label(),
                inst.pid.unwrap_or(0)
            ),
            mux: mux.tx.clone(),
            cid,
            session: client_session,
        })
    }

    async fn status(&mut self) -> DaemonStatus {
        let mut servers = Vec::new();
        let mut rec = Vec::new();
        for (name, cfg) in &self.env.config.servers {
            let scope = match cfg.scope {
                Scope::Global => "global",
                Scope::Session => "session",
            };
            let insts: Vec<&Instance> = self
                .instances
                .values()
                .filter(|i| &i.key.server == name)
                .collect();
            if insts.is_empty() {
                servers.push(ServerStatus {
                    name: name.clone(),
                    scope: scope.into(),
                    state: if cfg.start == StartMode::OnConnect {
                        "idle".into()
                    } else {
                        "stopped".into()
                    },
                    ..Default::default()
                });
            }
            for i in insts {
                // From the last sweep: a request never waits on a /proc pass.
                let rss = i
                    .pid
                    .and_then(|p| self.last_rss.get(&p).copied())
                    .unwrap_or(0);
                let trend = self.history.trend(&i.key.label());
                if let Some(t) = trend.filter(|t| t.leak) {
                    rec.push(history::leak_recommendation(&i.key.label(), &t, rss));
                }
                servers.push(ServerStatus {
                    name: name.clone(),
                    scope: scope.into(),
                    session: i.key.session.clone(),
                    pid: i.pid,
                    state: i.state.word().into(),
                    restarts: i.restarts,
                    rss_bytes: rss,
                    uptime_secs: i.pid.and(i.started_at).map(|t| t.elapsed().as_secs()),
                    last_exit: i.last_exit.clone(),
                    last_log: i.last_log.clone(),
                    rss_actions: i.rss_actions,
                    clients: i.mux.as_ref().map_or(0, |m| m.clients()),
                    client_sessions: match &i.mux {
                        Some(m) => m.client_sessions().await,
                        None => Vec::new(),
                    },
                    trend_mb_per_hour: trend.map(|t| t.mb_per_hour),
                    leak: trend.is_some_and(|t| t.leak),
                });
            }
        }
        DaemonStatus {
            pid: std::process::id() as i32,
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_secs: self.started.elapsed().as_secs(),
            sweeps: self.sweeps,
            last_sweep_ms: self.last_sweep_ms,
            servers,
            recommendations: rec,
            rss_history: self.history.total_rss_series(120),
        }
    }
}

/// Processes of ours tagged by this daemon (`MCPD_STATE`), optionally only those of one owner and
/// server, except the pids in `keep` and their descendants, and except anything running under tmux.
/// `keep_tags` (owner, server) keeps every process tagged for a kept server, wherever it went
/// (re-adoption: a server's escaped helpers are part of it, not leftovers).
fn tagged(
    state_tag: &str,
    keep: &[i32],
    keep_tags: &[(String, String)],
    only: Option<(&str, &str)>,
) -> Vec<StopTarget> {
    let Ok(mut snap) = Snapshot::take() else {
        return Vec::new();
    };
    let uid = procs::my_uid();
    snap.load_env_tags(|p| p.uid == uid && p.pid > 1 && !p.cmdline.is_empty());
    let mut kept: HashSet<i32> = keep.iter().copied().collect();
    for k in keep {
        kept.extend(snap.descendants(*k));
    }
    if !keep_tags.is_empty() {
        // A kept server's session and group (it was started with setsid), and its tagged escapees.
        let leaders: HashSet<i32> = keep.iter().copied().collect();
        for p in snap.procs.values() {
            let tagged_for_kept = p.env.as_ref().is_some_and(|e| {
                keep_tags.iter().any(|(o, sv)| {
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
    let mut out: Vec<StopTarget> = snap
        .procs
        .values()
        .filter(|p| !kept.contains(&p.pid) && p.pid != std::process::id() as i32)
        .filter(|p| {
            let Some(e) = &p.env else { return false };
            // A server that started a tmux server passes its tags on to every pane: those panes (they
            // carry TMUX, or descend from a tmux server) are the user's, not the server's.
            let in_tmux = e.tmux.is_some()
                || snap
                    .ancestors(p.pid)
                    .iter()
                    .any(|a| snap.get(*a).is_some_and(crate::procs::guard::is_tmux));
            !in_tmux
                && e.mcpd_state.as_deref() == Some(state_tag)
                && only.is_none_or(|(owner, server)| {
                    e.mcpd_owner.as_deref() == Some(owner)
                        && e.mcpd_server.as_deref() == Some(server)
                })
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
