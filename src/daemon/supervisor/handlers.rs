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
            Request::Reload => self
                .reload("requested")
                .await
                .map_or_else(err, Response::Reloaded),
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
                match self.start(&key, dir, None) {
                    // Answered once it is known whether it stayed up.
                    Ok(m) if m.starts_with("started") => return self.settle(&key, m, tx),
                    r => r.map_or_else(err, ok),
                }
            }
            Request::Stop { server, session } => {
                let key = Key::new(&server, session);
                // Every instance of the pool.
                let keys: Vec<Key> = self
                    .instances
                    .keys()
                    .filter(|k| k.server == key.server && k.session == key.session)
                    .cloned()
                    .collect();
                let mut answer = self.stop(&key, "stopped on request").await;
                for k in keys {
                    if k != key {
                        let _ = self.stop(&k, "stopped on request").await;
                    }
                    if let Some(i) = self.instances.get(&k) {
                        let why = format!(
                            "{} was stopped on request; `mcpd start {}` starts it again",
                            k.label(),
                            k.server
                        );
                        tell(i, why, false);
                        answer = answer.or_else(|_| Ok(format!("stopped {}", k.label())));
                    }
                }
                answer.map_or_else(err, ok)
            }
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
                    match self.start(&key, dir, None) {
                        Ok(m) => return self.settle(&key, m, tx),
                        Err(e) => err(e),
                    }
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
                    uptime_seconds: i.pid.and(i.started_at).map(|t| t.elapsed().as_secs()),
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
            servers,
            recommendations: rec,
            rss_history: self.history.total_rss_series(120),
        }
    }
}
