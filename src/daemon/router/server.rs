//! The server side of the router: responses, requests and notifications from the server process.

use serde_json::{Map, Value, json};

use super::wire::*;
use super::*;

/// The client capability a server-to-client request needs.
fn capability_for(method: &str) -> Option<&'static str> {
    match method {
        "sampling/createMessage" => Some("sampling"),
        "elicitation/create" => Some("elicitation"),
        "roots/list" => Some("roots"),
        _ => None,
    }
}

/// The answer to a server's `roots/list` from an instance's roots (canonical JSON).
pub(super) fn roots_result(id: &Value, roots: &str) -> String {
    let roots = serde_json::from_str::<Value>(roots)
        .ok()
        .filter(Value::is_array)
        .unwrap_or_else(|| json!([]));
    result_line(id, json!({ "roots": roots }))
}

impl Router {
    pub(super) fn server_message(
        &mut self,
        obj: Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let method = obj.get("method").and_then(Value::as_str).map(str::to_owned);
        match (method, obj.get("id").cloned()) {
            (Some(method), Some(id)) => self.server_request(id, &method, raw, out),
            (Some(method), None) => self.server_notification(&method, &obj, raw, out),
            (None, Some(id)) => self.server_response(&id, &obj, raw, out),
            (None, None) => {}
        }
    }

    fn server_response(
        &mut self,
        id: &Value,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let Some(pending) = id.as_u64().and_then(|up| self.pending.remove(&up)) else {
            return;
        };
        let result = obj.get("result");
        match pending {
            Pending::Client {
                cid,
                id,
                token,
                call,
            } => {
                self.by_client_id.remove(&(cid, id.to_string()));
                if let Some(t) = token {
                    self.progress.remove(&t);
                }
                let line = match (call, result) {
                    // Refused upstream: this client is not subscribed after all.
                    (Call::Subscribe(uri), None) => {
                        self.forget_subscriber(&uri, cid);
                        with_id(raw, &id)
                    }
                    (Call::CreatesTask, Some(r)) => {
                        let task = r.get("task").and_then(|t| t.get("taskId"));
                        if let Some(t) = task.and_then(Value::as_str) {
                            self.tasks.insert(t.to_string(), cid);
                        }
                        with_id(raw, &id)
                    }
                    (Call::TasksList, Some(r)) => self.own_tasks(cid, &id, r, raw),
                    (Call::Discover(version), Some(_)) => {
                        self.discover_cache.insert(version, raw.to_string());
                        with_id(raw, &id)
                    }
                    (Call::List(method), Some(r)) => {
                        self.lists
                            .insert(method, super::super::contract::canonical(r));
                        with_id(raw, &id)
                    }
                    _ => with_id(raw, &id),
                };
                out.push(Out::ToClient(cid, line));
                self.drain_waiting(out);
            }
            Pending::Initialize => {
                let request = self.init_request.take();
                let due = std::mem::take(&mut self.initialized_due)
                    || self
                        .init_waiters
                        .iter()
                        .any(|(c, _, _)| self.silent_inits.contains(c));
                if let (Some(request), Some(_)) = (request, result) {
                    self.init_cache = Some(InitCache {
                        request,
                        response: raw.to_string(),
                    });
                }
                for (cid, wid, _) in std::mem::take(&mut self.init_waiters) {
                    if result.is_some() {
                        self.mark_initialized(cid);
                    }
                    if self.silent_inits.contains(&cid) {
                        // A moved client: it already had its answer, from its first instance.
                        self.silent_inits.retain(|c| *c != cid);
                        continue;
                    }
                    out.push(Out::ToClient(cid, with_id(raw, &wid)));
                }
                // A moved client already sent `initialized` (to its first instance), or one came
                // early: the server hears it now, after the result.
                if due && result.is_some() && !self.initialized_sent {
                    self.initialized_sent = true;
                    out.push(Out::ToServer(notification(
                        "notifications/initialized",
                        Value::Null,
                    )));
                }
                // Held clients waited for it to end (see `resolve_roots`): with a result, until the
                // server has read it (the settle ping); refused, at once (found by fuzzing).
                if result.is_some() {
                    self.settle(out);
                } else {
                    self.resolve_roots(out);
                }
            }
            Pending::Handshake => self.handshake_done(result.is_some(), raw, out),
            Pending::Swallow => {}
            Pending::Compare(method) => {
                let Some(r) = result else { return };
                let now = super::super::contract::canonical(r);
                if self.lists.get(&method).is_some_and(|before| *before != now) {
                    let kind = match method.as_str() {
                        "tools/list" => "tools",
                        "prompts/list" => "prompts",
                        _ => "resources",
                    };
                    let line =
                        notification(&format!("notifications/{kind}/list_changed"), Value::Null);
                    for (cid, _) in self.clients.iter().filter(|(_, c)| c.initialized) {
                        out.push(Out::ToClient(*cid, line.clone()));
                    }
                }
                self.lists.insert(method, now);
            }
            Pending::Settle => {
                if self.settling == id.as_u64() {
                    self.settling = None;
                    self.resolve_roots(out);
                }
            }
        }
    }

    /// A `tasks/list` result with only the client's own tasks. The one response re-emitted rather
    /// than relayed: the others' tasks must not show.
    fn own_tasks(&self, cid: ClientId, id: &Value, result: &Value, raw: &str) -> String {
        let Some(tasks) = result.get("tasks").and_then(Value::as_array) else {
            return with_id(raw, id);
        };
        let mine: Vec<Value> = tasks
            .iter()
            .filter(|t| {
                let tid = t.get("taskId").and_then(Value::as_str).unwrap_or("");
                self.tasks.get(tid) == Some(&cid)
            })
            .cloned()
            .collect();
        let text = Value::Array(mine).to_string();
        let line = splice(raw, &["result", "tasks"], &text).unwrap_or_else(|| raw.to_string());
        with_id(&line, id)
    }

    /// The replayed handshake finished: announce `initialized`, restore subscriptions and the log
    /// level, flush.
    pub(super) fn handshake_done(&mut self, ok: bool, raw: &str, out: &mut Vec<Out>) {
        self.phase = Phase::Up;
        if !ok {
            // The new process refused the old parameters: fail what waited and let the next
            // client initialize afresh.
            self.init_cache = None;
            for (cid, line) in std::mem::take(&mut self.queue) {
                if let Some(id) = request_id_of(&line) {
                    out.push(error_to(
                        cid,
                        &id,
                        INTERNAL_ERROR,
                        "server re-initialization failed",
                    ));
                }
            }
            return;
        }
        if let Some(cache) = &mut self.init_cache {
            cache.response = raw.to_string();
        }
        self.initialized_sent = true;
        out.push(Out::ToServer(notification(
            "notifications/initialized",
            Value::Null,
        )));
        let uris: Vec<String> = self.subscriptions.keys().cloned().collect();
        for uri in uris {
            self.own_request("resources/subscribe", json!({ "uri": uri }), out);
        }
        self.sync_level(out);
        // Lists clients saw from the old process: they hear `list_changed` if the new one differs.
        let methods: Vec<String> = self.lists.keys().cloned().collect();
        for method in methods {
            let up = self.next_upstream();
            self.pending.insert(up, Pending::Compare(method.clone()));
            let line = json!({"jsonrpc": "2.0", "id": up, "method": method});
            out.push(Out::ToServer(line.to_string()));
        }
        self.settle(out);
        let queued = std::mem::take(&mut self.queue);
        self.feed(queued, out);
    }

    /// A server-to-client request goes to the client whose call is in flight (unique when it
    /// matters, see the module doc), or to the only client; never to one that did not declare the
    /// capability it needs.
    fn server_request(&mut self, id: Value, method: &str, raw: &str, out: &mut Vec<Out>) {
        if method == "ping" {
            out.push(Out::ToServer(result_line(&id, json!({}))));
            return;
        }
        let mut calling: Vec<ClientId> = self
            .pending
            .values()
            .filter_map(|p| match p {
                Pending::Client { cid, .. } => Some(*cid),
                _ => None,
            })
            .collect();
        calling.sort_unstable();
        calling.dedup();
        let eligible: Vec<ClientId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.initialized)
            .map(|(cid, _)| *cid)
            .collect();
        let mut target = match calling.as_slice() {
            [one] => Some(*one),
            // No call in flight (a server asking right after the handshake): its only client.
            [] if eligible.len() == 1 => Some(eligible[0]),
            // Several calls (nobody declared a capability that serializes them): the latest.
            [_, ..] => self
                .clients
                .iter()
                .filter(|(cid, _)| calling.contains(cid))
                .max_by_key(|(cid, c)| (c.last_active, **cid))
                .map(|(cid, _)| *cid),
            [] => None,
        };
        // Roots are the same for every client here: no one needs to be asked on the server's behalf
        // (and until the first client's are known, the server waits for them).
        let roots_clients = self
            .clients
            .values()
            .any(|c| c.contract.as_ref().is_some_and(|k| k.roots));
        // With no initialized client, nobody can answer (nor become the definer): the error
        // below, not a wait that no one ends (found by fuzzing).
        if method == "roots/list" && !self.ignore_roots && roots_clients && !eligible.is_empty() {
            if let Some(roots) = &self.roots {
                out.push(Out::ToServer(roots_result(&id, roots)));
                self.settle(out);
                return;
            }
            // Being asked by mcpd already: its answer will do for the server too.
            let asked = |c: ClientId| {
                self.clients
                    .get(&c)
                    .is_some_and(|k| matches!(k.roots, RootsState::Asking { .. }))
            };
            if target.is_some_and(asked) {
                self.roots_waiting.push(id);
                return;
            }
            if target.is_none() || (calling.is_empty() && eligible.len() != 1) {
                // Asked on behalf of nobody in particular: the definer's roots are the instance's.
                match self.definer() {
                    Some(d)
                        if self
                            .clients
                            .get(&d)
                            .is_some_and(|c| c.roots == RootsState::Unknown) =>
                    {
                        target = Some(d);
                    }
                    _ => {
                        self.roots_waiting.push(id);
                        return;
                    }
                }
            }
        }
        let Some(cid) = target else {
            let msg = if eligible.is_empty() {
                "no client connected"
            } else {
                "no client call in flight to ask on behalf of"
            };
            out.push(Out::ToServer(error_line(&id, INTERNAL_ERROR, msg)));
            return;
        };
        if let Some(cap) = capability_for(method)
            && !self.declares(cid, cap)
        {
            // What a direct client without the capability answers.
            out.push(Out::ToServer(error_line(
                &id,
                METHOD_NOT_FOUND,
                "Method not found",
            )));
            return;
        }
        self.last_server_request += 1;
        let rid = format!("mcpd-s-{}", self.last_server_request);
        // Its answer will show its roots: mcpd need not ask it.
        if method == "roots/list"
            && let Some(c) = self.clients.get_mut(&cid)
            && c.roots == RootsState::Unknown
        {
            c.roots = RootsState::Asking {
                rid: rid.clone(),
                changed: false,
            };
        }
        self.server_requests.insert(
            rid.clone(),
            ServerRequest {
                cid,
                id,
                roots: method == "roots/list",
            },
        );
        out.push(Out::ToClient(cid, with_id(raw, &Value::from(rid))));
    }

    fn server_notification(
        &mut self,
        method: &str,
        obj: &Map<String, Value>,
        raw: &str,
        out: &mut Vec<Out>,
    ) {
        let params = obj.get("params");
        match method {
            "notifications/progress" => {
                let Some(token) = params.and_then(|p| p.get("progressToken")) else {
                    return;
                };
                let Some((cid, original)) = token.as_str().and_then(|t| self.progress.get(t))
                else {
                    return;
                };
                let path = ["params", "progressToken"];
                if let Some(line) = splice(raw, &path, &original.to_string()) {
                    out.push(Out::ToClient(*cid, line));
                }
            }
            "notifications/cancelled" => {
                let Some(rid) = params.and_then(|p| p.get("requestId")) else {
                    return;
                };
                let Some(sr) = self.server_requests.iter().find(|(_, sr)| sr.id == *rid) else {
                    return;
                };
                let (rid, cid) = (sr.0.clone(), sr.1.cid);
                self.server_requests.remove(&rid);
                let path = ["params", "requestId"];
                if let Some(line) = splice(raw, &path, &Value::from(rid.clone()).to_string()) {
                    out.push(Out::ToClient(cid, line));
                }
                self.roots_question_dropped(cid, &rid, out);
            }
            "notifications/resources/updated" => {
                let subs = param_str(obj, "uri").and_then(|uri| self.subscriptions.get(&uri));
                for cid in subs.into_iter().flatten() {
                    out.push(Out::ToClient(*cid, raw.to_string()));
                }
            }
            "notifications/tasks/status" => {
                let task = param_str(obj, "taskId").unwrap_or_default();
                if let Some(cid) = self.tasks.get(&task) {
                    out.push(Out::ToClient(*cid, raw.to_string()));
                }
            }
            "notifications/message" => {
                let rank = param_str(obj, "level").and_then(|l| level_rank(&l));
                for (cid, c) in self.clients.iter().filter(|(_, c)| c.initialized) {
                    let wanted = match (c.log_level, rank) {
                        (Some(min), Some(r)) => r >= min,
                        _ => true,
                    };
                    if wanted {
                        out.push(Out::ToClient(*cid, raw.to_string()));
                    }
                }
            }
            _ => {
                for (cid, _) in self.clients.iter().filter(|(_, c)| c.initialized) {
                    out.push(Out::ToClient(*cid, raw.to_string()));
                }
            }
        }
    }
}
