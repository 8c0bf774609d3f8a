//! The client side of the router: requests, notifications and responses from bridges.

use serde_json::{Map, Value, json};

use super::wire::*;
use super::*;

impl Router {
    pub(super) fn client_message(
        &mut self,
        cid: ClientId,
        obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        match classify(&obj) {
            Err(id) => out.push(error_to(cid, &id, INVALID_REQUEST, "Invalid Request")),
            Ok(Kind::Request(id, method)) => self.client_request(cid, id, &method, obj, out),
            Ok(Kind::Notification(method)) => self.client_notification(cid, &method, obj, out),
            Ok(Kind::Response) => self.client_response(cid, obj, out),
        }
    }

    pub(super) fn client_request(
        &mut self,
        cid: ClientId,
        id: Value,
        method: &str,
        obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        if method == "initialize"
            && let Some(cache) = &self.init_cache
        {
            // Answerable in every phase: the handshake result does not depend on the process.
            out.push(Out::ToClient(cid, result_line(&id, cache.result.clone())));
            self.mark_initialized(cid);
            return;
        }
        match self.phase {
            Phase::Down => out.push(error_to(cid, &id, INTERNAL_ERROR, "server is restarting")),
            Phase::Reinit if self.queue.len() >= QUEUE_CAP => {
                out.push(error_to(
                    cid,
                    &id,
                    INTERNAL_ERROR,
                    "server is restarting and the queue is full",
                ));
            }
            Phase::Reinit => self.queue.push_back((cid, obj)),
            Phase::Up => match method {
                "initialize" => self.initialize(cid, id, obj, out),
                "resources/subscribe" => self.subscribe(cid, id, obj, out),
                "resources/unsubscribe" => self.unsubscribe(cid, id, obj, out),
                _ => self.forward_request(cid, id, obj, None, out),
            },
        }
    }

    /// Forward the first initialize; later ones wait for its answer.
    pub(super) fn initialize(
        &mut self,
        cid: ClientId,
        id: Value,
        mut obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let in_flight = self
            .pending
            .values()
            .any(|p| matches!(p, Pending::Initialize));
        self.init_waiters.push((cid, id));
        if in_flight {
            return;
        }
        let up = self.next_upstream();
        obj.remove("id");
        self.init_request = Some(obj.clone());
        obj.insert("id".into(), up.into());
        self.pending.insert(up, Pending::Initialize);
        out.push(Out::ToServer(Value::Object(obj).to_string()));
    }

    /// Forward a subscribe only for the uri's first subscriber; the server needs to hear it once.
    pub(super) fn subscribe(
        &mut self,
        cid: ClientId,
        id: Value,
        obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let Some(uri) = param_str(&obj, "uri") else {
            return self.forward_request(cid, id, obj, None, out);
        };
        let subs = self.subscriptions.entry(uri.clone()).or_default();
        let first = subs.is_empty();
        subs.insert(cid);
        if first {
            self.forward_request(cid, id, obj, Some(uri), out);
        } else {
            out.push(Out::ToClient(cid, result_line(&id, json!({}))));
        }
    }

    /// Forward an unsubscribe only when the last subscriber goes.
    pub(super) fn unsubscribe(
        &mut self,
        cid: ClientId,
        id: Value,
        obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let Some(uri) = param_str(&obj, "uri") else {
            return self.forward_request(cid, id, obj, None, out);
        };
        let Some(subs) = self.subscriptions.get_mut(&uri) else {
            // Unknown here: let the server give its own answer.
            return self.forward_request(cid, id, obj, None, out);
        };
        subs.remove(&cid);
        if subs.is_empty() {
            self.subscriptions.remove(&uri);
            self.forward_request(cid, id, obj, None, out);
        } else {
            out.push(Out::ToClient(cid, result_line(&id, json!({}))));
        }
    }

    /// Send a client request upstream under a fresh id (and a fresh progress token).
    pub(super) fn forward_request(
        &mut self,
        cid: ClientId,
        id: Value,
        mut obj: Map<String, Value>,
        subscribe: Option<String>,
        out: &mut Vec<Out>,
    ) {
        let up = self.next_upstream();
        let token = match progress_token_mut(&mut obj) {
            Some(slot) => {
                self.last_token += 1;
                let token = format!("mcpd-p-{}", self.last_token);
                let original = std::mem::replace(slot, Value::String(token.clone()));
                self.progress.insert(token.clone(), (cid, original));
                Some(token)
            }
            None => None,
        };
        obj.insert("id".into(), up.into());
        self.by_client_id.insert((cid, id.to_string()), up);
        self.pending.insert(
            up,
            Pending::Client {
                cid,
                id,
                token,
                subscribe,
            },
        );
        out.push(Out::ToServer(Value::Object(obj).to_string()));
    }

    pub(super) fn client_notification(
        &mut self,
        cid: ClientId,
        method: &str,
        obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        if method == "notifications/initialized" {
            self.mark_initialized(cid);
            // One per process; after a restart the router sends its own.
            if self.phase == Phase::Up && !self.initialized_sent {
                self.initialized_sent = true;
                out.push(Out::ToServer(Value::Object(obj).to_string()));
            }
            return;
        }
        match self.phase {
            Phase::Down => {}
            // Queued with the requests so that a cancel still follows the request it names.
            Phase::Reinit if self.queue.len() < QUEUE_CAP => self.queue.push_back((cid, obj)),
            Phase::Reinit => {}
            Phase::Up if method == "notifications/cancelled" => self.client_cancel(cid, obj, out),
            Phase::Up => out.push(Out::ToServer(Value::Object(obj).to_string())),
        }
    }

    /// Map a client's cancel to the upstream id; a cancel for nothing we know is dropped.
    pub(super) fn client_cancel(
        &mut self,
        cid: ClientId,
        mut obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let Some(slot) = param_mut(&mut obj, "requestId") else {
            return;
        };
        let Some(up) = self.by_client_id.remove(&(cid, slot.to_string())) else {
            return;
        };
        *slot = up.into();
        // A cancelled request gets no response, so forget it now rather than leak it.
        if let Some(Pending::Client { token: Some(t), .. }) = self.pending.remove(&up) {
            self.progress.remove(&t);
        }
        out.push(Out::ToServer(Value::Object(obj).to_string()));
    }

    /// A client's answer to a server request routed to it; anything else is dropped.
    pub(super) fn client_response(
        &mut self,
        cid: ClientId,
        mut obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let Some(rid) = obj.get("id").and_then(Value::as_str) else {
            return;
        };
        // Only the client the request went to may answer it.
        if self.server_requests.get(rid).is_none_or(|sr| sr.cid != cid) {
            return;
        }
        let Some(sr) = self.server_requests.remove(rid) else {
            return;
        };
        obj.insert("id".into(), sr.id);
        out.push(Out::ToServer(Value::Object(obj).to_string()));
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
}
