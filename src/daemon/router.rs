//! The pure core of the MCP multiplexer: many clients (agents, each behind a stdio bridge) share one
//! stdio MCP server process. The [`Router`] owns no I/O; the shell feeds it whole lines (no trailing
//! newline) from clients and from the server, plus lifecycle events, and sends the [`Out`] lines it
//! returns, in order.
//!
//! What it does, and why:
//! - `initialize` reaches the server once per process; the result is cached and replayed to later
//!   clients, and only the first `notifications/initialized` is forwarded, because a stdio server
//!   expects exactly one handshake.
//! - Request ids are rewritten to daemon-unique integers and mapped back, because every client
//!   starts counting at 1; cancellations and progress tokens are rewritten the same way.
//! - Server notifications go to every initialized client, `notifications/resources/updated` only
//!   to subscribers; subscriptions are deduplicated upstream.
//! - Server-to-client requests (`roots/list`, `sampling/createMessage`, ...) go to the most recently
//!   active client; `ping` is answered here.
//! - When the server process dies, pending requests fail; when a new one is attached, the cached
//!   handshake is replayed and requests that arrived meanwhile are queued and flushed afterwards.
//!
//! Malformed input gets a JSON-RPC error for the client that sent it and never affects others.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use serde_json::{Map, Value, json};

/// The shell's handle for one connected client.
pub type ClientId = u64;

/// One line for the shell to send (without a trailing newline).
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    /// Write to the server's stdin.
    ToServer(String),
    /// Write to this client.
    ToClient(ClientId, String),
}

/// Client requests held while a restarted server is re-initialized; beyond this they fail.
pub const QUEUE_CAP: usize = 1000;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INTERNAL_ERROR: i64 = -32603;

/// Where the server process is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Ready: client traffic is forwarded.
    #[default]
    Up,
    /// A new process is replaying the cached handshake: client traffic is queued.
    Reinit,
    /// No process: client requests fail at once.
    Down,
}

/// What the router knows about one client.
#[derive(Debug)]
struct Client {
    last_active: Instant,
    /// Got an initialize result or sent `notifications/initialized`: may receive server traffic.
    initialized: bool,
}

/// Why an upstream id is outstanding, i.e. what to do with its response.
#[derive(Debug)]
enum Pending {
    /// A client's request: map the response back to it.
    Client {
        cid: ClientId,
        id: Value,
        /// The daemon progress token, dropped with the request.
        token: Option<String>,
        /// A forwarded `resources/subscribe` for this uri: undone if the server refuses it.
        subscribe: Option<String>,
    },
    /// The one forwarded client `initialize`: answers every waiter and fills the cache.
    Initialize,
    /// The router's own replay of the cached `initialize` after a restart.
    Handshake,
    /// The router's own request (unsubscribe, resubscribe): the response is ignored.
    Swallow,
}

/// The handshake as first done: replayed to a new process and to later clients.
#[derive(Debug)]
struct InitCache {
    /// The first successful `initialize` request, without its id.
    request: Map<String, Value>,
    result: Value,
}

/// A server-to-client request forwarded to one client.
#[derive(Debug)]
struct ServerRequest {
    cid: ClientId,
    /// The server's own id, restored in the client's response.
    id: Value,
}

/// The shape of a JSON-RPC message.
enum Kind {
    Request(Value, String),
    Notification(String),
    Response,
}

/// The multiplexer state machine; see the module doc.
#[derive(Debug, Default)]
pub struct Router {
    phase: Phase,
    clients: BTreeMap<ClientId, Client>,
    /// Upstream id -> what it is for. Ordered so that failure fan-out is deterministic.
    pending: BTreeMap<u64, Pending>,
    /// (client, client id as JSON text) -> upstream id, to map `notifications/cancelled`.
    by_client_id: HashMap<(ClientId, String), u64>,
    /// Daemon progress token -> (client, its original token).
    progress: HashMap<String, (ClientId, Value)>,
    /// Uri -> subscribed clients; a uri is subscribed upstream iff it has an entry.
    subscriptions: BTreeMap<String, BTreeSet<ClientId>>,
    /// Router id ("mcpd-s-<n>") -> the server request it stands for.
    server_requests: BTreeMap<String, ServerRequest>,
    init_cache: Option<InitCache>,
    /// The forwarded initialize request awaiting its result, to be cached.
    init_request: Option<Map<String, Value>>,
    /// Clients (and their ids) waiting for the forwarded initialize.
    init_waiters: Vec<(ClientId, Value)>,
    /// `notifications/initialized` already reached this server process.
    initialized_sent: bool,
    queue: VecDeque<(ClientId, Map<String, Value>)>,
    /// Counters of the last id handed out (so the first is 1); never reset, never reused.
    last_upstream: u64,
    last_token: u64,
    last_server_request: u64,
}

impl Router {
    /// A router whose server is up and not yet initialized.
    pub fn new() -> Router {
        Router::default()
    }

    /// A client connected (its last activity is `now`).
    pub fn client_joined(&mut self, cid: ClientId, now: Instant) {
        self.clients
            .entry(cid)
            .and_modify(|c| c.last_active = now)
            .or_insert(Client {
                last_active: now,
                initialized: false,
            });
    }

    /// One line from a client. An unknown `cid` is joined implicitly (lenient).
    pub fn from_client(&mut self, cid: ClientId, line: &str, now: Instant) -> Vec<Out> {
        self.client_joined(cid, now);
        let mut out = Vec::new();
        match serde_json::from_str::<Value>(line) {
            Err(_) => out.push(error_to(cid, &Value::Null, PARSE_ERROR, "Parse error")),
            Ok(Value::Object(obj)) => self.client_message(cid, obj, &mut out),
            Ok(Value::Array(items)) => batch_errors(cid, &items, &mut out),
            Ok(_) => out.push(error_to(
                cid,
                &Value::Null,
                INVALID_REQUEST,
                "Invalid Request",
            )),
        }
        out
    }

    /// A client line exceeded the shell's size cap and was discarded unread.
    pub fn oversized_from_client(&mut self, cid: ClientId) -> Vec<Out> {
        let msg = "Invalid Request: message exceeds the size limit";
        vec![error_to(cid, &Value::Null, INVALID_REQUEST, msg)]
    }

    /// One line from the server. `now` is accepted for future timeouts and is unused today.
    pub fn from_server(&mut self, line: &str, _now: Instant) -> Vec<Out> {
        let mut out = Vec::new();
        // Lines still buffered from a dead process must not reach the next one or the clients.
        if self.phase == Phase::Down {
            return out;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(obj)) => self.server_message(obj, line.to_owned(), &mut out),
            // Batching is gone from MCP, but taking elements one by one costs nothing.
            Ok(Value::Array(items)) => {
                for item in items {
                    if let Value::Object(obj) = item {
                        let text = Value::Object(obj.clone()).to_string();
                        self.server_message(obj, text, &mut out);
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// A client disconnected: cancel its upstream requests, drop its tokens and subscriptions, and
    /// fail server requests that were waiting on it.
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
            if self.phase != Phase::Down {
                let params = json!({"requestId": up, "reason": "client disconnected"});
                out.push(Out::ToServer(notification(
                    "notifications/cancelled",
                    params,
                )));
            }
        }
        self.by_client_id.retain(|(c, _), _| *c != cid);
        self.progress.retain(|_, (c, _)| *c != cid);
        // An in-flight initialize stays: other clients may wait for it and the cache is useful.
        self.init_waiters.retain(|(c, _)| *c != cid);
        self.queue.retain(|(c, _)| *c != cid);
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
        out
    }

    /// The server process exited: every pending client request fails, forwarded server requests
    /// are cancelled at their clients, and the router is down until [`Router::server_up`].
    pub fn server_down(&mut self, reason: &str) -> Vec<Out> {
        let mut out = Vec::new();
        let msg = format!("server exited: {reason}");
        for (_, pending) in std::mem::take(&mut self.pending) {
            match pending {
                Pending::Client {
                    cid, id, subscribe, ..
                } => {
                    // The client is told it failed, so it must not stay subscribed.
                    if let Some(uri) = subscribe {
                        self.forget_subscriber(&uri, cid);
                    }
                    if self.clients.contains_key(&cid) {
                        out.push(error_to(cid, &id, INTERNAL_ERROR, &msg));
                    }
                }
                Pending::Initialize => {
                    for (cid, id) in std::mem::take(&mut self.init_waiters) {
                        out.push(error_to(cid, &id, INTERNAL_ERROR, &msg));
                    }
                }
                Pending::Handshake | Pending::Swallow => {}
            }
        }
        // Queued requests were waiting for a handshake that will never finish.
        for (cid, obj) in std::mem::take(&mut self.queue) {
            if let Some(id) = request_id(&obj) {
                out.push(error_to(cid, &id, INTERNAL_ERROR, &msg));
            }
        }
        for (rid, sr) in std::mem::take(&mut self.server_requests) {
            let params = json!({"requestId": rid, "reason": "server exited"});
            let line = notification("notifications/cancelled", params);
            out.push(Out::ToClient(sr.cid, line));
        }
        self.by_client_id.clear();
        self.progress.clear();
        self.init_request = None;
        self.init_waiters.clear();
        self.initialized_sent = false;
        self.phase = Phase::Down;
        out
    }

    /// A new server process is attached. With a cached handshake it is replayed first (client
    /// traffic is queued until it completes); otherwise the router is ready at once. Called while
    /// not down, the old process is treated as gone first.
    pub fn server_up(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        if self.phase != Phase::Down {
            out = self.server_down("server replaced");
        }
        self.initialized_sent = false;
        let Some(cache) = &self.init_cache else {
            self.phase = Phase::Up;
            return out;
        };
        let mut request = cache.request.clone();
        let up = self.next_upstream();
        request.insert("id".into(), up.into());
        self.pending.insert(up, Pending::Handshake);
        out.push(Out::ToServer(Value::Object(request).to_string()));
        self.phase = Phase::Reinit;
        out
    }

    /// How many clients are connected.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// The connected clients, ascending.
    pub fn client_ids(&self) -> Vec<ClientId> {
        self.clients.keys().copied().collect()
    }

    /// Upstream requests awaiting a response (including the router's own).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn next_upstream(&mut self) -> u64 {
        self.last_upstream += 1;
        self.last_upstream
    }

    // ---- client side ----

    fn client_message(&mut self, cid: ClientId, obj: Map<String, Value>, out: &mut Vec<Out>) {
        match classify(&obj) {
            Err(id) => out.push(error_to(cid, &id, INVALID_REQUEST, "Invalid Request")),
            Ok(Kind::Request(id, method)) => self.client_request(cid, id, &method, obj, out),
            Ok(Kind::Notification(method)) => self.client_notification(cid, &method, obj, out),
            Ok(Kind::Response) => self.client_response(cid, obj, out),
        }
    }

    fn client_request(
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
    fn initialize(
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
    fn subscribe(&mut self, cid: ClientId, id: Value, obj: Map<String, Value>, out: &mut Vec<Out>) {
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
    fn unsubscribe(
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
    fn forward_request(
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

    fn client_notification(
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
    fn client_cancel(&mut self, cid: ClientId, mut obj: Map<String, Value>, out: &mut Vec<Out>) {
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
    fn client_response(&mut self, cid: ClientId, mut obj: Map<String, Value>, out: &mut Vec<Out>) {
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

    fn mark_initialized(&mut self, cid: ClientId) {
        if let Some(c) = self.clients.get_mut(&cid) {
            c.initialized = true;
        }
    }

    /// Forget one subscriber; true if the uri has none left (and is forgotten too).
    fn forget_subscriber(&mut self, uri: &str, cid: ClientId) -> bool {
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
    fn drop_subscriber(&mut self, uri: &str, cid: ClientId, out: &mut Vec<Out>) {
        if self.forget_subscriber(uri, cid) && self.phase == Phase::Up {
            self.own_request("resources/unsubscribe", json!({ "uri": uri }), out);
        }
    }

    /// A request of the router's own, whose response is ignored.
    fn own_request(&mut self, method: &str, params: Value, out: &mut Vec<Out>) {
        let up = self.next_upstream();
        self.pending.insert(up, Pending::Swallow);
        let line = json!({"jsonrpc": "2.0", "id": up, "method": method, "params": params});
        out.push(Out::ToServer(line.to_string()));
    }

    // ---- server side ----

    fn server_message(&mut self, obj: Map<String, Value>, line: String, out: &mut Vec<Out>) {
        let method = obj.get("method").and_then(Value::as_str).map(str::to_owned);
        match (method, obj.get("id").cloned()) {
            (Some(method), Some(id)) => self.server_request(id, &method, obj, out),
            (Some(method), None) => self.server_notification(&method, obj, line, out),
            (None, Some(id)) => self.server_response(&id, obj, out),
            (None, None) => {}
        }
    }

    fn server_response(&mut self, id: &Value, mut obj: Map<String, Value>, out: &mut Vec<Out>) {
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
    fn handshake_done(&mut self, result: Option<Value>, out: &mut Vec<Out>) {
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

    fn server_request(
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

    fn server_notification(
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

/// Sort a message into request, notification or response; `Err` carries the id to echo.
fn classify(obj: &Map<String, Value>) -> Result<Kind, Value> {
    let id = obj.get("id");
    let echo = match id {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    };
    // Lenient: a missing "jsonrpc" is accepted, a wrong one is not.
    if obj.get("jsonrpc").is_some_and(|v| v != "2.0") {
        return Err(echo);
    }
    match (obj.get("method"), id) {
        (Some(Value::String(method)), None) => Ok(Kind::Notification(method.clone())),
        // MCP ids are strings or numbers, never null.
        (Some(Value::String(method)), Some(_)) if !echo.is_null() => {
            Ok(Kind::Request(echo, method.clone()))
        }
        (None, Some(_)) if obj.contains_key("result") || obj.contains_key("error") => {
            Ok(Kind::Response)
        }
        _ => Err(echo),
    }
}

/// One error per element with an id, else a single error with id null.
fn batch_errors(cid: ClientId, items: &[Value], out: &mut Vec<Out>) {
    let msg = "batch requests are not supported";
    let before = out.len();
    for item in items {
        if let Some(id) = item.get("id").filter(|id| id.is_string() || id.is_number()) {
            out.push(error_to(cid, id, INVALID_REQUEST, msg));
        }
    }
    if out.len() == before {
        out.push(error_to(cid, &Value::Null, INVALID_REQUEST, msg));
    }
}

/// The id of a queued message if it is a request (notifications have none).
fn request_id(obj: &Map<String, Value>) -> Option<Value> {
    obj.get("method").and(obj.get("id")).cloned()
}

/// `params.<key>` as a string.
fn param_str(obj: &Map<String, Value>, key: &str) -> Option<String> {
    let value = obj.get("params")?.get(key)?;
    value.as_str().map(str::to_owned)
}

/// `params.<key>`, to be rewritten in place.
fn param_mut<'a>(obj: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    obj.get_mut("params")?.as_object_mut()?.get_mut(key)
}

/// `params._meta.progressToken`, to be rewritten in place.
fn progress_token_mut(obj: &mut Map<String, Value>) -> Option<&mut Value> {
    param_mut(obj, "_meta")?
        .as_object_mut()?
        .get_mut("progressToken")
}

fn error_line(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

fn error_to(cid: ClientId, id: &Value, code: i64, message: &str) -> Out {
    Out::ToClient(cid, error_line(id, code, message))
}

fn result_line(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

fn notification(method: &str, params: Value) -> String {
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), "2.0".into());
    obj.insert("method".into(), method.into());
    if !params.is_null() {
        obj.insert("params".into(), params);
    }
    Value::Object(obj).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A fixed origin so that "most recently active" is deterministic.
    fn at(base: Instant, secs: u64) -> Instant {
        base + Duration::from_secs(secs)
    }

    fn parse(line: &str) -> Value {
        assert!(!line.contains('\n'), "embedded newline in {line}");
        serde_json::from_str(line).expect("router emitted invalid JSON")
    }

    fn server_lines(out: &[Out]) -> Vec<Value> {
        out.iter()
            .filter_map(|o| match o {
                Out::ToServer(l) => Some(parse(l)),
                Out::ToClient(..) => None,
            })
            .collect()
    }

    fn client_lines(out: &[Out], cid: ClientId) -> Vec<Value> {
        out.iter()
            .filter_map(|o| match o {
                Out::ToClient(c, l) if *c == cid => Some(parse(l)),
                _ => None,
            })
            .collect()
    }

    fn only_server(out: &[Out]) -> Value {
        assert_eq!(out.len(), 1, "{out:?}");
        server_lines(out).remove(0)
    }

    fn only_client(out: &[Out], cid: ClientId) -> Value {
        assert_eq!(out.len(), 1, "{out:?}");
        let mut lines = client_lines(out, cid);
        assert_eq!(lines.len(), 1, "{out:?}");
        lines.remove(0)
    }

    fn req(id: Value, method: &str, params: Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
    }

    fn note(method: &str, params: Value) -> String {
        json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
    }

    fn ok(id: Value, result: Value) -> String {
        json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
    }

    fn init_params() -> Value {
        json!({"protocolVersion": "2025-11-25", "capabilities": {"roots": {}}, "clientInfo": {"name": "a", "version": "1"}})
    }

    fn init_result() -> Value {
        json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {"listChanged": true}}, "serverInfo": {"name": "s", "version": "1"}})
    }

    fn error_code(v: &Value) -> i64 {
        v["error"]["code"].as_i64().expect("an error response")
    }

    /// `n` clients (ids 1..=n, client k last active at second k), all initialized; client 1 did
    /// the upstream handshake with upstream id 1.
    fn setup(n: u64) -> (Router, Instant) {
        let base = Instant::now();
        let mut r = Router::new();
        for cid in 1..=n {
            r.client_joined(cid, at(base, 0));
        }
        let out = r.from_client(1, &req(json!(0), "initialize", init_params()), at(base, 1));
        assert_eq!(only_server(&out)["id"], json!(1));
        let out = r.from_server(&ok(json!(1), init_result()), at(base, 1));
        assert_eq!(only_client(&out, 1)["result"], init_result());
        let out = r.from_client(
            1,
            &note("notifications/initialized", Value::Null),
            at(base, 1),
        );
        assert_eq!(only_server(&out)["method"], "notifications/initialized");
        for cid in 2..=n {
            let out = r.from_client(
                cid,
                &req(json!(0), "initialize", init_params()),
                at(base, cid),
            );
            assert_eq!(only_client(&out, cid)["result"], init_result());
            let out = r.from_client(
                cid,
                &note("notifications/initialized", Value::Null),
                at(base, cid),
            );
            assert!(out.is_empty(), "{out:?}");
        }
        (r, base)
    }

    #[test]
    fn three_clients_with_the_same_ids_get_only_their_own_answers() {
        let (mut r, base) = setup(3);
        let mut upstream = Vec::new();
        for cid in 1..=3 {
            for id in 1..=3 {
                let out = r.from_client(
                    cid,
                    &req(json!(id), "tools/call", json!({"name": format!("c{cid}")})),
                    at(base, 9),
                );
                let sent = only_server(&out);
                upstream.push((cid, id, sent["id"].as_u64().expect("integer upstream id")));
            }
        }
        let ids: BTreeSet<u64> = upstream.iter().map(|u| u.2).collect();
        assert_eq!(ids.len(), 9, "upstream ids are unique");
        assert!(ids.iter().all(|&id| id > 1), "1 was the initialize");
        assert_eq!(r.pending(), 9);
        // Answer in reverse order; each goes to its owner with its own id.
        for &(cid, id, up) in upstream.iter().rev() {
            let out = r.from_server(&ok(json!(up), json!({"who": cid, "n": id})), at(base, 10));
            let got = only_client(&out, cid);
            assert_eq!(got["id"], json!(id));
            assert_eq!(got["result"], json!({"who": cid, "n": id}));
        }
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn initialize_is_cached_for_later_clients_and_initialized_sent_once() {
        let (mut r, base) = setup(1);
        r.client_joined(2, at(base, 2));
        let out = r.from_client(
            2,
            &req(json!("init-x"), "initialize", init_params()),
            at(base, 2),
        );
        let got = only_client(&out, 2);
        assert_eq!(got["id"], json!("init-x"));
        assert_eq!(got["result"], init_result());
        assert!(
            r.from_client(
                2,
                &note("notifications/initialized", Value::Null),
                at(base, 2)
            )
            .is_empty()
        );
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn concurrent_initialize_waits_for_the_first_answer() {
        let base = Instant::now();
        let mut r = Router::new();
        let out = r.from_client(1, &req(json!(1), "initialize", init_params()), base);
        let up = only_server(&out)["id"].clone();
        assert!(
            r.from_client(2, &req(json!("b"), "initialize", init_params()), base)
                .is_empty()
        );
        let out = r.from_server(&ok(up, init_result()), base);
        assert_eq!(out.len(), 2);
        assert_eq!(client_lines(&out, 1)[0]["id"], json!(1));
        assert_eq!(client_lines(&out, 2)[0]["id"], json!("b"));
        assert_eq!(client_lines(&out, 2)[0]["result"], init_result());
        // Both count as initialized: a broadcast reaches both.
        let out = r.from_server(&note("notifications/tools/list_changed", Value::Null), base);
        assert_eq!(r.client_ids(), vec![1, 2]);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn initialize_error_is_passed_on_and_not_cached() {
        let base = Instant::now();
        let mut r = Router::new();
        let up = only_server(&r.from_client(1, &req(json!(1), "initialize", init_params()), base))
            ["id"]
            .clone();
        assert!(
            r.from_client(2, &req(json!(7), "initialize", init_params()), base)
                .is_empty()
        );
        let err = json!({"jsonrpc": "2.0", "id": up, "error": {"code": -32602, "message": "bad version"}});
        let out = r.from_server(&err.to_string(), base);
        assert_eq!(error_code(&client_lines(&out, 1)[0]), -32602);
        assert_eq!(client_lines(&out, 2)[0]["id"], json!(7));
        // Not cached: the next initialize goes upstream again, with a fresh id.
        let again =
            only_server(&r.from_client(2, &req(json!(8), "initialize", init_params()), base));
        assert_eq!(again["method"], "initialize");
        assert_ne!(again["id"], up);
    }

    #[test]
    fn string_ids_are_preserved() {
        let (mut r, base) = setup(2);
        let up1 = only_server(&r.from_client(1, &req(json!("abc"), "tools/list", json!({})), base))
            ["id"]
            .clone();
        let up2 =
            only_server(&r.from_client(2, &req(json!(1), "tools/list", json!({})), base))["id"]
                .clone();
        let up3 =
            only_server(&r.from_client(2, &req(json!("1"), "tools/list", json!({})), base))["id"]
                .clone();
        assert!(up1.is_u64() && up2.is_u64() && up3.is_u64());
        assert_eq!(
            only_client(&r.from_server(&ok(up1, json!({})), base), 1)["id"],
            json!("abc")
        );
        assert_eq!(
            only_client(&r.from_server(&ok(up3, json!({})), base), 2)["id"],
            json!("1")
        );
        assert_eq!(
            only_client(&r.from_server(&ok(up2, json!({})), base), 2)["id"],
            json!(1)
        );
    }

    #[test]
    fn client_cancel_is_mapped_to_the_upstream_id() {
        let (mut r, base) = setup(2);
        let up_a =
            only_server(&r.from_client(1, &req(json!(5), "tools/call", json!({})), base))["id"]
                .clone();
        let up_b =
            only_server(&r.from_client(2, &req(json!(5), "tools/call", json!({})), base))["id"]
                .clone();
        let out = r.from_client(
            2,
            &note(
                "notifications/cancelled",
                json!({"requestId": 5, "reason": "user"}),
            ),
            base,
        );
        let sent = only_server(&out);
        assert_eq!(sent["params"]["requestId"], up_b);
        assert_eq!(sent["params"]["reason"], "user");
        assert_eq!(r.pending(), 1);
        // Unknown ids, and ids already cancelled, are dropped.
        assert!(
            r.from_client(
                2,
                &note("notifications/cancelled", json!({"requestId": 5})),
                base
            )
            .is_empty()
        );
        assert!(
            r.from_client(
                2,
                &note("notifications/cancelled", json!({"requestId": "zz"})),
                base
            )
            .is_empty()
        );
        // A late answer to the cancelled request goes nowhere; client 1's request is untouched.
        assert!(r.from_server(&ok(up_b, json!({})), base).is_empty());
        assert_eq!(
            only_client(&r.from_server(&ok(up_a, json!({})), base), 1)["id"],
            json!(5)
        );
    }

    #[test]
    fn progress_goes_to_the_requesting_client_with_its_token() {
        let (mut r, base) = setup(2);
        let call = |token: Value| {
            req(
                json!(1),
                "tools/call",
                json!({"name": "t", "_meta": {"progressToken": token}}),
            )
        };
        let s1 = only_server(&r.from_client(1, &call(json!("tok")), base));
        let s2 = only_server(&r.from_client(2, &call(json!("tok")), base));
        let t1 = s1["params"]["_meta"]["progressToken"].clone();
        let t2 = s2["params"]["_meta"]["progressToken"].clone();
        assert_ne!(t1, t2);
        assert_eq!(s1["params"]["name"], "t");
        let progress = |t: &Value| {
            note(
                "notifications/progress",
                json!({"progressToken": t, "progress": 1, "total": 2}),
            )
        };
        let got = only_client(&r.from_server(&progress(&t2), base), 2);
        assert_eq!(got["params"]["progressToken"], json!("tok"));
        assert_eq!(got["params"]["progress"], json!(1));
        // Numeric tokens come back as numbers.
        let s3 = only_server(&r.from_client(1, &call(json!(42)), base));
        let t3 = s3["params"]["_meta"]["progressToken"].clone();
        assert_eq!(
            only_client(&r.from_server(&progress(&t3), base), 1)["params"]["progressToken"],
            json!(42)
        );
        // Unknown tokens are dropped; a token dies with its request.
        assert!(r.from_server(&progress(&json!("other")), base).is_empty());
        r.from_server(&ok(s1["id"].clone(), json!({})), base);
        assert!(r.from_server(&progress(&t1), base).is_empty());
    }

    #[test]
    fn notifications_are_broadcast_to_initialized_clients() {
        let (mut r, base) = setup(2);
        r.client_joined(3, base); // connected but not initialized
        let line = note("notifications/tools/list_changed", Value::Null);
        let out = r.from_server(&line, base);
        assert_eq!(
            out,
            vec![
                Out::ToClient(1, line.clone()),
                Out::ToClient(2, line.clone())
            ]
        );
        let log = note(
            "notifications/message",
            json!({"level": "info", "data": "x"}),
        );
        assert_eq!(r.from_server(&log, base).len(), 2);
    }

    #[test]
    fn resource_updates_go_to_subscribers_and_subscribe_is_deduplicated() {
        let (mut r, base) = setup(3);
        let sub = |id: u64, uri: &str| req(json!(id), "resources/subscribe", json!({"uri": uri}));
        let unsub =
            |id: u64, uri: &str| req(json!(id), "resources/unsubscribe", json!({"uri": uri}));
        let sent = only_server(&r.from_client(1, &sub(10, "file:///a"), base));
        assert_eq!(sent["method"], "resources/subscribe");
        assert_eq!(
            only_client(&r.from_server(&ok(sent["id"].clone(), json!({})), base), 1)["id"],
            json!(10)
        );
        // The second subscriber is answered locally.
        let got = only_client(&r.from_client(2, &sub(11, "file:///a"), base), 2);
        assert_eq!(
            (got["id"].clone(), got["result"].clone()),
            (json!(11), json!({}))
        );
        let updated = note(
            "notifications/resources/updated",
            json!({"uri": "file:///a"}),
        );
        let out = r.from_server(&updated, base);
        assert_eq!(
            out,
            vec![
                Out::ToClient(1, updated.clone()),
                Out::ToClient(2, updated.clone())
            ]
        );
        let other = note(
            "notifications/resources/updated",
            json!({"uri": "file:///b"}),
        );
        assert!(r.from_server(&other, base).is_empty());
        // Unsubscribe: local while others remain, upstream for the last one.
        assert_eq!(
            only_client(&r.from_client(1, &unsub(12, "file:///a"), base), 1)["result"],
            json!({})
        );
        assert_eq!(
            r.from_server(&updated, base),
            vec![Out::ToClient(2, updated.clone())]
        );
        let sent = only_server(&r.from_client(2, &unsub(13, "file:///a"), base));
        assert_eq!(sent["method"], "resources/unsubscribe");
        assert_eq!(
            only_client(&r.from_server(&ok(sent["id"].clone(), json!({})), base), 2)["id"],
            json!(13)
        );
        assert!(r.from_server(&updated, base).is_empty());
    }

    #[test]
    fn refused_subscribe_is_forgotten() {
        let (mut r, base) = setup(1);
        let sent = only_server(&r.from_client(
            1,
            &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
            base,
        ));
        let err =
            json!({"jsonrpc": "2.0", "id": sent["id"], "error": {"code": -32002, "message": "no"}});
        assert_eq!(
            error_code(&only_client(&r.from_server(&err.to_string(), base), 1)),
            -32002
        );
        let again = r.from_client(
            1,
            &req(json!(2), "resources/subscribe", json!({"uri": "u"})),
            base,
        );
        assert_eq!(only_server(&again)["method"], "resources/subscribe");
    }

    #[test]
    fn leaving_last_subscriber_unsubscribes_upstream_and_swallows_the_answer() {
        let (mut r, base) = setup(2);
        let sent = only_server(&r.from_client(
            1,
            &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
            base,
        ));
        r.from_server(&ok(sent["id"].clone(), json!({})), base);
        r.from_client(
            2,
            &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
            base,
        );
        assert!(r.client_left(1).is_empty(), "client 2 still holds u");
        let sent = only_server(&r.client_left(2));
        assert_eq!(sent["method"], "resources/unsubscribe");
        assert_eq!(sent["params"]["uri"], "u");
        assert_eq!(r.pending(), 1);
        assert!(
            r.from_server(&ok(sent["id"].clone(), json!({})), base)
                .is_empty()
        );
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn server_ping_is_answered_locally() {
        let (mut r, base) = setup(1);
        let out = r.from_server(&req(json!("p1"), "ping", Value::Null), base);
        assert_eq!(
            out,
            vec![Out::ToServer(
                r#"{"id":"p1","jsonrpc":"2.0","result":{}}"#.into()
            )]
        );
    }

    #[test]
    fn roots_list_goes_to_the_most_recent_client_and_back() {
        let (mut r, base) = setup(3);
        r.from_client(2, &req(json!(99), "tools/list", json!({})), at(base, 50));
        let out = r.from_server(&req(json!(7), "roots/list", json!({})), base);
        let fwd = only_client(&out, 2);
        assert_eq!(fwd["method"], "roots/list");
        let rid = fwd["id"].clone();
        assert_ne!(rid, json!(7));
        // Another client cannot answer it; the chosen one can.
        assert!(
            r.from_client(1, &ok(rid.clone(), json!({"roots": []})), at(base, 51))
                .is_empty()
        );
        let back = only_server(&r.from_client(
            2,
            &ok(rid.clone(), json!({"roots": [{"uri": "file:///w"}]})),
            at(base, 52),
        ));
        assert_eq!(back["id"], json!(7));
        assert_eq!(back["result"]["roots"][0]["uri"], "file:///w");
        // Answered once only.
        assert!(
            r.from_client(2, &ok(rid, json!({})), at(base, 53))
                .is_empty()
        );
        // Client 1 is now most recent (a garbage line counts as activity too).
        r.from_client(1, "nonsense", at(base, 60));
        let out = r.from_server(&req(json!(8), "sampling/createMessage", json!({})), base);
        assert_eq!(client_lines(&out, 1).len(), 1);
    }

    #[test]
    fn server_request_without_clients_is_refused() {
        let mut r = Router::new();
        let base = Instant::now();
        r.client_joined(1, base); // not initialized: not eligible
        let got =
            only_server(&r.from_server(&req(json!(3), "elicitation/create", json!({})), base));
        assert_eq!(got["id"], json!(3));
        assert_eq!(error_code(&got), -32603);
        assert_eq!(got["error"]["message"], "no client connected");
    }

    #[test]
    fn server_cancel_of_a_forwarded_request_reaches_the_client() {
        let (mut r, base) = setup(1);
        let rid = only_client(
            &r.from_server(&req(json!(4), "sampling/createMessage", json!({})), base),
            1,
        )["id"]
            .clone();
        let got = only_client(
            &r.from_server(
                &note("notifications/cancelled", json!({"requestId": 4})),
                base,
            ),
            1,
        );
        assert_eq!(got["params"]["requestId"], rid);
        assert!(
            r.from_server(
                &note("notifications/cancelled", json!({"requestId": 4})),
                base
            )
            .is_empty()
        );
        assert!(r.from_client(1, &ok(rid, json!({})), base).is_empty());
    }

    #[test]
    fn client_leaving_with_a_server_request_answers_the_server() {
        let (mut r, base) = setup(1);
        only_client(
            &r.from_server(&req(json!(4), "roots/list", json!({})), base),
            1,
        );
        let got = only_server(&r.client_left(1));
        assert_eq!(got["id"], json!(4));
        assert_eq!(got["error"]["message"], "client disconnected");
    }

    #[test]
    fn client_leaving_mid_request_cancels_upstream_and_swallows_the_answer() {
        let (mut r, base) = setup(2);
        let call = req(
            json!(1),
            "tools/call",
            json!({"_meta": {"progressToken": 1}}),
        );
        let sent = only_server(&r.from_client(1, &call, base));
        let up = sent["id"].clone();
        let token = sent["params"]["_meta"]["progressToken"].clone();
        let cancel = only_server(&r.client_left(1));
        assert_eq!(cancel["method"], "notifications/cancelled");
        assert_eq!(
            cancel["params"],
            json!({"requestId": up, "reason": "client disconnected"})
        );
        assert_eq!(r.clients(), 1);
        let progress = note(
            "notifications/progress",
            json!({"progressToken": token, "progress": 1}),
        );
        assert!(r.from_server(&progress, base).is_empty());
        assert!(r.from_server(&ok(up, json!({})), base).is_empty());
        assert!(r.client_left(1).is_empty(), "leaving twice is harmless");
    }

    #[test]
    fn server_down_fails_pending_and_rejects_new_requests() {
        let (mut r, base) = setup(2);
        r.from_client(1, &req(json!(1), "tools/call", json!({})), base);
        r.from_client(2, &req(json!("x"), "tools/call", json!({})), base);
        let rid = only_client(
            &r.from_server(&req(json!(9), "roots/list", json!({})), base),
            2,
        )["id"]
            .clone();
        let out = r.server_down("exit status 1");
        let c1 = client_lines(&out, 1);
        assert_eq!(
            (c1[0]["id"].clone(), error_code(&c1[0])),
            (json!(1), -32603)
        );
        assert!(
            c1[0]["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("exit status 1"))
        );
        let c2 = client_lines(&out, 2);
        assert_eq!(c2.len(), 2);
        assert!(c2.iter().any(|v| v["id"] == json!("x")));
        assert!(
            c2.iter().any(
                |v| v["method"] == "notifications/cancelled" && v["params"]["requestId"] == rid
            )
        );
        assert!(server_lines(&out).is_empty());
        assert_eq!(r.pending(), 0);
        let got = only_client(
            &r.from_client(1, &req(json!(2), "tools/list", json!({})), base),
            1,
        );
        assert_eq!(got["error"]["message"], "server is restarting");
        assert!(
            r.from_client(
                1,
                &note("notifications/roots/list_changed", Value::Null),
                base
            )
            .is_empty()
        );
        // initialize is still answered from the cache.
        assert_eq!(
            only_client(
                &r.from_client(3, &req(json!(1), "initialize", init_params()), base),
                3
            )["result"],
            init_result()
        );
        // Stale output of the dead process is ignored.
        assert!(
            r.from_server(&req(json!(1), "roots/list", json!({})), base)
                .is_empty()
        );
    }

    #[test]
    fn server_up_replays_the_handshake_queues_and_flushes() {
        let (mut r, base) = setup(2);
        let sent = only_server(&r.from_client(
            1,
            &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
            base,
        ));
        r.from_server(&ok(sent["id"].clone(), json!({})), base);
        r.server_down("killed");
        let hs = only_server(&r.server_up());
        assert_eq!(hs["method"], "initialize");
        assert_eq!(hs["params"], init_params());
        let hs_id = hs["id"].as_u64().expect("integer id");
        assert!(
            hs_id > sent["id"].as_u64().expect("integer id"),
            "ids are never reused"
        );
        // Queued while the handshake runs, in order.
        assert!(
            r.from_client(2, &req(json!(1), "tools/list", json!({})), base)
                .is_empty()
        );
        assert!(
            r.from_client(1, &req(json!(1), "tools/call", json!({})), base)
                .is_empty()
        );
        assert!(
            r.from_client(
                2,
                &note("notifications/cancelled", json!({"requestId": 1})),
                base
            )
            .is_empty()
        );
        assert!(
            r.from_client(2, &note("notifications/initialized", Value::Null), base)
                .is_empty()
        );
        // A server ping during the handshake is still answered.
        assert_eq!(
            server_lines(&r.from_server(&req(json!(0), "ping", Value::Null), base)).len(),
            1
        );
        let out = r.from_server(&ok(json!(hs_id), init_result()), base);
        let up = server_lines(&out);
        assert!(
            client_lines(&out, 1).is_empty() && client_lines(&out, 2).is_empty(),
            "handshake is private"
        );
        let methods: Vec<&str> = up
            .iter()
            .map(|v| v["method"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            methods,
            [
                "notifications/initialized",
                "resources/subscribe",
                "tools/list",
                "tools/call",
                "notifications/cancelled"
            ]
        );
        assert_eq!(
            up[4]["params"]["requestId"], up[2]["id"],
            "the cancel follows its request"
        );
        // The resubscribe answer is swallowed; client 1's call is answered as usual.
        assert!(
            r.from_server(&ok(up[1]["id"].clone(), json!({})), base)
                .is_empty()
        );
        assert_eq!(
            only_client(&r.from_server(&ok(up[3]["id"].clone(), json!({})), base), 1)["id"],
            json!(1)
        );
        // No second notifications/initialized for this process.
        assert!(
            r.from_client(1, &note("notifications/initialized", Value::Null), base)
                .is_empty()
        );
    }

    #[test]
    fn server_up_without_cache_is_ready_at_once() {
        let mut r = Router::new();
        let base = Instant::now();
        assert!(r.server_down("crash").is_empty());
        assert!(r.server_up().is_empty());
        assert_eq!(
            only_server(&r.from_client(1, &req(json!(1), "initialize", init_params()), base))["method"],
            "initialize"
        );
    }

    #[test]
    fn failed_replay_fails_the_queue_and_forgets_the_cache() {
        let (mut r, base) = setup(1);
        r.server_down("x");
        let hs = only_server(&r.server_up());
        r.from_client(1, &req(json!(3), "tools/list", json!({})), base);
        let err = json!({"jsonrpc": "2.0", "id": hs["id"], "error": {"code": -32602, "message": "unsupported"}});
        let got = only_client(&r.from_server(&err.to_string(), base), 1);
        assert_eq!((got["id"].clone(), error_code(&got)), (json!(3), -32603));
        assert_eq!(
            only_server(&r.from_client(1, &req(json!(4), "initialize", init_params()), base))["method"],
            "initialize"
        );
    }

    #[test]
    fn subscribe_pending_at_server_down_is_not_replayed() {
        let (mut r, base) = setup(1);
        r.from_client(
            1,
            &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
            base,
        );
        assert_eq!(error_code(&only_client(&r.server_down("x"), 1)), -32603);
        let hs = only_server(&r.server_up());
        let out = r.from_server(&ok(hs["id"].clone(), init_result()), base);
        assert_eq!(only_server(&out)["method"], "notifications/initialized");
    }

    #[test]
    fn down_during_replay_fails_the_queue() {
        let (mut r, base) = setup(1);
        r.server_down("x");
        r.server_up();
        r.from_client(1, &req(json!(3), "tools/list", json!({})), base);
        let got = only_client(&r.server_down("again"), 1);
        assert_eq!(got["id"], json!(3));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn queue_is_capped() {
        let (mut r, base) = setup(1);
        r.server_down("x");
        r.server_up();
        for i in 0..QUEUE_CAP {
            assert!(
                r.from_client(1, &req(json!(i), "tools/list", json!({})), base)
                    .is_empty()
            );
        }
        let got = only_client(
            &r.from_client(1, &req(json!("over"), "tools/list", json!({})), base),
            1,
        );
        assert_eq!(
            (got["id"].clone(), error_code(&got)),
            (json!("over"), -32603)
        );
    }

    #[test]
    fn server_up_while_up_replaces_the_process() {
        let (mut r, base) = setup(1);
        r.from_client(1, &req(json!(1), "tools/list", json!({})), base);
        let out = r.server_up();
        assert_eq!(client_lines(&out, 1)[0]["id"], json!(1));
        assert_eq!(server_lines(&out)[0]["method"], "initialize");
    }

    #[test]
    fn garbage_and_batches_get_errors() {
        let (mut r, base) = setup(2);
        let one = |r: &mut Router, line: &str| only_client(&r.from_client(1, line, base), 1);
        let got = one(&mut r, "{not json");
        assert_eq!((got["id"].clone(), error_code(&got)), (Value::Null, -32700));
        assert_eq!(error_code(&one(&mut r, "42")), -32600);
        let got = one(&mut r, r#"{"jsonrpc":"1.0","id":5,"method":"x"}"#);
        assert_eq!((got["id"].clone(), error_code(&got)), (json!(5), -32600));
        let got = one(&mut r, r#"{"jsonrpc":"2.0","id":"s","method":3}"#);
        assert_eq!(got["id"], json!("s"));
        assert_eq!(
            one(&mut r, r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#)["id"],
            Value::Null
        );
        assert_eq!(
            error_code(&one(&mut r, r#"{"jsonrpc":"2.0","id":1}"#)),
            -32600
        );
        // Missing "jsonrpc" is tolerated.
        assert_eq!(
            only_server(&r.from_client(1, r#"{"id":1,"method":"tools/list"}"#, base))["method"],
            "tools/list"
        );
        let out = r.from_client(
            1,
            &format!(
                "[{},{}]",
                req(json!(1), "a", Value::Null),
                req(json!("b"), "b", Value::Null)
            ),
            base,
        );
        let ids: Vec<Value> = client_lines(&out, 1)
            .iter()
            .map(|v| v["id"].clone())
            .collect();
        assert_eq!(ids, [json!(1), json!("b")]);
        assert!(
            client_lines(&out, 1)
                .iter()
                .all(|v| v["error"]["message"] == "batch requests are not supported")
        );
        let got = one(&mut r, &format!("[{}]", note("n", Value::Null)));
        assert_eq!((got["id"].clone(), error_code(&got)), (Value::Null, -32600));
        assert_eq!(one(&mut r, "[]")["id"], Value::Null);
        let got = only_client(&r.oversized_from_client(1), 1);
        assert_eq!((got["id"].clone(), error_code(&got)), (Value::Null, -32600));
        // A stray response from a client is dropped.
        assert!(r.from_client(1, &ok(json!(1), json!({})), base).is_empty());
        // Nothing reached client 2.
        assert_eq!(r.pending(), 1);
    }

    #[test]
    fn unknown_or_garbage_server_lines_are_dropped() {
        let (mut r, base) = setup(1);
        assert!(r.from_server(&ok(json!(12345), json!({})), base).is_empty());
        assert!(
            r.from_server(&ok(json!("mcpd-x"), json!({})), base)
                .is_empty()
        );
        assert!(r.from_server("not json", base).is_empty());
        assert!(r.from_server("[1,2]", base).is_empty());
        assert!(r.from_server(r#"{"jsonrpc":"2.0"}"#, base).is_empty());
        assert!(
            r.from_server(&ok(json!(1), json!({})), base).is_empty(),
            "the initialize id is spent"
        );
    }

    #[test]
    fn uninitialized_clients_are_still_forwarded() {
        let mut r = Router::new();
        let base = Instant::now();
        let sent = only_server(&r.from_client(9, &req(json!(1), "tools/list", json!({})), base));
        assert_eq!(r.client_ids(), vec![9]);
        assert_eq!(
            only_client(
                &r.from_server(&ok(sent["id"].clone(), json!({"tools": []})), base),
                9
            )["id"],
            json!(1)
        );
    }
}
