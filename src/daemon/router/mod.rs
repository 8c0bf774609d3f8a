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

use wire::*;

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

pub(super) const PARSE_ERROR: i64 = -32700;
pub(super) const INVALID_REQUEST: i64 = -32600;
pub(super) const INTERNAL_ERROR: i64 = -32603;

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
pub(super) enum Kind {
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
}

mod client;
mod server;
#[cfg(test)]
mod tests;
mod wire;
