//! Control requests (one arm per verb) and the daemon's status.

use super::*;

impl Sup {
    pub(super) async fn request(&mut self, req: Request, tx: oneshot::Sender<Answer>) {
        let answer = match req {
            Request::Ping => Response::Pong {
                pid: std::process::id() as i32,
                version: crate::daemon::protocol::own_version(),
                uptime_secs: self.started.elapsed().as_secs(),
                protocol: crate::daemon::protocol::PROTOCOL_VERSION,
                config: self.config_stamp.clone(),
            },
            Request::Status => Response::Status(Box::new(self.status().await)),
            Request::Shutdown => {
                self.begin_shutdown();
                ok("shutting down")
            }
            _ if self.shutdown => {
                err("the daemon is shutting down; start it again with `mcpd daemon start`")
            }
            Request::Reload => match self.reload("requested") {
                Err(e) => err(e),
                Ok(r) => return r.answer_when_settled(tx),
            },
            Request::Start { server, session } => {
                let key = Key::new(&server, session);
                if let Some(i) = self.instances.get_mut(&key) {
                    i.failures.clear();
                }
                match self.start(&key, None, None) {
                    Err(e) => err(e),
                    // Answered once it runs and its settle window says it stayed up (settle.rs).
                    Ok(m) => return self.wait_for(&key, Until::Started, tx, m),
                }
            }
            Request::Stop { server, session } => return self.stop_request(server, session, tx),
            Request::Restart { server, session } => {
                let key = Key::new(&server, session);
                if !self.env.config.servers.contains_key(&key.server) {
                    err(format!("no server named {:?} in the config", key.server))
                } else {
                    if let Some(i) = self.instances.get_mut(&key) {
                        i.restarts += 1;
                        i.failures.clear();
                    }
                    let running = self.instances.get(&key).is_some_and(|i| i.pid().is_some());
                    // A running one is started again once its old tree is gone (`Next::Start`).
                    let asked = if running {
                        self.stop(&key, "restarting on request", Next::Start)
                    } else {
                        self.start(&key, None, None)
                    };
                    match asked {
                        Err(e) => err(e),
                        Ok(m) => return self.wait_for(&key, Until::Started, tx, m),
                    }
                }
            }
            Request::SessionOpened { session, dir } => {
                // tmux's truth: the session's id now (a name reopened at once is a new session).
                // Asked on the blocking pool; the answer comes back as an event.
                let (tmux, events) = (self.env.tmux.clone(), self.events.clone());
                tokio::task::spawn_blocking(move || {
                    let id = tmux
                        .view()
                        .ok()
                        .flatten()
                        .and_then(|v| v.session(&session).map(|s| s.id));
                    let _ = events.send(Event::SessionOpened {
                        session,
                        dir: dir.map(PathBuf::from),
                        id,
                        tx,
                    });
                });
                return;
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
                let _ = tx.send(match self.connect(server, session, client_session) {
                    Ok(a) => a,
                    Err(e) => Answer::Response(err(e)),
                });
                return;
            }
        };
        let _ = tx.send(answer.into());
    }

    /// A bridge asks for an instance: answered now when its process runs, else once it does.
    pub(super) fn join_request(
        &mut self,
        t: Ticket,
        contract: Contract,
        tx: oneshot::Sender<Answer>,
    ) {
        match self.join(t, contract) {
            Err(e) => {
                let _ = tx.send(err(e).into());
            }
            Ok((key, answer)) => {
                let busy = self.instances.get(&key).is_some_and(|i| {
                    matches!(i.state, State::Starting { .. } | State::Stopping { .. })
                });
                if busy {
                    self.waiters.push(Waiter {
                        key,
                        until: Until::Joined,
                        tx,
                    });
                } else {
                    let _ = tx.send(answer);
                }
            }
        }
    }

    /// Answers `tx` once `key` has settled (started or stopped), or at once with `now` when there
    /// is nothing to wait for.
    pub(super) fn wait_for(
        &mut self,
        key: &Key,
        until: Until,
        tx: oneshot::Sender<Answer>,
        now: String,
    ) {
        let busy = self
            .instances
            .get(key)
            .is_some_and(|i| matches!(i.state, State::Starting { .. } | State::Stopping { .. }));
        if busy {
            self.waiters.push(Waiter {
                key: key.clone(),
                until,
                tx,
            });
        } else {
            let _ = tx.send(ok(now).into());
        }
    }

    /// `mcpd stop SERVER`: every instance of its pool; answered when all of them are stopped.
    fn stop_request(
        &mut self,
        server: String,
        session: Option<String>,
        tx: oneshot::Sender<Answer>,
    ) {
        let key = Key::new(&server, session);
        let keys: Vec<Key> = self
            .instances
            .keys()
            .filter(|k| k.server == key.server && k.session == key.session)
            .cloned()
            .collect();
        if keys.is_empty() {
            let _ = tx.send(err(format!("{} is not running", key.label())).into());
            return;
        }
        let mut pending = Vec::new();
        let mut first: Option<Result<String, String>> = None;
        for k in keys {
            let r = self.stop(&k, "stopped on request", Next::Stopped);
            if let Some(i) = self.instances.get(&k) {
                let why = format!(
                    "{} was stopped on request; `mcpd start {}` starts it again",
                    k.label(),
                    k.server
                );
                tell(i, why, false);
            }
            let (wtx, wrx) = oneshot::channel();
            self.wait_for(&k, Until::Stopped, wtx, format!("stopped {}", k.label()));
            pending.push(wrx);
            if k == key || first.is_none() {
                first = Some(r.map(|m| m.replace("stopping", "stopped")));
            }
        }
        let first = first.unwrap_or_else(|| Err(format!("{} is not running", key.label())));
        // The reply waits for every stop in its own task: the supervisor goes on meanwhile.
        tokio::spawn(async move {
            for rx in pending {
                let _ = rx.await;
            }
            let _ = tx.send(first.map_or_else(err, ok).into());
        });
    }

    pub(super) async fn status(&mut self) -> DaemonStatus {
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
                    .pid()
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
                    pid: i.pid(),
                    state: i.state.word().into(),
                    restarts: i.restarts,
                    rss_bytes: rss,
                    uptime_seconds: i.since().map(|t| t.elapsed().as_secs()),
                    last_exit: i.last_exit.clone(),
                    last_log: i.last_log.clone(),
                    rss_actions: i.rss_actions,
                    clients: i.mux.as_ref().map_or(0, |m| m.clients()),
                    client_sessions: match &i.mux {
                        Some(m) => m.client_sessions().await,
                        None => Vec::new(),
                    },
                    instance: Some(i.key.label()),
                    contract: i.contract.as_ref().map(|c| c.describe()),
                    trend_mb_per_hour: trend.map(|t| t.mb_per_hour),
                    leak: trend.is_some_and(|t| t.leak),
                });
            }
        }
        DaemonStatus {
            pid: std::process::id() as i32,
            version: crate::daemon::protocol::own_version(),
            uptime_secs: self.started.elapsed().as_secs(),
            sweeps: self.sweeps,
            last_sweep_ms: self.last_sweep_ms,
            proc_passes: procs::known::passes(),
            servers,
            recommendations: rec,
            rss_history: self.history.total_rss_series(120),
        }
    }
}
