//! The pure core of the MCP multiplexer: the clients of one server instance (agents, each behind
//! a stdio bridge, all with the same [`Contract`](super::contract::Contract)) share its stdio
//! process. The [`Router`] owns no I/O; the shell feeds it whole lines (no trailing newline) from
//! clients and from the server, plus lifecycle events, and sends the [`Out`] lines it returns, in
//! order.
//!
//! What it does, and why:
//! - Fidelity: messages are relayed as the bytes that came; only rewritten fields (ids, progress
//!   tokens, cancelled request ids, a `logging/setLevel` level) are spliced in place.
//! - `initialize` reaches the server once per process; its response is cached and replayed to later
//!   clients (who asked for the same version and capabilities: the instance is theirs by contract),
//!   and only the first `notifications/initialized` is forwarded. A client whose `initialize` shows
//!   another contract than the one it joined with (a 2026-07-28 probe, then a fallback handshake)
//!   is handed back to the shell to move ([`Out::Move`]).
//! - `server/discover` (2026-07-28, the stateless era's only handshake) reaches the process once per
//!   protocol version; its successful response is cached and answered to later clients with their
//!   own id, until the process exits. Other stateless requests carry their `_meta` untouched.
//! - Request ids are rewritten to daemon-unique integers and mapped back, because every client
//!   starts counting at 1; cancellations and progress tokens are rewritten the same way.
//! - Server-to-client requests (`sampling/createMessage`, `elicitation/create`, `roots/list`) go to
//!   the client whose call is in flight; when any client declared one of those capabilities, calls
//!   from different clients are serialized, so that client is unique. A client that did not declare
//!   the capability is never asked: the server gets "Method not found", as a direct client answers.
//! - Per-client views: notifications go to initialized clients, `notifications/resources/updated`
//!   only to subscribers (subscriptions refcounted upstream), `notifications/message` only to clients
//!   whose own `logging/setLevel` admits it (the server gets the most verbose level asked), task
//!   notifications and `tasks/*` only to/from the task's creator, `tasks/list` filtered.
//! - Lifecycle: when the process dies, pending requests fail at once with the real state; requests
//!   arriving while a new process is coming are queued (bounded) and the cached handshake replayed;
//!   the lists clients saw are fetched again and `list_changed` sent for those that differ.
//!
//! Malformed input gets a JSON-RPC error for the client that sent it and never affects others.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use serde_json::Value;

use super::contract::Contract;
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
    /// This client's contract is not the instance's: the router forgot it; the shell moves it to
    /// another instance (see [`Moved`]).
    Move(ClientId, Moved),
    /// The instance's roots are now these (canonical JSON): its clients' roots.
    Roots(String),
}

/// What a moved client takes to its new instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Moved {
    /// Its `initialize` line, already answered: replayed silently (see
    /// [`Router::replay_initialize`]). None when the client has not initialized yet.
    pub init: Option<String>,
    /// Its lines not yet handled, in order.
    pub lines: Vec<String>,
    /// Its roots, when known.
    pub roots: Option<String>,
}

/// What the router knows of a client's roots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum RootsState {
    /// It did not declare roots, or they are not asked yet.
    #[default]
    Unknown,
    /// mcpd's own `roots/list` (this id) is out; the client's other lines are held. `changed`:
    /// asked because the client said its roots changed.
    Asking { rid: String, changed: bool },
    /// Canonical JSON of its roots.
    Known(String),
}

/// Client requests held while a server is (re)starting or a call is serialized; beyond this they
/// fail.
pub const QUEUE_CAP: usize = 1000;
/// Bytes of client lines each of those queues holds at most (an empty one takes any line).
pub const QUEUE_BYTES: usize = 32 << 20;

/// Whether a queue holding `lines` may take `line` too: under [`QUEUE_CAP`] lines and
/// [`QUEUE_BYTES`] bytes.
fn has_room<'a>(lines: impl Iterator<Item = &'a String>, line: &str) -> bool {
    let (mut count, mut bytes) = (0, 0);
    for l in lines {
        count += 1;
        bytes += l.len();
    }
    count == 0 || (count < QUEUE_CAP && bytes + line.len() <= QUEUE_BYTES)
}

/// Log levels of `logging/setLevel`, least severe first.
pub const LOG_LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

fn level_rank(level: &str) -> Option<usize> {
    LOG_LEVELS.iter().position(|l| *l == level)
}

/// Where the server process is in its life.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Ready: client traffic is forwarded.
    #[default]
    Up,
    /// A new process is replaying the cached handshake: client traffic is queued.
    Reinit,
    /// No process. With `hold`, one is coming (a restart is scheduled or asked for): requests
    /// are queued; otherwise they fail at once with `why`, the real state.
    Down { why: String, hold: bool },
}

/// What the router knows about one client.
#[derive(Debug)]
struct Client {
    last_active: Instant,
    /// Got an initialize result or sent `notifications/initialized`: may receive server traffic.
    initialized: bool,
    /// The contract it joined with (None: joined implicitly, e.g. in unit tests: anything goes).
    contract: Option<Contract>,
    /// Its own `logging/setLevel` (None: it never asked, it gets every message).
    log_level: Option<usize>,
    roots: RootsState,
    /// Its lines wait until its roots are known and compared with the instance's.
    awaiting: bool,
    /// Lines held while it is awaiting.
    held: Vec<String>,
    /// Its `initialize` line (taken along if it moves).
    init_line: Option<String>,
}

/// What a forwarded client request is, where its response needs more than the id mapped back.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Call {
    Plain,
    /// A `resources/subscribe` for this uri: undone if the server refuses it.
    Subscribe(String),
    /// `tasks/list`: the result is filtered to the client's own tasks.
    TasksList,
    /// A task-augmented request: the task id in the result belongs to the client.
    CreatesTask,
    /// A first page of `tools/list`, `prompts/list`, `resources/list`...: remembered, to tell
    /// clients after a restart whether it changed.
    List(String),
    /// A `server/discover` at this protocol version: a successful result is cached.
    Discover(String),
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
        call: Call,
    },
    /// The one forwarded client `initialize`: answers every waiter and fills the cache.
    Initialize,
    /// The router's own replay of the cached `initialize` after a restart.
    Handshake,
    /// The router's own request (unsubscribe, resubscribe, setLevel): the response is ignored.
    Swallow,
    /// The router's own first page of a list, after a restart: compared with the one before.
    Compare(String),
    /// The router's own `ping` after the server got its roots: when it is answered, the server
    /// has read them, and clients waiting for that may go on.
    Settle,
}

/// The handshake as first done: replayed to a new process and to later clients.
#[derive(Debug)]
struct InitCache {
    /// The first successful `initialize` request line, as sent (its id is replaced on replay).
    request: String,
    /// The server's response line, as sent (its id is replaced for each client).
    response: String,
}

/// A server-to-client request forwarded to one client.
#[derive(Debug)]
struct ServerRequest {
    cid: ClientId,
    /// The server's own id, restored in the client's response.
    id: Value,
    /// A `roots/list`: the answer shows the client's roots.
    roots: bool,
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
    /// False under `share = "always"`: clients share whatever their roots (they opted in).
    ignore_roots: bool,
    /// The roots of this instance's clients (canonical JSON), once the first is known.
    roots: Option<String>,
    last_roots_ask: u64,
    /// A settle `ping` is out (see [`Pending::Settle`]): waiting clients are not released yet.
    settling: Option<u64>,
    /// Ids of the server's `roots/list` requests waiting for the instance's roots.
    roots_waiting: Vec<Value>,
    /// Method -> canonical JSON of the last first page of that list a client got.
    lists: BTreeMap<String, String>,
    /// Task id -> the client that created it.
    tasks: HashMap<String, ClientId>,
    /// The level last sent upstream with `logging/setLevel`.
    upstream_level: Option<usize>,
    init_cache: Option<InitCache>,
    /// Protocol version asked -> the process's successful `server/discover` response line (its
    /// id replaced per client). The stateless era's handshake: the same for every client of the
    /// instance, so the process is asked once (2026-07-28: "answer it from cache").
    discover_cache: HashMap<String, String>,
    /// The forwarded initialize request line awaiting its result, to be cached.
    init_request: Option<String>,
    /// Moved clients whose `initialize` is replayed without an answer to them.
    silent_inits: Vec<ClientId>,
    /// Clients (their ids, and their `initialize` lines, to take along if they move) waiting for
    /// the forwarded initialize.
    init_waiters: Vec<(ClientId, Value, String)>,
    /// `notifications/initialized` already reached this server process.
    initialized_sent: bool,
    /// A client sent `notifications/initialized` while the initialize was in flight: sent when
    /// its result comes.
    initialized_due: bool,
    /// Client lines held while the server is not ready (restart, handshake replay).
    queue: VecDeque<(ClientId, String)>,
    /// Client requests held so that calls of different clients do not overlap (see the module doc).
    waiting: VecDeque<(ClientId, String)>,
    /// The state the supervisor told before the process's output ended (see `server_state`).
    next_down: Option<(String, bool)>,
    /// The client whose held requests are being forwarded now (they skip the line).
    draining: Option<ClientId>,
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

    /// A router for an instance whose clients share whatever their roots (`share = "always"`).
    pub fn ignoring_roots() -> Router {
        Router {
            ignore_roots: true,
            ..Router::default()
        }
    }

    /// A client connected (its last activity is `now`), with no contract: it may do anything.
    pub fn client_joined(&mut self, cid: ClientId, now: Instant) {
        self.join(cid, None, now);
    }

    /// A client connected with the contract the instance was chosen for.
    pub fn client_joined_with(&mut self, cid: ClientId, contract: Contract, now: Instant) {
        self.join(cid, Some(contract), now);
    }

    fn join(&mut self, cid: ClientId, contract: Option<Contract>, now: Instant) {
        let c = self.clients.entry(cid).or_insert(Client {
            last_active: now,
            initialized: false,
            contract: None,
            log_level: None,
            roots: RootsState::Unknown,
            awaiting: false,
            held: Vec::new(),
            init_line: None,
        });
        c.last_active = now;
        if let Some(k) = contract {
            if let Some(r) = &k.known_roots {
                c.roots = RootsState::Known(r.clone());
            }
            c.contract = Some(k);
        }
    }

    /// One line from a client. An unknown `cid` is joined implicitly (lenient).
    pub fn from_client(&mut self, cid: ClientId, line: &str, now: Instant) -> Vec<Out> {
        self.join(cid, None, now);
        let mut out = Vec::new();
        self.client_line(cid, line, &mut out);
        out
    }

    pub(super) fn client_line(&mut self, cid: ClientId, line: &str, out: &mut Vec<Out>) {
        match serde_json::from_str::<Value>(line) {
            Err(_) => out.push(error_to(cid, &Value::Null, PARSE_ERROR, "Parse error")),
            Ok(Value::Object(obj)) => self.client_message(cid, obj, line, out),
            Ok(Value::Array(items)) => batch_errors(cid, &items, out),
            Ok(_) => out.push(error_to(
                cid,
                &Value::Null,
                INVALID_REQUEST,
                "Invalid Request",
            )),
        }
    }

    /// Lines the router held (queued, waiting their turn, held for roots) handled now, in order.
    /// One of them may move its client (an `initialize` showing another contract): the client's
    /// lines after it were never handled here and go along with that move, not to a client that
    /// is gone. A client that left otherwise had its lines dropped with it.
    pub(super) fn feed(
        &mut self,
        lines: impl IntoIterator<Item = (ClientId, String)>,
        out: &mut Vec<Out>,
    ) {
        for (cid, line) in lines {
            if self.clients.contains_key(&cid) {
                self.client_line(cid, &line, out);
            } else if let Some(Out::Move(_, moved)) = out
                .iter_mut()
                .rev()
                .find(|o| matches!(o, Out::Move(c, _) if *c == cid))
            {
                moved.lines.push(line);
            }
        }
    }

    /// A client line exceeded the size limit and was discarded: an error naming its size and the
    /// limit, with its id when its ends showed it.
    pub fn oversized_from_client(
        &mut self,
        cid: ClientId,
        over: &Oversize,
        limit: usize,
    ) -> Vec<Out> {
        vec![Out::ToClient(cid, oversized_error(over, limit))]
    }

    /// A server line exceeded the size limit and was discarded. A response is taken as an error
    /// response naming the size and the limit, whatever it answered (a client's call, the shared
    /// `initialize` its waiters, mcpd's own request): nobody waits for it forever. A request gets
    /// that error back.
    pub fn oversized_from_server(&mut self, over: &Oversize, limit: usize) -> Vec<Out> {
        let mut out = Vec::new();
        let msg = oversized_message(over.size, limit);
        let Some(id) = over.id() else { return out };
        if over.is_request() {
            out.push(Out::ToServer(error_line(&id, INTERNAL_ERROR, &msg)));
            return out;
        }
        if matches!(self.phase, Phase::Down { .. }) {
            return out;
        }
        let line = error_line(&id, INTERNAL_ERROR, &msg);
        if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&line) {
            self.server_message(obj, &line, &mut out);
        }
        out
    }

    /// One line from the server. `now` is accepted for future timeouts and is unused today.
    pub fn from_server(&mut self, line: &str, _now: Instant) -> Vec<Out> {
        let mut out = Vec::new();
        // Lines still buffered from a dead process must not reach the next one or the clients.
        if matches!(self.phase, Phase::Down { .. }) {
            return out;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(obj)) => self.server_message(obj, line, &mut out),
            // Batching is gone from MCP, but taking elements one by one costs nothing.
            Ok(Value::Array(items)) => {
                for item in items {
                    if let Value::Object(obj) = item {
                        let text = Value::Object(obj.clone()).to_string();
                        self.server_message(obj, &text, &mut out);
                    }
                }
            }
            _ => {}
        }
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
mod lifecycle;
mod roots;
mod server;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_fuzz_exits;
#[cfg(test)]
mod tests_fuzz_moves;
#[cfg(test)]
mod tests_lifecycle;
#[cfg(test)]
mod tests_sharing;
#[cfg(test)]
mod tests_stateless;
pub mod wire;
