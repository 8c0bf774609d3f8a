//! Child exits and the supervisor's events: reaping, what an exit means for an instance (restart
//! with backoff, crash loop, stopped), and the event dispatch.

use super::*;

impl Sup {
    pub(super) async fn reap(&mut self) {
        let pids: HashSet<i32> = self.instances.values().filter_map(|i| i.pid).collect();
        let exits = self.reaper.reap(|p| pids.contains(&p));
        for (pid, status) in exits {
            let (success, desc) = describe(&status);
            self.on_exit(pid, success, desc, true).await;
        }
    }

    /// A running instance's process ended (reaped, or found gone by a sweep).
    pub(super) async fn on_exit(
        &mut self,
        pid: i32,
        success: bool,
        desc: String,
        just_reaped: bool,
    ) {
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
        self.stop_targets(
            targets,
            "its server exited: what was left of its group and tags",
        )
        .await;
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
            let why = if session_gone {
                format!("{} was stopped: its tmux session is gone", key.label())
            } else {
                format!("{} was stopped ({desc})", key.label())
            };
            tell(inst, why, false);
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
                let why = format!(
                    "{} exited ({desc}); restarting in {} s",
                    key.label(),
                    delay.as_secs()
                );
                tell(inst, why, true);
                let (tx, generation) = (self.events.clone(), inst.generation);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(Event::RestartDue(key, generation));
                });
            }
            AfterExit::CrashLoop => {
                inst.state = State::Failed;
                inst.last_log = logs::tail(&log, 10);
                let why = failed_message(inst);
                tell(inst, why, false);
                tracing::warn!(
                    "{}: crash loop ({} failures within 60 s); not restarting",
                    inst.key.label(),
                    inst.failures.len()
                );
            }
            AfterExit::Stay => {
                inst.state = State::Exited;
                // Not restarted on its own; a client's next request starts it (see `wanted`).
                let why = format!("{} exited ({desc})", key.label());
                tell(inst, why, true);
            }
        }
    }

    pub(super) async fn event(&mut self, ev: Event) {
        match ev {
            Event::Mux(key, MuxEvent::Empty) => {
                // A private instance lives as long as its one connection.
                if self.instances.get(&key).is_some_and(|i| i.private) {
                    let _ = self.stop(&key, "its client disconnected").await;
                    self.instances.remove(&key);
                }
            }
            Event::Mux(key, MuxEvent::Wanted) => self.wanted(&key),
            Event::Mux(key, MuxEvent::Roots(roots)) => {
                if let Some(c) = self
                    .instances
                    .get_mut(&key)
                    .and_then(|i| i.contract.as_mut())
                {
                    c.known_roots = Some(roots);
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
            Event::Settled(s) => self.settled(*s).await,
            Event::TmuxLost => {
                if self.sweeping {
                    self.sweep_again = true;
                } else {
                    self.start_sweep();
                }
            }
        }
    }
}
