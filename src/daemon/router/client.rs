//! The client side of the router: requests, notifications and responses from bridges.

use serde_json::{Map, Value, json};

use super::wire::*;
use super::*;
use crate::daemon::contract::Contract;

impl Router {
    pub(super) fn client_message(
        &mut self,
        cid: ClientId,
        obj: Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let awaiting = self.clients.get(&cid).is_some_and(|c| c.awaiting);
        if awaiting && !obj.contains_key("result") && !obj.contains_key("error") {
            // Its roots decide where it belongs: nothing of it goes anywhere before.
            if let Some(c) = self.clients.get_mut(&cid) {
                if has_room(c.held.iter(), raw) {
                    c.held.push(raw.to_string());
                } else if let Some(id) = request_id_of(raw) {
                    let msg = "too many messages are waiting for this client's roots";
                    out.push(error_to(cid, &id, INTERNAL_ERROR, msg));
                }
            }
            return;
        }
        match classify(&obj) {
            Err(id) => out.push(error_to(cid, &id, INVALID_REQUEST, "Invalid Request")),
            Ok(Kind::Request(id, method)) => self.client_request(cid, id, &method, &obj, raw, out),
            Ok(Kind::Notification(method)) => {
                self.client_notification(cid, &method, &obj, raw, out)
            }
            Ok(Kind::Response) => self.client_response(cid, &obj, raw, out),
        }
    }

    fn client_request(
        &mut self,
        cid: ClientId,
        id: Value,
        method: &str,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        if method == "initialize" {
            // Another version or other capabilities than it joined with: not this instance's.
            let joined = self.clients.get(&cid).and_then(|c| c.contract.clone());
            if joined.is_some_and(|c| !c.same_handshake(&Contract::of_first_line(raw))) {
                self.fail_in_flight(cid, out);
                let mut lines = self.unsent_lines(cid);
                lines.push(raw.to_string());
                out.extend(self.client_left(cid));
                let moved = Moved {
                    lines,
                    ..Moved::default()
                };
                out.push(Out::Move(cid, moved));
                return;
            }
            if let Some(c) = self.clients.get_mut(&cid) {
                c.init_line = Some(raw.to_string());
            }
            if let Some(cache) = &self.init_cache {
                // Same contract, same answer: the handshake result does not depend on the process.
                let silent = self.silent_inits.contains(&cid);
                if silent {
                    self.silent_inits.retain(|c| *c != cid);
                } else {
                    out.push(Out::ToClient(cid, with_id(&cache.response, &id)));
                }
                self.mark_initialized(cid);
                return;
            }
        }
        if method == "server/discover"
            && let Some(cached) = self.discover_cache.get(&discover_version(obj))
        {
            out.push(Out::ToClient(cid, with_id(cached, &id)));
            return;
        }
        match &self.phase {
            Phase::Down { why, hold: false } => {
                out.push(error_to(cid, &id, INTERNAL_ERROR, &why.clone()));
                return;
            }
            Phase::Down { .. } | Phase::Reinit => {
                if !has_room(self.queue.iter().map(|(_, l)| l), raw) {
                    let msg = "the server is not ready and too many requests are waiting for it";
                    out.push(error_to(cid, &id, INTERNAL_ERROR, msg));
                } else {
                    self.queue.push_back((cid, raw.to_string()));
                }
                return;
            }
            Phase::Up => {}
        }
        if method == "initialize" {
            return self.initialize(cid, id, raw, out);
        }
        // Calls of different clients must not overlap when a server request needs a unique owner.
        let behind_others =
            self.draining != Some(cid) && self.waiting.iter().any(|(c, _)| *c != cid);
        if self.exclusive() && (self.busy_with_other(cid) || behind_others) {
            if !has_room(self.waiting.iter().map(|(_, l)| l), raw) {
                let msg = "too many requests are waiting for other clients' calls to finish";
                out.push(error_to(cid, &id, INTERNAL_ERROR, msg));
            } else {
                self.waiting.push_back((cid, raw.to_string()));
            }
            return;
        }
        match method {
            "resources/subscribe" => self.subscribe(cid, id, obj, raw, out),
            "resources/unsubscribe" => self.unsubscribe(cid, id, obj, raw, out),
            "logging/setLevel" => self.set_level(cid, id, obj, raw, out),
            "tasks/list" => self.forward_request(cid, id, raw, Call::TasksList, out),
            "server/discover" => {
                let call = Call::Discover(discover_version(obj));
                self.forward_request(cid, id, raw, call, out)
            }
            "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list"
                if obj.get("params").and_then(|p| p.get("cursor")).is_none() =>
            {
                let call = Call::List(method.to_string());
                self.forward_request(cid, id, raw, call, out)
            }
            "tasks/get" | "tasks/result" | "tasks/cancel" => {
                let task = param_str(obj, "taskId").unwrap_or_default();
                if self.tasks.get(&task).is_some_and(|owner| *owner != cid) {
                    // Another client's task does not exist for this one.
                    let msg = format!("Invalid params: unknown task {task:?}");
                    out.push(error_to(cid, &id, INVALID_PARAMS, &msg));
                } else {
                    self.forward_request(cid, id, raw, Call::Plain, out)
                }
            }
            _ => {
                let task = obj.get("params").and_then(|p| p.get("task")).is_some();
                let call = if task { Call::CreatesTask } else { Call::Plain };
                self.forward_request(cid, id, raw, call, out)
            }
        }
    }

    /// True when some client declared a capability the server may ask for while serving a call.
    pub(super) fn exclusive(&self) -> bool {
        self.clients.values().any(|c| {
            c.contract.as_ref().is_some_and(|k| {
                ["sampling", "elicitation", "roots"]
                    .iter()
                    .any(|cap| k.declares(cap))
            })
        })
    }

    /// True when another client than `cid` has a call in flight.
    pub(super) fn busy_with_other(&self, cid: ClientId) -> bool {
        self.pending
            .values()
            .any(|p| matches!(p, Pending::Client { cid: c, .. } if *c != cid))
    }

    /// Forward held requests whose turn has come: the oldest waiting client goes first, with all
    /// its waiting requests.
    pub(super) fn drain_waiting(&mut self, out: &mut Vec<Out>) {
        if self.phase != Phase::Up {
            return;
        }
        while let Some((cid, _)) = self.waiting.front() {
            let cid = *cid;
            if self.exclusive() && self.busy_with_other(cid) {
                return;
            }
            let mine: Vec<String> = self
                .waiting
                .iter()
                .filter(|(c, _)| *c == cid)
                .map(|(_, l)| l.clone())
                .collect();
            self.waiting.retain(|(c, _)| *c != cid);
            self.draining = Some(cid);
            self.feed(mine.into_iter().map(|l| (cid, l)), out);
            self.draining = None;
        }
    }

    /// Forward the first initialize; later ones wait for its answer.
    pub(super) fn initialize(&mut self, cid: ClientId, id: Value, raw: &str, out: &mut Vec<Out>) {
        let in_flight = self
            .pending
            .values()
            .any(|p| matches!(p, Pending::Initialize));
        self.init_waiters.push((cid, id, raw.to_string()));
        if in_flight {
            return;
        }
        let up = self.next_upstream();
        self.init_request = Some(raw.to_string());
        self.pending.insert(up, Pending::Initialize);
        out.push(Out::ToServer(with_id(raw, &Value::from(up))));
    }

    /// Forward a subscribe only for the uri's first subscriber; the server needs to hear it once.
    fn subscribe(
        &mut self,
        cid: ClientId,
        id: Value,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let Some(uri) = param_str(obj, "uri") else {
            return self.forward_request(cid, id, raw, Call::Plain, out);
        };
        let subs = self.subscriptions.entry(uri.clone()).or_default();
        let first = subs.is_empty();
        subs.insert(cid);
        if first {
            self.forward_request(cid, id, raw, Call::Subscribe(uri), out);
        } else {
            out.push(Out::ToClient(cid, result_line(&id, json!({}))));
        }
    }

    /// Forward an unsubscribe only when the last subscriber goes.
    fn unsubscribe(
        &mut self,
        cid: ClientId,
        id: Value,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let Some(uri) = param_str(obj, "uri") else {
            return self.forward_request(cid, id, raw, Call::Plain, out);
        };
        let Some(subs) = self.subscriptions.get_mut(&uri) else {
            // Unknown here: let the server give its own answer.
            return self.forward_request(cid, id, raw, Call::Plain, out);
        };
        subs.remove(&cid);
        if subs.is_empty() {
            self.subscriptions.remove(&uri);
            self.forward_request(cid, id, raw, Call::Plain, out);
        } else {
            out.push(Out::ToClient(cid, result_line(&id, json!({}))));
        }
    }

    /// A client's own level is remembered (its messages are filtered by it); the server hears the
    /// most verbose level of all clients, and this client gets the server's answer.
    fn set_level(
        &mut self,
        cid: ClientId,
        id: Value,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let Some(rank) = param_str(obj, "level").and_then(|l| level_rank(&l)) else {
            // Let the server judge a bad level, as it would for a direct client.
            return self.forward_request(cid, id, raw, Call::Plain, out);
        };
        if let Some(c) = self.clients.get_mut(&cid) {
            c.log_level = Some(rank);
        }
        let wanted = self.wanted_level().unwrap_or(rank);
        self.upstream_level = Some(wanted);
        let level = Value::from(LOG_LEVELS[wanted]).to_string();
        let line = splice(raw, &["params", "level"], &level).unwrap_or_else(|| raw.to_string());
        self.forward_request(cid, id, &line, Call::Plain, out);
    }

    /// The most verbose level any client asked for.
    pub(super) fn wanted_level(&self) -> Option<usize> {
        self.clients.values().filter_map(|c| c.log_level).min()
    }

    /// After a client left: if the most verbose level it asked for is no longer wanted, tell the
    /// server the new one (the answer is swallowed).
    pub(super) fn sync_level(&mut self, out: &mut Vec<Out>) {
        let wanted = self.wanted_level();
        if self.phase != Phase::Up || wanted.is_none() || wanted == self.upstream_level {
            return;
        }
        self.upstream_level = wanted;
        let level = LOG_LEVELS[wanted.unwrap_or(0)];
        self.own_request("logging/setLevel", json!({ "level": level }), out);
    }

    /// Send a client request upstream under a fresh id (and a fresh progress token).
    fn forward_request(
        &mut self,
        cid: ClientId,
        id: Value,
        raw: &str,
        call: Call,
        out: &mut Vec<Out>,
    ) {
        let up = self.next_upstream();
        let mut line = with_id(raw, &Value::from(up));
        let path = ["params", "_meta", "progressToken"];
        let token =
            match span(&line, &path).and_then(|r| serde_json::from_str::<Value>(&line[r]).ok()) {
                Some(original) => {
                    self.last_token += 1;
                    let token = format!("mcpd-p-{}", self.last_token);
                    line = splice(&line, &path, &Value::from(token.clone()).to_string())
                        .unwrap_or(line);
                    self.progress.insert(token.clone(), (cid, original));
                    Some(token)
                }
                None => None,
            };
        self.by_client_id.insert((cid, id.to_string()), up);
        self.pending.insert(
            up,
            Pending::Client {
                cid,
                id,
                token,
                call,
            },
        );
        out.push(Out::ToServer(line));
    }

    fn client_notification(
        &mut self,
        cid: ClientId,
        method: &str,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        if method == "notifications/initialized" {
            self.mark_initialized(cid);
            self.roots_on_initialized(cid, out);
            // One per process; after a restart the router sends its own. Never before the
            // initialize result (a moved client's comes with its replayed handshake).
            let in_flight = self
                .pending
                .values()
                .any(|p| matches!(p, Pending::Initialize));
            if in_flight {
                self.initialized_due = true;
            } else if self.phase == Phase::Up && !self.initialized_sent {
                self.initialized_sent = true;
                out.push(Out::ToServer(raw.to_string()));
            }
            return;
        }
        match &self.phase {
            Phase::Down { hold: false, .. } => {}
            // Queued with the requests so that a cancel still follows the request it names.
            Phase::Down { .. } | Phase::Reinit => {
                // A notification over the cap has nobody to answer; the log says it was lost.
                if has_room(self.queue.iter().map(|(_, l)| l), raw) {
                    self.queue.push_back((cid, raw.to_string()))
                } else {
                    tracing::warn!(
                        "client {cid}: a {method} was dropped: too many messages wait for the server"
                    );
                }
            }
            Phase::Up if method == "notifications/cancelled" => {
                self.client_cancel(cid, obj, raw, out)
            }
            // The instance's roots are its clients' roots: see what changed before telling.
            Phase::Up
                if method == "notifications/roots/list_changed" && self.declares(cid, "roots") =>
            {
                self.ask_roots(cid, true, true, out)
            }
            Phase::Up => out.push(Out::ToServer(raw.to_string())),
        }
    }

    /// Map a client's cancel to the upstream id; a cancel of a held request removes it; a cancel
    /// for nothing we know is dropped.
    fn client_cancel(
        &mut self,
        cid: ClientId,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let Some(rid) = obj.get("params").and_then(|p| p.get("requestId")) else {
            return;
        };
        let Some(up) = self.by_client_id.remove(&(cid, rid.to_string())) else {
            self.waiting
                .retain(|(c, l)| !(*c == cid && request_id_of(l).as_ref() == Some(rid)));
            return;
        };
        // A cancelled request gets no response, so forget it now rather than leak it.
        if let Some(Pending::Client { token: Some(t), .. }) = self.pending.remove(&up) {
            self.progress.remove(&t);
        }
        if let Some(line) = splice(raw, &["params", "requestId"], &up.to_string()) {
            out.push(Out::ToServer(line));
        }
        self.drain_waiting(out);
    }

    /// A client's answer to a server request routed to it; anything else is dropped.
    fn client_response(
        &mut self,
        cid: ClientId,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let Some(rid) = obj.get("id").and_then(Value::as_str) else {
            return;
        };
        if rid.starts_with("mcpd-r-") {
            return self.roots_answer(cid, rid, obj, out);
        }
        // Only the client the request went to may answer it.
        if self.server_requests.get(rid).is_none_or(|sr| sr.cid != cid) {
            return;
        }
        let Some(sr) = self.server_requests.remove(rid) else {
            return;
        };
        out.push(Out::ToServer(with_id(raw, &sr.id)));
        // The server asked this client for its roots: now they are known. A client that cannot
        // list them (an error) is grouped with those that cannot either, as for mcpd's own
        // question; left `Asking`, it would never be asked again (found by fuzzing).
        // Unless mcpd's own question is out to it (asked since, after it said its roots changed):
        // that answer settles them, as a change; taken as seen here, the change would be lost and
        // the client, held for it, held forever (found by fuzzing).
        let own_question_out = self.clients.get(&cid).is_some_and(
            |c| matches!(&c.roots, RootsState::Asking { rid: r, .. } if r.starts_with("mcpd-r-")),
        );
        if sr.roots && !own_question_out {
            let roots = match obj.get("result").and_then(|r| r.get("roots")) {
                Some(r) => super::super::contract::canonical(r),
                None => "null".to_string(),
            };
            self.roots_seen(cid, roots, out);
        }
    }

    pub(super) fn mark_initialized(&mut self, cid: ClientId) {
        if let Some(c) = self.clients.get_mut(&cid) {
            c.initialized = true;
        }
    }

    /// Forget one subscriber; true if the uri has none left (and is forgotten too).
    pub(super) fn forget_subscriber(&mut self, uri: &str, cid: ClientId) -> bool {
        let Some(subs) = self.subscriptions.get_mut(uri) else {
            return false;
        };
        subs.remove(&cid);
        let last = subs.is_empty();
        if last {
            self.subscriptions.remove(uri);
        }
        last
    }

    /// Forget one subscriber; if it was the last, unsubscribe upstream with a swallowed response.
    /// A restarting process has no subscriptions yet (the resubscribe reads the current set).
    pub(super) fn drop_subscriber(&mut self, uri: &str, cid: ClientId, out: &mut Vec<Out>) {
        if self.forget_subscriber(uri, cid) && self.phase == Phase::Up {
            self.own_request("resources/unsubscribe", json!({ "uri": uri }), out);
        }
    }

    /// A request of the router's own, whose response is ignored.
    pub(super) fn own_request(&mut self, method: &str, params: Value, out: &mut Vec<Out>) {
        let up = self.next_upstream();
        self.pending.insert(up, Pending::Swallow);
        let line = json!({"jsonrpc": "2.0", "id": up, "method": method, "params": params});
        out.push(Out::ToServer(line.to_string()));
    }

    /// Whether the client declared `cap` (a client joined without a contract declares all).
    pub(super) fn declares(&self, cid: ClientId, cap: &str) -> bool {
        self.clients
            .get(&cid)
            .and_then(|c| c.contract.as_ref())
            .is_none_or(|k| k.declares(cap))
    }
}

/// The protocol version a `server/discover` proposes (in its `_meta`; empty when none).
fn discover_version(obj: &Map<String, Value>) -> String {
    obj.get("params")
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(crate::daemon::contract::META_PROTOCOL_VERSION))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
