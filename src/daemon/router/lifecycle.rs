//! The router's lifecycle events: a client leaving, the server process exiting and a new one
//! arriving, and what the supervisor says about a process that is not there.

use serde_json::{Value, json};

use super::wire::*;
use super::*;

impl Router {
    /// A client disconnected: cancel its upstream requests, drop its tokens, tasks and
    /// subscriptions, and fail server requests that were waiting on it.
    pub fn client_left(&mut self, cid: ClientId) -> Vec<Out> {
        let mut out = Vec::new();
        if self.clients.remove(&cid).is_none() {
            return out;
        }
        let ups: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p, Pending::Client { cid: c, .. } if *c == cid))
            .map(|(up, _)| *up)
            .collect();
        for up in ups {
            // Removed, not kept: after a cancel the server should not answer, and a late answer
            // finds an unknown (never reused) id and is dropped.
            self.pending.remove(&up);
            if self.phase == Phase::Up {
                let params = json!({"requestId": up, "reason": "client disconnected"});
                out.push(Out::ToServer(notification(
                    "notifications/cancelled",
                    params,
                )));
            }
        }
        self.by_client_id.retain(|(c, _), _| *c != cid);
        self.progress.retain(|_, (c, _)| *c != cid);
        self.tasks.retain(|_, c| *c != cid);
        // An in-flight initialize stays: other clients may wait for it and the cache is useful.
        self.init_waiters.retain(|(c, _, _)| *c != cid);
        self.silent_inits.retain(|c| *c != cid);
        self.queue.retain(|(c, _)| *c != cid);
        self.waiting.retain(|(c, _)| *c != cid);
        let uris: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|(_, subs)| subs.contains(&cid))
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in uris {
            self.drop_subscriber(&uri, cid, &mut out);
        }
        let rids: Vec<String> = self
            .server_requests
            .iter()
            .filter(|(_, sr)| sr.cid == cid)
            .map(|(rid, _)| rid.clone())
            .collect();
        for rid in rids {
            if let Some(sr) = self.server_requests.remove(&rid) {
                out.push(Out::ToServer(error_line(
                    &sr.id,
                    INTERNAL_ERROR,
                    "client disconnected",
                )));
            }
        }
        // The definer may have changed (its roots known already, or to be asked); the server's
        // `roots/list`s that waited for a question this client was answering: with nobody asked
        // any more, nobody would end that wait (found by fuzzing).
        self.resolve_roots(&mut out);
        self.roots_unheard("client disconnected", &mut out);
        self.sync_level(&mut out);
        self.drain_waiting(&mut out);
        out
    }

    /// The server process exited: every pending client request fails at once, forwarded server
    /// requests are cancelled at their clients, and the router is down until
    /// [`Router::server_up`]. Until the supervisor says what follows ([`Router::server_state`]),
    /// new requests wait.
    pub fn server_down(&mut self, reason: &str) -> Vec<Out> {
        let mut out = Vec::new();
        let msg = format!("server exited: {reason}");
        for (_, pending) in std::mem::take(&mut self.pending) {
            match pending {
                Pending::Client { cid, id, call, .. } => {
                    // The client is told it failed, so it must not stay subscribed.
                    if let Call::Subscribe(uri) = call {
                        self.forget_subscriber(&uri, cid);
                    }
                    if self.clients.contains_key(&cid) {
                        out.push(error_to(cid, &id, INTERNAL_ERROR, &msg));
                    }
                }
                Pending::Initialize => {
                    for (cid, id, _) in std::mem::take(&mut self.init_waiters) {
                        out.push(error_to(cid, &id, INTERNAL_ERROR, &msg));
                    }
                }
                Pending::Handshake | Pending::Swallow | Pending::Settle | Pending::Compare(_) => {}
            }
        }
        // Queued requests were waiting for a process that is gone.
        let held: Vec<(ClientId, String)> = std::mem::take(&mut self.queue)
            .into_iter()
            .chain(std::mem::take(&mut self.waiting))
            .collect();
        for (cid, line) in held {
            if let Some(id) = request_id_of(&line) {
                out.push(error_to(cid, &id, INTERNAL_ERROR, &msg));
            }
        }
        let mut dropped = Vec::new();
        for (rid, sr) in std::mem::take(&mut self.server_requests) {
            let params = json!({"requestId": rid, "reason": "server exited"});
            let line = notification("notifications/cancelled", params);
            out.push(Out::ToClient(sr.cid, line));
            dropped.push((sr.cid, rid));
        }
        self.by_client_id.clear();
        self.progress.clear();
        // Tasks lived in the dead process; the next one is asked what it is (it may be newer).
        self.tasks.clear();
        self.discover_cache.clear();
        self.roots_waiting.clear();
        self.settling = None;
        self.upstream_level = None;
        self.init_request = None;
        self.init_waiters.clear();
        self.initialized_sent = false;
        self.initialized_due = false;
        // The supervisor may have told the state before the process's output ended; if not,
        // requests wait for its word (it always tells what follows an exit).
        let (why, hold) = self.next_down.take().unwrap_or((msg, true));
        self.phase = Phase::Down { why, hold };
        // Down, with nothing waiting upstream: only clients hear of it.
        for (cid, rid) in dropped {
            self.roots_question_dropped(cid, &rid, &mut out);
        }
        // Held clients whose roots are known waited for the server to read its roots or for the
        // `initialize` in flight (see `resolve_roots`): both ended with the process, so they are
        // compared now; a client let through has its lines queued or failed like any (found by
        // fuzzing).
        self.resolve_roots(&mut out);
        out
    }

    /// What the supervisor says about a missing process: `why` is the state in words; with
    /// `hold`, a process is coming and requests wait for it (bounded) instead of failing. Without
    /// `hold`, anything already waiting fails with `why`. Told while the process's output has not
    /// ended yet, it applies when it does.
    pub fn server_state(&mut self, why: &str, hold: bool) -> Vec<Out> {
        let mut out = Vec::new();
        if !matches!(self.phase, Phase::Down { .. }) {
            self.next_down = Some((why.to_string(), hold));
            return out;
        }
        self.phase = Phase::Down {
            why: why.to_string(),
            hold,
        };
        if !hold {
            for (cid, line) in std::mem::take(&mut self.queue) {
                if let Some(id) = request_id_of(&line) {
                    out.push(error_to(cid, &id, INTERNAL_ERROR, why));
                }
            }
        }
        out
    }

    /// True while requests are held for a process that has not come yet (the shell asks the
    /// supervisor to start one).
    pub fn holding(&self) -> bool {
        matches!(self.phase, Phase::Down { hold: true, .. }) && !self.queue.is_empty()
    }

    /// A new server process is attached. With a cached handshake it is replayed first (client
    /// traffic is queued until it completes); otherwise the router is ready at once and flushes
    /// what was queued. Called while not down, the old process is treated as gone first.
    pub fn server_up(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        if !matches!(self.phase, Phase::Down { .. }) {
            out = self.server_down("server replaced");
        }
        self.initialized_sent = false;
        self.next_down = None;
        let Some(cache) = &self.init_cache else {
            self.phase = Phase::Up;
            let queued = std::mem::take(&mut self.queue);
            self.feed(queued, &mut out);
            return out;
        };
        let request = cache.request.clone();
        let up = self.next_upstream();
        self.pending.insert(up, Pending::Handshake);
        out.push(Out::ToServer(with_id(&request, &Value::from(up))));
        self.phase = Phase::Reinit;
        out
    }
}

impl Router {
    /// A line the shell could not queue for the server (its stdin is full, or closed while it
    /// stops). Whatever waits on it is answered at once with `why` and nothing stays pending: a
    /// client's request gets the error, an `initialize` fails its waiters, a replayed handshake
    /// counts as refused. Notifications and answers to the server's requests have nobody to tell.
    pub fn undeliverable(&mut self, line: &str, why: &str) -> Vec<Out> {
        let mut out = Vec::new();
        let Some(up) = request_id_of(line).and_then(|id| id.as_u64()) else {
            return out;
        };
        match self.pending.remove(&up) {
            Some(Pending::Client {
                cid,
                id,
                token,
                call,
            }) => {
                self.by_client_id.remove(&(cid, id.to_string()));
                if let Some(t) = token {
                    self.progress.remove(&t);
                }
                if let Call::Subscribe(uri) = call {
                    self.forget_subscriber(&uri, cid);
                }
                if self.clients.contains_key(&cid) {
                    out.push(error_to(cid, &id, INTERNAL_ERROR, why));
                }
                self.drain_waiting(&mut out);
            }
            Some(Pending::Initialize) => {
                self.init_request = None;
                self.initialized_due = false;
                for (cid, id, _) in std::mem::take(&mut self.init_waiters) {
                    out.push(error_to(cid, &id, INTERNAL_ERROR, why));
                }
                // Held clients waited for it to end (see `resolve_roots`).
                self.resolve_roots(&mut out);
            }
            Some(Pending::Handshake) => self.handshake_done(false, "", &mut out),
            Some(Pending::Settle) => {
                self.settling = None;
                self.resolve_roots(&mut out);
            }
            Some(Pending::Swallow | Pending::Compare(_)) | None => {}
        }
        out
    }
}
