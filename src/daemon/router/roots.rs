//! Roots: part of a client's contract, known only after its handshake. The instance's roots are
//! its first client's (the one the server asks: the "definer"); every other client that declared
//! roots has its lines held until its roots are known and compared, and is moved to another
//! instance if they differ, so no call of it ever reaches a server serving another's files.
//!
//! A client alone in its instance is not asked by mcpd (the server asks it, as directly); a client
//! that shares is asked once with mcpd's own `roots/list` (id `mcpd-r-N`).

use serde_json::{Map, Value, json};

use super::wire::*;
use super::*;

impl Router {
    /// The instance's roots are now `roots`: the server's waiting `roots/list` get them and the
    /// shell is told.
    pub(super) fn bind_roots(&mut self, roots: String, out: &mut Vec<Out>) {
        let waited = !self.roots_waiting.is_empty();
        for id in std::mem::take(&mut self.roots_waiting) {
            out.push(Out::ToServer(super::server::roots_result(&id, &roots)));
        }
        self.roots = Some(roots.clone());
        out.push(Out::Roots(roots));
        if waited {
            self.settle(out);
        }
    }

    /// When clients' lines wait for their roots: a `ping` behind what the server was just told
    /// (its handshake, its roots), so that they go on only once the server has read it. A server
    /// that asks for roots when initialized (as most do) has asked before it answers the ping.
    pub(super) fn settle(&mut self, out: &mut Vec<Out>) {
        let waiting = self.clients.values().any(|c| c.awaiting);
        if self.ignore_roots || !waiting || self.phase != Phase::Up {
            return;
        }
        let up = self.next_upstream();
        self.pending.insert(up, Pending::Settle);
        self.settling = Some(up);
        let line = json!({"jsonrpc": "2.0", "id": up, "method": "ping"});
        out.push(Out::ToServer(line.to_string()));
    }

    pub(super) fn declares_roots(&self, cid: ClientId) -> bool {
        self.clients
            .get(&cid)
            .and_then(|c| c.contract.as_ref())
            .is_some_and(|k| k.roots)
    }

    /// The client whose roots are the instance's while none are bound: the earliest initialized
    /// client that declared roots.
    pub(super) fn definer(&self) -> Option<ClientId> {
        self.clients
            .iter()
            .filter(|(cid, c)| c.initialized && self.declares_roots(**cid))
            .map(|(cid, _)| *cid)
            .min()
    }

    /// A client that declared roots finished its handshake. Alone, it defines the instance's roots
    /// (learnt when the server asks it). With others, its lines wait until its roots are known and
    /// compared; and while the instance's roots are unknown, the definer is asked too.
    pub(super) fn roots_on_initialized(&mut self, cid: ClientId, out: &mut Vec<Out>) {
        if self.ignore_roots || !self.declares_roots(cid) {
            return;
        }
        if self.clients.len() < 2 && self.roots.is_none() {
            return;
        }
        if self.roots.is_none() && self.definer() == Some(cid) {
            // The first: its roots become the instance's; the server asks for them, or mcpd does
            // when another client needs comparing.
            return;
        }
        self.ask_roots(cid, false, true, out);
        if self.roots.is_none()
            && let Some(d) = self.definer()
            && self
                .clients
                .get(&d)
                .is_some_and(|c| c.roots == RootsState::Unknown)
        {
            self.ask_roots(d, false, false, out);
        }
    }

    /// Ask a client for its roots (mcpd's own `roots/list`); with `hold`, its lines wait.
    pub(super) fn ask_roots(
        &mut self,
        cid: ClientId,
        changed: bool,
        hold: bool,
        out: &mut Vec<Out>,
    ) {
        let declared = self.declares_roots(cid);
        // Ignoring roots (`share = always`), nothing would ever release a held client: never hold.
        if self.ignore_roots || !declared {
            return;
        }
        let Some(c) = self.clients.get_mut(&cid) else {
            return;
        };
        if !changed && c.roots != RootsState::Unknown {
            if hold {
                // Asked already, or known already (the server asked it on behalf of a call it
                // made before its handshake): compared all the same, never let through unseen.
                c.awaiting = true;
                if matches!(c.roots, RootsState::Known(_)) {
                    self.resolve_roots(out);
                }
            }
            return;
        }
        self.last_roots_ask += 1;
        let rid = format!("mcpd-r-{}", self.last_roots_ask);
        c.roots = RootsState::Asking {
            rid: rid.clone(),
            changed,
        };
        // Never un-held here: its held lines would stay in `held` with nothing to release them.
        c.awaiting = c.awaiting || hold;
        let line = json!({"jsonrpc": "2.0", "id": rid, "method": "roots/list"});
        out.push(Out::ToClient(cid, line.to_string()));
    }

    /// The answer to mcpd's own question.
    pub(super) fn roots_answer(
        &mut self,
        cid: ClientId,
        rid: &str,
        obj: &Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let changed = match self.clients.get(&cid).map(|c| &c.roots) {
            Some(RootsState::Asking { rid: r, changed }) if r == rid => *changed,
            _ => return,
        };
        // A client that cannot list its roots is grouped with those that cannot either.
        let roots = match obj.get("result").and_then(|r| r.get("roots")) {
            Some(r) => super::super::contract::canonical(r),
            None => "null".to_string(),
        };
        if changed {
            return self.roots_changed(cid, roots, out);
        }
        self.roots_seen(cid, roots, out);
    }

    /// A client's roots are known (from mcpd's question or the server's).
    pub(super) fn roots_seen(&mut self, cid: ClientId, roots: String, out: &mut Vec<Out>) {
        if self.ignore_roots {
            return;
        }
        if let Some(c) = self.clients.get_mut(&cid) {
            c.roots = RootsState::Known(roots);
        }
        self.resolve_roots(out);
    }

    /// Bind the definer's roots once known; then every waiting client whose roots are known stays
    /// (its lines go on) or moves.
    pub(super) fn resolve_roots(&mut self, out: &mut Vec<Out>) {
        // A held client waits for its roots, not for the process: it must have a question out to
        // it or its roots known. One whose roots are unknown again (the server's question to it
        // ended unanswered: the process exited, or the server cancelled it) is asked by mcpd, whose
        // question needs no process; left so, nothing would release its lines (found by fuzzing).
        let unasked: Vec<ClientId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.awaiting && c.roots == RootsState::Unknown)
            .map(|(cid, _)| *cid)
            .collect();
        for cid in unasked {
            self.ask_roots(cid, false, true, out);
        }
        // Lines go on only once the server has been told its handshake and roots.
        let initializing = self
            .pending
            .values()
            .any(|p| matches!(p, Pending::Initialize));
        let gated = self.settling.is_some() || initializing;
        if self.roots.is_none() {
            let Some(d) = self.definer() else {
                return self.roots_unheard("no connected client can say the roots", out);
            };
            match self.clients.get(&d).map(|c| c.roots.clone()) {
                Some(RootsState::Known(r)) => self.bind_roots(r, out),
                Some(RootsState::Unknown) => {
                    // Someone waits for the instance's roots (the server, having asked while
                    // another client was being asked, or a client to compare), and only the
                    // definer's answer gives them: it is asked (found by fuzzing).
                    let waited =
                        !self.roots_waiting.is_empty() || self.clients.values().any(|c| c.awaiting);
                    if waited {
                        self.ask_roots(d, false, false, out);
                    }
                    return;
                }
                _ => return,
            }
        }
        let bound = self.roots.clone().unwrap_or_default();
        let ready: Vec<(ClientId, String)> = self
            .clients
            .iter()
            .filter(|(_, c)| c.awaiting)
            .filter_map(|(cid, c)| match &c.roots {
                RootsState::Known(r) => Some((*cid, r.clone())),
                _ => None,
            })
            .collect();
        for (cid, roots) in ready {
            // Moved or let through already, by a nested resolve (a move's `client_left`).
            if !self.clients.get(&cid).is_some_and(|c| c.awaiting) {
                continue;
            }
            if roots == bound {
                if !gated {
                    self.release(cid, out);
                }
            } else {
                self.move_for_roots(cid, roots, out);
            }
        }
    }

    /// The server's `roots/list`s that wait for the instance's roots, when nobody is being asked
    /// for them any more: nobody would end that wait, so they get an error (found by fuzzing).
    pub(super) fn roots_unheard(&mut self, why: &str, out: &mut Vec<Out>) {
        let asking = self
            .clients
            .values()
            .any(|c| matches!(c.roots, RootsState::Asking { .. }));
        if self.roots.is_some() || asking {
            return;
        }
        for id in std::mem::take(&mut self.roots_waiting) {
            out.push(Out::ToServer(error_line(&id, INTERNAL_ERROR, why)));
        }
    }

    /// The server's `roots/list` to a client ended unanswered (cancelled by the server, or the
    /// process exited): the client is no longer being asked. Left `Asking`, nothing would ever ask
    /// it again and what waits for its roots (held clients, the server) would wait forever (found
    /// by fuzzing); its roots are unknown again, and the definer is asked if someone waits.
    pub(super) fn roots_question_dropped(&mut self, cid: ClientId, rid: &str, out: &mut Vec<Out>) {
        let Some(c) = self.clients.get_mut(&cid) else {
            return;
        };
        if matches!(&c.roots, RootsState::Asking { rid: r, .. } if r == rid) {
            c.roots = RootsState::Unknown;
            self.resolve_roots(out);
        }
    }

    /// The client's held lines go on.
    fn release(&mut self, cid: ClientId, out: &mut Vec<Out>) {
        let held = match self.clients.get_mut(&cid) {
            Some(c) => {
                c.awaiting = false;
                std::mem::take(&mut c.held)
            }
            None => Vec::new(),
        };
        self.feed(held.into_iter().map(|l| (cid, l)), out);
    }

    /// The client belongs to another instance: it leaves, taking its handshake and every line not
    /// answered here (see [`Router::unsent_lines`]). An `initialize` of its own among them (waiting
    /// for the one in flight, or queued while the process was down; a client that said
    /// `initialized` too early) means its handshake was never answered: it moves as an ordinary
    /// line, to be answered where it lands, not replayed silently as an answered one.
    fn move_for_roots(&mut self, cid: ClientId, roots: String, out: &mut Vec<Out>) {
        let lines = self.unsent_lines(cid);
        let unanswered = lines.iter().any(|l| is_initialize(l));
        let init = self
            .clients
            .get_mut(&cid)
            .and_then(|c| c.init_line.take())
            .filter(|_| !unanswered);
        self.fail_in_flight(cid, out);
        out.extend(self.client_left(cid));
        let moved = Moved {
            init,
            lines,
            roots: Some(roots),
        };
        out.push(Out::Move(cid, moved));
    }

    /// A client that moves to another instance: what it sent this one and is still in flight is
    /// answered with an error (the moved client's next instance never saw it; sending it there
    /// again could do its work twice), and cancelled upstream by `client_left`.
    pub(super) fn fail_in_flight(&mut self, cid: ClientId, out: &mut Vec<Out>) {
        let ids: Vec<Value> = self
            .pending
            .values()
            .filter_map(|p| match p {
                Pending::Client { cid: c, id, .. } if *c == cid => Some(id.clone()),
                _ => None,
            })
            .collect();
        for id in ids {
            out.push(error_to(
                cid,
                &id,
                INTERNAL_ERROR,
                "moved to another process of this server (its roots or handshake differ); send the request again",
            ));
        }
    }

    /// Every request (and notification) of the client this instance took but never sent to its
    /// server, in order, for a move to take along: its `initialize`s waiting for the one in flight
    /// (even its own, forwarded: the handshake is the instance's, and the new one answers it), then
    /// what was queued while the process was down, what waits its turn behind other clients' calls,
    /// and what was held for its roots. A moved-in client's replayed handshake (already answered by
    /// its first instance) is not among them: it travels as [`Moved::init`]. Requests in flight are
    /// the one other state a request can be in: [`Router::fail_in_flight`] answers those.
    pub(super) fn unsent_lines(&self, cid: ClientId) -> Vec<String> {
        let mut silent = self.silent_inits.contains(&cid);
        let mut lines = Vec::new();
        let waiters = self.init_waiters.iter().map(|(c, _, l)| (c, l));
        let unsent = self
            .queue
            .iter()
            .chain(self.waiting.iter())
            .map(|(c, l)| (c, l));
        for (_, line) in waiters.chain(unsent).filter(|(c, _)| **c == cid) {
            if silent && is_initialize(line) {
                // The replay: the first `initialize` of a moved-in client.
                silent = false;
                continue;
            }
            lines.push(line.clone());
        }
        if let Some(c) = self.clients.get(&cid) {
            lines.extend(c.held.iter().cloned());
        }
        lines
    }

    /// A client said its roots changed. Alone, the instance takes them and the server is told;
    /// with others, unless they are the same as before, it moves.
    fn roots_changed(&mut self, cid: ClientId, roots: String, out: &mut Vec<Out>) {
        if let Some(c) = self.clients.get_mut(&cid) {
            c.roots = RootsState::Known(roots.clone());
        }
        let alone = self.clients.len() == 1;
        if self.roots.as_ref() == Some(&roots) {
            return self.release(cid, out);
        }
        if !alone && self.roots.is_some() {
            return self.move_for_roots(cid, roots, out);
        }
        if self.roots.is_some() && self.phase == Phase::Up {
            out.push(Out::ToServer(notification(
                "notifications/roots/list_changed",
                Value::Null,
            )));
        }
        self.bind_roots(roots, out);
        self.release(cid, out);
        // Others that waited for the instance's roots are compared now (found by fuzzing).
        self.resolve_roots(out);
    }

    /// A moved client's `initialize`, already answered by its first instance: done here without
    /// an answer to it (and with `notifications/initialized` sent for it when the process needs
    /// one). Its roots, known, are compared like any client's.
    pub fn replay_initialize(&mut self, cid: ClientId, line: &str) -> Vec<Out> {
        let mut out = Vec::new();
        let Some(c) = self.clients.get_mut(&cid) else {
            return out;
        };
        c.init_line = Some(line.to_string());
        let known = matches!(c.roots, RootsState::Known(_));
        if self.init_cache.is_some() {
            self.mark_initialized(cid);
        } else {
            let id = Value::from(format!("mcpd-i-{cid}"));
            self.silent_inits.push(cid);
            match &self.phase {
                Phase::Up => self.initialize(cid, id, line, &mut out),
                // Replayed when the process is back (from the queue).
                _ => self.queue.push_back((cid, line.to_string())),
            }
            self.mark_initialized(cid);
        }
        if known && !self.ignore_roots {
            if let Some(c) = self.clients.get_mut(&cid) {
                c.awaiting = true;
            }
            if self.roots.is_none()
                && let Some(d) = self.definer().filter(|d| *d != cid)
            {
                self.ask_roots(d, false, false, &mut out);
            }
            self.resolve_roots(&mut out);
        }
        out
    }
}

/// Whether a client line is an `initialize` request.
fn is_initialize(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .is_ok_and(|v| v.get("method").and_then(|m| m.as_str()) == Some("initialize"))
}
