//! The pool of instances of each server: which instance a bridge's client joins (by contract,
//! per `share`, up to `max_instances`), starting one on demand, and what its clients are told when
//! its process is missing.

use super::*;

impl Sup {
    /// A bridge wants `server`: check that it can be served, and let it in. The instance is chosen
    /// once its client's first message shows its contract ([`Sup::join`]).
    pub(super) fn connect(
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
        let ticket = Ticket {
            server: server.clone(),
            session,
            client_session,
            cid: self.next_conn,
            max_message: usize::try_from(cfg.max_message).unwrap_or(usize::MAX),
            limits: crate::daemon::mux::queue::ClientLimits::from_config(
                &self.env.config.daemon,
                &self.env.paths.state_dir,
            ),
        };
        Ok(Answer::Lobby {
            message: format!("connected to {server}"),
            ticket,
        })
    }

    /// The instance for a client with `contract`: one whose clients have a contract it may share
    /// (per `share`), else a free or new one of the pool, up to `max_instances`. Started when
    /// needed (on-connect, stopped, re-adopted without stdio).
    /// Returns the instance and its multiplexer (handed over once its process is attached).
    pub(super) fn join(&mut self, t: Ticket, contract: Contract) -> Result<(Key, Answer), String> {
        let Some(cfg) = self.env.config.servers.get(&t.server).cloned() else {
            return Err(format!("no server named {:?} in the config", t.server));
        };
        let pool: Vec<&Instance> = self
            .instances
            .values()
            .filter(|i| i.key.server == t.server && i.key.session == t.session)
            .collect();
        let same_session = |i: &Instance| {
            cfg.share != Share::Session
                || i.contract.is_none()
                || i.client_session == t.client_session
        };
        let in_use = |i: &Instance| {
            i.pid().is_some()
                || matches!(i.state, State::Starting { .. })
                || i.mux.as_ref().is_some_and(|m| m.clients() > 0)
        };
        let chosen = if cfg.share == Share::Never {
            None
        } else {
            pool.iter()
                // Serving clients of an admissible contract.
                .find(|i| {
                    same_session(i)
                        && i.contract
                            .as_ref()
                            .is_some_and(|c| c.admits(&contract, cfg.share))
                })
                // Unbound (started eagerly, no client yet).
                .or_else(|| pool.iter().find(|i| i.contract.is_none() && !i.private))
                // Idle and empty: free to take another contract.
                .or_else(|| pool.iter().find(|i| !in_use(i) && !i.private))
                .map(|i| i.key.clone())
        };
        let key = match chosen {
            Some(k) => k,
            None => {
                let busy: Vec<String> = self
                    .instances
                    .values()
                    .filter(|i| i.key.server == t.server && in_use(i))
                    .map(|i| match &i.contract {
                        Some(c) => format!("{} ({})", i.key.label(), c.describe()),
                        None => i.key.label(),
                    })
                    .collect();
                if busy.len() >= cfg.max_instances as usize {
                    return Err(format!(
                        "{}: all {} instances allowed by max_instances are in use by clients of other contracts ({}); this client asked for {}. Raise max_instances in [servers.{}] or set share = \"always\"",
                        t.server,
                        cfg.max_instances,
                        busy.join(", "),
                        contract.describe(),
                        t.server
                    ));
                }
                let slot = if cfg.share == Share::Never {
                    t.cid
                } else {
                    (0..)
                        .find(|n| {
                            !self.instances.keys().any(|k| {
                                k.server == t.server && k.session == t.session && k.slot == *n
                            })
                        })
                        .unwrap_or(0)
                };
                let mut k = Key::new(&t.server, t.session.clone());
                k.slot = slot;
                k
            }
        };
        // A free instance taken by another contract starts afresh: new multiplexer, no history.
        if let Some(i) = self.instances.get_mut(&key)
            && i.contract
                .as_ref()
                .is_some_and(|c| !c.admits(&contract, cfg.share))
        {
            if let Some(m) = i.mux.take() {
                let _ = m.ctl.send(ServerMsg::Close);
            }
            i.contract = None;
            i.client_session = None;
            i.failures.clear();
            if matches!(i.state, State::Failed { .. }) {
                i.state = State::Stopped;
            }
        }
        if let Some(i) = self.instances.get(&key)
            && matches!(i.state, State::Failed { .. })
            && i.contract
                .as_ref()
                .is_some_and(|c| c.admits(&contract, cfg.share))
        {
            return Err(failed_message(i));
        }
        match self.instances.get(&key).map(|i| &i.state) {
            // Re-adopted after a crash: its stdin is gone, so it cannot serve; replace it (started
            // again once its tree is gone; the client's requests wait in the multiplexer).
            Some(State::Running {
                attached: false, ..
            }) => {
                self.stop(&key, "replaced: re-adopted without its stdio", Next::Start)?;
            }
            Some(State::Running { .. } | State::Starting { .. }) => {}
            // Stopping (or stopped, exited...): started (again) once its tree is gone.
            _ => {
                self.start(&key, None, None)?;
            }
        }
        self.ensure_mux(&key);
        let inst = self.instances.get_mut(&key).ok_or("the server vanished")?;
        inst.private = cfg.share == Share::Never;
        // The first client's contract stays the instance's: later ones were admitted against it.
        inst.contract.get_or_insert_with(|| contract.clone());
        if cfg.share == Share::Session && inst.client_session.is_none() {
            inst.client_session = t.client_session.clone();
        }
        let mux = inst.mux.as_ref().ok_or("the server has no multiplexer")?;
        tracing::info!(
            "client {} of {} joins {} ({})",
            t.cid,
            t.server,
            key.label(),
            contract.describe()
        );
        let answer = Answer::Attach {
            mux: mux.tx.clone(),
        };
        Ok((key, answer))
    }

    /// Gives an instance its multiplexer if it has none (a re-adopted one, a stopped one).
    pub(super) fn ensure_mux(&mut self, key: &Key) {
        let Some(cfg) = self.env.config.servers.get(&key.server) else {
            return;
        };
        let (max, share) = (
            usize::try_from(cfg.max_message).unwrap_or(usize::MAX),
            cfg.share,
        );
        let tx = self.events.clone();
        if let Some(i) = self.instances.get_mut(key) {
            i.mux.get_or_insert_with(|| {
                let k = key.clone();
                crate::daemon::mux::spawn(key.label(), max, share, move |e| {
                    let _ = tx.send(Event::Mux(k.clone(), e));
                })
            });
        }
    }

    /// Requests wait for an instance with no process: start it, unless it is coming anyway
    /// (backoff) or must not be (crash loop), in which case its clients are told why.
    pub(super) fn wanted(&mut self, key: &Key) {
        let Some(i) = self.instances.get(key) else {
            return;
        };
        if !matches!(
            i.state,
            State::Stopped | State::Exited | State::Failed { .. }
        ) {
            // Running, or one is coming (starting, stopping to restart, backoff).
            return;
        }
        if matches!(i.state, State::Failed { .. })
            || i.failures.len() >= crate::daemon::instance::CRASH_LIMIT
        {
            let why = failed_message(i);
            tell(i, why, false);
            return;
        }
        if let Err(e) = self.start(key, None, None)
            && let Some(i) = self.instances.get(key)
        {
            tell(i, format!("cannot start {}: {e}", key.label()), false);
        }
    }
}

/// Tells an instance's clients the state of its missing process (see [`ServerMsg::State`]).
pub(super) fn tell(inst: &Instance, why: String, hold: bool) {
    if let Some(m) = &inst.mux {
        let _ = m.ctl.send(ServerMsg::State { why, hold });
    }
}
