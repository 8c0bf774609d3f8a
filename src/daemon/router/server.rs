//! The server side of the router: responses, requests and notifications from the server process.

use serde_json::{Map, Value, json};

use super::wire::*;
use super::*;

impl Router {
    pub(super) fn server_message(
        &mut self,
        obj: Map<String, Value>,
        line: String,
        out: &mut Vec<Out>,
    ) {
        let method = obj.get("method").and_then(Value::as_str).map(str::to_owned);
        match (method, obj.get("id").cloned()) {
            (Some(method), Some(id)) => self.server_request(id, &method, obj, out),
            (Some(method), None) => self.server_notification(&method, obj, line, out),
            (None, Some(id)) => self.server_response(&id, obj, out),
            (None, None) => {}
        }
    }

    pub(super) fn server_response(
        &mut self,
        id: &Value,
        mut obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        let Some(pending) = id.as_u64().and_then(|up| self.pending.remove(&up)) else {
            return;
        };
        let result = obj.get("result").cloned();
        match pending {
            Pending::Client {
                cid,
                id,
                token,
                subscribe,
            } => {
                self.by_client_id.remove(&(cid, id.to_string()));
                if let Some(t) = token {
                    self.progress.remove(&t);
                }
                if let (None, Some(uri)) = (&result, subscribe) {
                    // Refused upstream: this client is not subscribed after all.
                    self.forget_subscriber(&uri, cid);
                }
                obj.insert("id".into(), id);
                out.push(Out::ToClient(cid, Value::Object(obj).to_string()));
            }
            Pending::Initialize => {
                let request = self.init_request.take();
                if let (Some(request), Some(result)) = (request, &result) {
                    self.init_cache = Some(InitCache {
                        request,
                        result: result.clone(),
                    });
                }
                for (cid, wid) in std::mem::take(&mut self.init_waiters) {
                    if result.is_some() {
                        self.mark_initialized(cid);
                    }
                    obj.insert("id".into(), wid);
                    out.push(Out::ToClient(cid, Value::Object(obj.clone()).to_string()));
                }
            }
            Pending::Handshake => self.handshake_done(result, out),
            Pending::Swallow => {}
        }
    }

    /// The replayed handshake finished: announce `initialized`, restore subscriptions, flush.
    pub(super) fn handshake_done(&mut self, result: Option<Value>, out: &mut Vec<Out>) {
        self.phase = Phase::Up;
        let Some(result) = result else {
            // The new process refused the old parameters: fail what waited and let the next
            // client initialize afresh.
            self.init_cache = None;
            for (cid, obj) in std::mem::take(&mut self.queue) {
                if let Some(id) = request_id(&obj) {
                    out.push(error_to(
                        cid,
                        &id,
                        INTERNAL_ERROR,
                        "server re-initialization failed",
                    ));
                }
            }
            return;
        };
        if let Some(cache) = &mut self.init_cache {
            cache.result = result;
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
        for (cid, obj) in std::mem::take(&mut self.queue) {
            if self.clients.contains_key(&cid) {
                self.client_message(cid, obj, out);
            }
        }
    }

    pub(super) fn server_request(
        &mut self,
        id: Value,
        method: &str,
        mut obj: Map<String, Value>,
        out: &mut Vec<Out>,
    ) {
        if method == "ping" {
            out.push(Out::ToServer(result_line(&id, json!({}))));
            return;
        }
        // The most recently active client is the one most likely to have a human behind it.
        let target = self
            .clients
            .iter()
            .filter(|(_, c)| c.initialized)
            .max_by_key(|(cid, c)| (c.last_active, **cid))
            .map(|(cid, _)| *cid);
        let Some(cid) = target else {
            out.push(Out::ToServer(error_line(
                &id,
                INTERNAL_ERROR,
                "no client connected",
            )));
            return;
        };
        self.last_server_request += 1;
        let rid = format!("mcpd-s-{}", self.last_server_request);
        obj.insert("id".into(), rid.clone().into());
        self.server_requests.insert(rid, ServerRequest { cid, id });
        out.push(Out::ToClient(cid, Value::Object(obj).to_string()));
    }

    pub(super) fn server_notification(
        &mut self,
        method: &str,
        mut obj: Map<String, Value>,
        line: String,
        out: &mut Vec<Out>,
    ) {
        match method {
            "notifications/progress" => {
                let Some(slot) = param_mut(&mut obj, "progressToken") else {
                    return;
                };
                let Some((cid, original)) = slot.as_str().and_then(|t| self.progress.get(t)) else {
                    return;
                };
                let cid = *cid;
                *slot = original.clone();
                out.push(Out::ToClient(cid, Value::Object(obj).to_string()));
            }
            "notifications/cancelled" => {
                let Some(slot) = param_mut(&mut obj, "requestId") else {
                    return;
                };
                let Some(sr) = self.server_requests.iter().find(|(_, sr)| sr.id == *slot) else {
                    return;
                };
                let (rid, cid) = (sr.0.clone(), sr.1.cid);
                self.server_requests.remove(&rid);
                *slot = rid.into();
                out.push(Out::ToClient(cid, Value::Object(obj).to_string()));
            }
            "notifications/resources/updated" => {
                let subs = param_str(&obj, "uri").and_then(|uri| self.subscriptions.get(&uri));
                for cid in subs.into_iter().flatten() {
                    out.push(Out::ToClient(*cid, line.clone()));
                }
            }
            _ => {
                for (cid, _) in self.clients.iter().filter(|(_, c)| c.initialized) {
                    out.push(Out::ToClient(*cid, line.clone()));
                }
            }
        }
    }
}
