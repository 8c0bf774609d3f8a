//! Child exits and the supervisor's events: reaping (the real wait status), and the dispatch of
//! every event (work reporting back, mux wishes, timers, sweeps) to the decisions.

use super::*;

impl Sup {
    /// Reaps exited children (non-blocking) and feeds each known exit, with its real status, to its
    /// instance.
    pub(super) fn reap(&mut self) {
        // Every process we spawned and have not reaped yet (superseded ones too), and the servers.
        let mut pids: Vec<i32> = self.live.lock().iter().copied().collect();
        pids.extend(self.instances.values().filter_map(|i| i.pid()));
        pids.sort_unstable();
        pids.dedup();
        let exits = self.reaper.reap_known(&pids);
        for (pid, status) in exits {
            let (success, desc) = describe(&status);
            let kind = if success {
                ExitKind::Clean
            } else {
                ExitKind::Crash
            };
            self.on_exit(pid, kind, desc);
        }
    }

    /// An instance's process ended (reaped with its status, or found gone by a sweep).
    pub(super) fn on_exit(&mut self, pid: i32, kind: ExitKind, desc: String) {
        let ours = self.live.lock().remove(&pid);
        let Some(key) = self
            .instances
            .iter()
            .find(|(_, i)| i.pid() == Some(pid))
            .map(|(k, _)| k.clone())
        else {
            if ours {
                // Spawned by us and reaped before its spawn's report came: kept for that report.
                self.early_exits.insert(pid, (kind, desc));
            }
            return;
        };
        tracing::info!("{} (pid {pid}) exited: {desc}", key.label());
        self.input(&key, Input::Exited { pid, kind, desc });
    }

    pub(super) fn event(&mut self, ev: Event) {
        match ev {
            Event::Mux(key, MuxEvent::Empty) => {
                // A private instance lives as long as its one connection.
                if self.instances.get(&key).is_some_and(|i| i.private) {
                    let _ = self.stop(&key, "its client disconnected", Next::Forget);
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
            Event::RestartDue(key, token) => self.input(&key, Input::RestartDue { token }),
            Event::Spawned { key, token, result } => {
                let key = self.holder(key, token);
                self.spawned(key, token, result)
            }
            Event::StopDone {
                key,
                token,
                pid,
                session_gone,
                last_log,
            } => {
                // Its exit is seen first (the stop saw it gone, so it is a zombie by now), then it
                // is reaped: only now, with its group stopped, may its number be reused.
                self.reap();
                self.reaper.release(pid);
                self.early_exits.remove(&pid);
                let key = self.holder(key, token);
                self.input(
                    &key,
                    Input::StopDone {
                        token,
                        session_gone,
                        last_log,
                    },
                )
            }
            Event::AllStopped => self.all_stopped = true,
            Event::SessionOpened {
                session,
                dir,
                id,
                tx,
            } => {
                let _ = tx.send(self.session_opened(session, dir, id).into());
            }
            Event::SweepDone(mut r) => {
                // Kept for the stops: they start from it instead of a pass (work.rs).
                if let Some(s) = r.snapshot.take() {
                    self.last_snap = Some(s);
                }
                self.apply_sweep(*r);
                crate::daemon::heap::give_back();
            }
            Event::Settled(s) => self.settled(*s),
            Event::TmuxLost => {
                if self.sweeping {
                    self.sweep_again = true;
                } else {
                    self.start_sweep();
                }
            }
        }
    }

    /// A spawn reported back: the decision first, then its stdio goes to the multiplexer only if
    /// the instance took the process (a late or superseded one is being stopped instead).
    /// The key of the instance waiting for work `token`: `key`, unless that instance was retired
    /// (moved to another key) while the work ran. Tokens are unique, so the answer goes to whoever
    /// holds it; one that nobody holds goes to `key` (where it is a stale answer).
    fn holder(&self, key: Key, token: u64) -> Key {
        let holds = |i: &Instance| match &i.state {
            State::Starting { token: t } | State::Backoff { token: t, .. } => *t == token,
            State::Stopping {
                token: t,
                spawning: s,
                ..
            } => *t == Some(token) || *s == Some(token),
            _ => false,
        };
        if self.instances.get(&key).is_some_and(holds) {
            return key;
        }
        self.instances
            .values()
            .find(|i| holds(i))
            .map_or(key, |i| i.key.clone())
    }

    fn spawned(&mut self, key: Key, token: u64, result: Result<spawn::Spawned, String>) {
        let s = match result {
            Ok(s) => s,
            Err(error) => {
                tracing::warn!("start {}: {error}", key.label());
                return self.input(&key, Input::SpawnFailed { token, error });
            }
        };
        let pid = s.pid;
        let early = self.early_exits.remove(&pid);
        if !self.instances.contains_key(&key) {
            // Forgotten while it spawned: stop what came.
            let mut i = Instance::new(key.clone());
            let w = machine::step(
                &mut i,
                Input::Spawned {
                    token,
                    pid,
                    start_ticks: s.start_ticks,
                },
                &machine::Ctx {
                    now: Instant::now(),
                    policy: None,
                    shutting_down: self.shutdown,
                },
            );
            self.instances.insert(key.clone(), i);
            self.run_work(&key, w);
            self.instances.remove(&key);
            return;
        }
        self.input(
            &key,
            Input::Spawned {
                token,
                pid,
                start_ticks: s.start_ticks,
            },
        );
        let took = self
            .instances
            .get(&key)
            .is_some_and(|i| i.pid() == Some(pid) && i.state.is_running());
        if took {
            if let Some(mux) = self.instances.get(&key).and_then(|i| i.mux.as_ref()) {
                let _ = mux.ctl.send(ServerMsg::Attach {
                    stdin: s.stdin,
                    stdout: s.stdout,
                });
            }
            let (log, cap) = (self.log_path(&key), self.env.config.daemon.log_max_bytes);
            // Its stderr goes to its log even when it is already gone (a crash loop shows it).
            tokio::spawn(logs::pump(s.stderr, log, cap));
            tracing::info!("started {} (pid {pid})", key.label());
        }
        if let Some((kind, desc)) = early {
            tracing::info!("{} (pid {pid}) exited: {desc}", key.label());
            self.input(&key, Input::Exited { pid, kind, desc });
        }
    }
}
