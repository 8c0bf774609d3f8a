//! Starting and stopping instances: re-adoption after a crash, eager global servers, one start,
//! one stop (stdin closed first, then the tree), and the stops the daemon journals.

use super::*;

impl Sup {
    /// After a crash: recorded servers whose identity still matches are taken back (no second copy);
    /// records that no longer match are dropped; tagged leftovers of ours that no instance owns are
    /// stopped.
    pub(super) async fn readopt(&mut self) {
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
            self.stop_targets(
                leftovers,
                "a leftover of a previous daemon that no server owns",
            )
            .await;
        }
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

    /// Starts one instance (no-op when it runs).
    pub(super) fn start(
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
                    let max = usize::try_from(cfg.max_message).unwrap_or(usize::MAX);
                    crate::daemon::mux::spawn(key.label(), max, cfg.share, move |e| {
                        let _ = tx.send(Event::Mux(k.clone(), e));
                    })
                });
                let _ = mux.ctl.send(crate::daemon::mux::ServerMsg::Attach {
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
    pub(super) async fn stop(&mut self, key: &Key, why: &str) -> Result<String, String> {
        let Some(inst) = self.instances.get_mut(key) else {
            return Err(format!("{} is not running", key.label()));
        };
        inst.stopping = true;
        if let Some(m) = &inst.mux {
            let _ = m.ctl.send(crate::daemon::mux::ServerMsg::Detach);
        }
        let was = inst.state;
        inst.state = State::Stopped;
        inst.last_exit = Some(why.to_string());
        tell(inst, format!("{} was stopped ({why})", key.label()), false);
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
        self.stop_targets(targets, why).await;
        let _ = nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(pid),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        );
        let _ = self.registry.remove(&key.owner(), &[id]);
        tracing::info!("stopped {} ({why})", key.label());
        Ok(format!("stopped {}", key.label()))
    }

    /// Stops trees; what the daemon stops on its own (not on a user's request) goes into the event
    /// journal with `why`.
    pub(super) async fn stop_targets(&self, targets: Vec<StopTarget>, why: &str) {
        let opts = StopOptions::with_grace(self.env.config.daemon.stop_grace);
        let journal = (!why.contains("on request")).then(|| self.env.paths.state_dir.clone());
        let why = why.to_string();
        let out = tokio::task::spawn_blocking(move || {
            let out = stop_trees(&targets, &opts);
            if let (Ok(o), Some(dir)) = (&out, journal) {
                crate::journal::record_stops(&dir, "daemon", o, &Default::default(), &why);
            }
            out
        })
        .await;
        match out {
            Ok(Ok(o)) if o.survivors().count() > 0 => {
                tracing::warn!("{} process(es) survived SIGKILL", o.survivors().count())
            }
            Ok(Err(e)) => tracing::warn!("stop: {e}"),
            _ => {}
        }
    }

    pub(super) async fn stop_everything(&mut self) {
        let keys: Vec<Key> = self.instances.keys().cloned().collect();
        // Close every stdin first, so cooperative servers start exiting together.
        for inst in self.instances.values() {
            if let Some(m) = &inst.mux {
                let _ = m.ctl.send(crate::daemon::mux::ServerMsg::Detach);
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
            self.stop_targets(left, "left over at shutdown").await;
        }
        self.reap().await;
    }
}

/// Processes of ours tagged by this daemon (`MCPD_STATE`), optionally only those of one owner and
/// server, except the pids in `keep` and their descendants, and except anything running under tmux.
/// `keep_tags` (owner, server) keeps every process tagged for a kept server, wherever it went
/// (re-adoption: a server's escaped helpers are part of it, not leftovers).
pub(super) fn tagged(
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
