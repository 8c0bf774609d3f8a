//! Sweeps: starting one on the blocking pool and applying its result as decisions (sessions gone or
//! reopened, eager session servers, detached TTLs, `max_rss` and `idle_timeout`); a session-opened
//! hook.

use super::*;

impl Sup {
    pub(super) fn start_sweep(&mut self) {
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
                .filter_map(|i| match i.state {
                    State::Running {
                        pid, start_ticks, ..
                    } => Some((i.key.clone(), pid, start_ticks)),
                    _ => None,
                })
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

    pub(super) fn apply_sweep(&mut self, r: TickResult) {
        self.sweeping = false;
        self.sweeps += 1;
        self.last_sweep_ms = r.took_ms;
        self.last_rss.clone_from(&r.rss);
        for e in &r.errors {
            tracing::warn!("sweep: {e}");
        }
        // Re-adopted servers are not our children: a sweep is how their exit is seen, and their
        // status cannot be known (our own children's exits come from the reaper, with theirs).
        for pid in &r.gone {
            self.on_exit(
                *pid,
                ExitKind::Unknown,
                "gone (not our child: exit status unknown)".into(),
            );
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
                let _ = self.stop(&k, "its session is gone", Next::Forget);
            }
            // A name closed and reopened between two sweeps is a new session. The view may be
            // older than an instance the session-opened hook started meanwhile: only instances
            // judged by this sweep, of a session older than the view's (ids only grow), go.
            let ids: Vec<(String, u32)> = sessions.iter().map(|s| (s.name.clone(), s.id)).collect();
            let judged = r.judged.clone();
            self.retire_reopened(&ids, |i, id| {
                judged.contains(&i.key) && i.session_id.is_some_and(|old| old < id)
            });
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
                                i.state.is_running()
                                    && i.key.session.as_deref() == Some(s.name.as_str())
                            })
                            .map(|i| i.key.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect();
                for k in stale {
                    let _ = self.stop(
                        &k,
                        "its session was detached longer than detached_ttl",
                        Next::Stopped,
                    );
                }
            }
        }
        self.enforce_limits(&r);
        if let Some(s) = r.sample {
            self.history.push(s);
            if self.sweeps.is_multiple_of(10) {
                // Saved from a copy on the blocking pool: the loop never waits on the disk.
                let (h, path) = (self.history.clone(), self.history_path.clone());
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = h.save(&path) {
                        tracing::warn!("cannot save history: {e}");
                    }
                });
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
    pub(super) fn enforce_limits(&mut self, r: &TickResult) {
        let mut restart = Vec::new();
        let mut stop = Vec::new();
        for inst in self.instances.values_mut() {
            let (State::Running { pid, since, .. }, Some(cfg)) =
                (&inst.state, self.env.config.servers.get(&inst.key.server))
            else {
                continue;
            };
            let since = *since;
            if let (Some(max), Some(rss)) = (cfg.max_rss, r.rss.get(pid)) {
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
                None => since.elapsed(),
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
            let _ = self.stop(&k, &why, Next::Stopped);
        }
        for (k, why) in restart {
            tracing::warn!("restarting {}: {why}", k.label());
            if let Some(i) = self.instances.get_mut(&k) {
                i.restarts += 1;
            }
            let _ = self.stop(&k, &why, Next::Start);
        }
    }

    /// Stops and forgets session instances started for an earlier session of the same name (its tmux
    /// id differs): the new session gets its own servers.
    /// `older(instance, id)` says whether the instance belongs to an earlier session than `id`.
    pub(super) fn retire_reopened(
        &mut self,
        sessions: &[(String, u32)],
        older: impl Fn(&Instance, u32) -> bool,
    ) {
        let stale: Vec<Key> = self
            .instances
            .values()
            .filter(|i| {
                // Retired already: its stop reports to this key, and a new key would lose it.
                i.key.slot & Key::RETIRED == 0
                    && sessions.iter().any(|(name, id)| {
                        i.key.session.as_deref() == Some(name.as_str()) && older(i, *id)
                    })
            })
            .map(|i| i.key.clone())
            .collect();
        for k in stale {
            // Out of the way at once (the new session's servers take its key); its tree is
            // stopped under a retired key, then it is forgotten.
            let retired = self.retire(&k);
            let _ = self.stop(
                &retired,
                "its session was closed and reopened",
                Next::Forget,
            );
        }
    }

    /// Moves `key`'s instance to a retired key (its multiplexer closed), so that a new instance
    /// can take `key` while the old one's tree is stopped; returns the retired key.
    pub(super) fn retire(&mut self, key: &Key) -> Key {
        if key.slot & Key::RETIRED != 0 {
            // Out of the way already; a second key would lose the report of its stop.
            return key.clone();
        }
        let mut retired = key.clone();
        retired.slot = Key::RETIRED | crate::daemon::instance::token();
        let Some(mut inst) = self.instances.remove(key) else {
            return retired;
        };
        if let Some(m) = inst.mux.take() {
            let _ = m.ctl.send(ServerMsg::Close);
        }
        inst.key = retired.clone();
        self.instances.insert(retired.clone(), inst);
        retired
    }

    pub(super) fn ensure_session_servers(
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
                out.push(match i.pid() {
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

    /// The session-opened hook, once tmux has said which session it is: an earlier session of
    /// that name is retired, and its eager servers are started.
    pub(super) fn session_opened(
        &mut self,
        session: String,
        dir: Option<PathBuf>,
        id: Option<u32>,
    ) -> Response {
        if self.shutdown {
            return err("the daemon is shutting down");
        }
        if let Some(id) = id {
            // The hook's id is tmux's newest: any other id is an earlier session (or one of a
            // tmux server since restarted, whose ids began again).
            self.retire_reopened(&[(session.clone(), id)], |i, id| {
                i.session_id.is_some_and(|old| old != id)
            });
        }
        let started = self.ensure_session_servers(&session, dir, id);
        ok(if started.is_empty() {
            format!("session {session}: nothing to start")
        } else {
            started.join("; ")
        })
    }
}
