#![no_main]
//! The mux's routing core as a sequence of events: several clients (bridges) and one server process
//! exchange messages through one [`Router`], which is driven exactly as the shell drives it, with no
//! I/O (like src/daemon/router/tests*.rs). The fuzzer picks the events; a model of the clients and the
//! server checks after every step:
//!
//! - every line the router emits is one JSON value on one line;
//! - every answer reaches the client that sent the request, at most once; nothing goes to a client
//!   that left;
//! - the server gets each request id once, and each of its own requests is answered at most once;
//! - the router never waits for more upstream answers than the server still owes (bounded pending);
//! - at the end (everyone answers what they were asked, then the process exits and no new one comes,
//!   and the clients answer what that brought) every request of a connected client has had exactly one answer (a cancelled one at most one),
//!   every server request was answered, and nothing is pending.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mcpd::daemon::contract::Contract;
use mcpd::daemon::router::wire::{OVERSIZE_KEEP, Oversize};
use mcpd::daemon::router::{ClientId, Out, Router};
use serde_json::{Value, json};

/// Reads the fuzz input as a stream of small choices (zeros once it runs out).
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn pick(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.u8() as usize % n }
    }
    fn text(&mut self) -> String {
        let n = self.pick(64);
        let take = n.min(self.0.len());
        let (t, rest) = self.0.split_at(take);
        self.0 = rest;
        String::from_utf8_lossy(t).replace(['\n', '\r'], " ")
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// One connected (tracked) client as the model sees it.
#[derive(Default)]
struct Client {
    next_id: u64,
    /// Its request ids (JSON text) not answered yet -> cancelled by it.
    outstanding: BTreeMap<String, bool>,
    /// Requests it received (server's or the router's), not answered yet: id -> method.
    asked: Vec<(Value, String)>,
    /// Its roots, as it answers `roots/list`.
    roots: Value,
    /// The garbage client: what it is answered is only checked for shape.
    raw: bool,
}

/// The server process as the model sees it.
#[derive(Default)]
struct Server {
    alive: bool,
    /// Got `notifications/initialized`: only now may it send requests other than `ping` (MCP).
    initialized: bool,
    /// Requests received and not answered: upstream id -> (method, the line).
    inbox: BTreeMap<String, (String, Value)>,
    /// Ids it answered already (for duplicate answers).
    answered: Vec<Value>,
    /// Its own requests to clients: id -> answered.
    own: BTreeMap<String, bool>,
    next_own: u64,
    /// Progress tokens seen in requests.
    tokens: Vec<Value>,
    tasks: u64,
    list_gen: u64,
}

struct Model {
    router: Router,
    base: Instant,
    step: u64,
    /// Slot -> client id; clients are never reused after they leave.
    slots: [Option<ClientId>; 4],
    clients: BTreeMap<ClientId, Client>,
    gone: BTreeSet<ClientId>,
    next_cid: ClientId,
    server: Server,
    profile: u8,
    init_line: String,
    /// Lines the router emitted so far.
    emitted: usize,
}

const RAW: ClientId = 1_000_000;

/// `MCPD_FUZZ_TRACE=1` prints every event and output (to read a finding).
fn trace() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MCPD_FUZZ_TRACE").is_some())
}

fn check_line(line: &str) -> Value {
    assert!(
        !line.contains('\n'),
        "an emitted line holds a newline: {line:?}"
    );
    serde_json::from_str(line).unwrap_or_else(|e| panic!("emitted invalid JSON ({e}): {line}"))
}

/// What the shell keeps of a line over the limit.
fn oversize(line: &str) -> Oversize {
    let b = line.as_bytes();
    Oversize {
        size: b.len(),
        head: b[..OVERSIZE_KEEP.min(b.len())].to_vec(),
        tail: b[b.len().saturating_sub(OVERSIZE_KEEP)..].to_vec(),
    }
}

fn id_text(v: &Value) -> String {
    v.to_string()
}

impl Model {
    fn now(&self) -> Instant {
        self.base + Duration::from_secs(self.step)
    }

    /// The capabilities every tracked client declared (None: no contract, anything goes).
    fn declared(&self) -> Option<&'static [&'static str]> {
        match self.profile % 5 {
            0 => None,
            1 => Some(&[]),
            2 => Some(&["roots"]),
            3 => Some(&["sampling", "elicitation"]),
            _ => Some(&["roots", "sampling"]),
        }
    }

    fn init_params(&self) -> Value {
        let caps = match self.profile % 5 {
            0 | 1 => json!({}),
            2 => json!({"roots": {"listChanged": true}}),
            3 => json!({"sampling": {}, "elicitation": {}}),
            _ => json!({"roots": {}, "sampling": {}}),
        };
        json!({"protocolVersion": "2025-11-25", "capabilities": caps,
               "clientInfo": {"name": "fuzz", "version": "1"}})
    }

    fn join(&mut self, slot: usize, roots: Value) {
        if self.slots[slot].is_some() {
            return;
        }
        self.next_cid += 1;
        let cid = self.next_cid;
        self.slots[slot] = Some(cid);
        self.clients.insert(
            cid,
            Client {
                roots,
                ..Client::default()
            },
        );
        let now = self.now();
        if self.profile % 5 == 0 {
            self.router.client_joined(cid, now);
        } else {
            let contract = Contract::of_first_line(&self.init_line);
            self.router.client_joined_with(cid, contract, now);
        }
    }

    fn leave(&mut self, cid: ClientId) {
        self.clients.remove(&cid);
        self.gone.insert(cid);
        for s in self.slots.iter_mut() {
            if *s == Some(cid) {
                *s = None;
            }
        }
    }

    /// Applies the router's output to the model, checking every line.
    fn take(&mut self, out: Vec<Out>) {
        self.emitted += out.len();
        for o in out {
            if trace() {
                eprintln!("    {o:?}");
            }
            match o {
                Out::ToServer(line) => self.to_server(&line),
                Out::ToClient(cid, line) => self.to_client(cid, &line),
                Out::Move(cid, moved) => {
                    let c = self
                        .clients
                        .get(&cid)
                        .expect("a moved client is one that was connected");
                    let carried: BTreeSet<String> = moved
                        .lines
                        .iter()
                        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                        .filter_map(|v| v.get("id").map(id_text))
                        .collect();
                    for (id, cancelled) in &c.outstanding {
                        assert!(
                            *cancelled || carried.contains(id),
                            "client {cid} moved with request {id} neither answered nor carried along"
                        );
                    }
                    self.leave(cid);
                }
                Out::Roots(r) => {
                    check_line(&r);
                }
            }
        }
    }

    fn to_server(&mut self, line: &str) {
        let v = check_line(line);
        assert!(
            self.server.alive,
            "a line for a server process that is gone: {line}"
        );
        let method = v.get("method").and_then(Value::as_str).map(str::to_owned);
        match (method, v.get("id")) {
            (Some(m), Some(id)) => {
                if let Some(t) = v.pointer("/params/_meta/progressToken") {
                    self.server.tokens.push(t.clone());
                }
                let prev = self.server.inbox.insert(id_text(id), (m, v.clone()));
                assert!(
                    prev.is_none(),
                    "the server got request id {id} twice while it was open"
                );
            }
            (None, Some(id)) => {
                if v.get("result").is_none() && v.get("error").is_none() {
                    return;
                }
                if let Some(done) = self.server.own.get_mut(&id_text(id)) {
                    assert!(!*done, "the server's request {id} was answered twice");
                    *done = true;
                }
            }
            (Some(m), None) if m == "notifications/initialized" => self.server.initialized = true,
            _ => {}
        }
    }

    fn to_client(&mut self, cid: ClientId, line: &str) {
        let v = check_line(line);
        assert!(
            !self.gone.contains(&cid),
            "a line for client {cid}, which left: {line}"
        );
        let raw = self
            .clients
            .get(&cid)
            .unwrap_or_else(|| panic!("a line for client {cid}, which never joined: {line}"))
            .raw;
        let method = v.get("method").and_then(Value::as_str).map(str::to_owned);
        if let (Some(m), false, Some(caps)) = (&method, raw, self.declared())
            && let Some(cap) = match m.as_str() {
                "sampling/createMessage" => Some("sampling"),
                "elicitation/create" => Some("elicitation"),
                "roots/list" => Some("roots"),
                _ => None,
            }
        {
            assert!(
                caps.contains(&cap),
                "client {cid} was asked {m} without declaring {cap}"
            );
        }
        let c = self.clients.get_mut(&cid).expect("checked above");
        match (method, v.get("id")) {
            (Some(m), Some(id)) => c.asked.push((id.clone(), m)),
            _ if c.raw => {}
            (None, Some(id)) => {
                let key = id_text(id);
                assert!(
                    c.outstanding.remove(&key).is_some(),
                    "client {cid} got an answer to {key}, which it did not send or had its answer already: {line}"
                );
            }
            (None, None) if v.get("error").is_some() => {
                panic!("client {cid} got an error without an id for a well-formed line: {line}")
            }
            _ => {}
        }
    }

    fn check_bounds(&self) {
        assert!(
            self.router.pending() <= self.server.inbox.len(),
            "the router waits for {} upstream answers, the server owes {}",
            self.router.pending(),
            self.server.inbox.len()
        );
    }

    fn client_request(&mut self, cid: ClientId, b: &mut Bytes) {
        let init = self.init_params();
        let Some(c) = self.clients.get_mut(&cid) else {
            return;
        };
        c.next_id += 1;
        let id = if b.u8() % 4 == 0 {
            json!(format!("r{}", c.next_id))
        } else {
            json!(c.next_id)
        };
        let uri = format!("file:///{}", b.pick(3));
        let params = match b.pick(14) {
            0 => ("initialize", init),
            1 => (
                "tools/call",
                json!({"name": "echo", "_meta": {"progressToken": b.pick(3)}}),
            ),
            2 => ("tools/call", json!({"name": "long", "task": {"ttl": 1000}})),
            3 => ("tools/list", json!({})),
            4 => ("tools/list", json!({"cursor": "2"})),
            5 => ("resources/subscribe", json!({"uri": uri})),
            6 => ("resources/unsubscribe", json!({"uri": uri})),
            7 => {
                let level = ["debug", "info", "error", "nonsense"][b.pick(4)];
                ("logging/setLevel", json!({"level": level}))
            }
            8 => ("tasks/list", json!({})),
            9 => ("tasks/get", json!({"taskId": format!("t{}", b.pick(4))})),
            10 => ("server/discover", json!({"_meta": {}})),
            11 => ("ping", json!({})),
            12 => ("prompts/list", json!({})),
            _ => ("resources/read", json!({"uri": uri})),
        };
        let line = json!({"jsonrpc": "2.0", "id": id, "method": params.0, "params": params.1});
        c.outstanding.insert(id_text(&id), false);
        let now = self.now();
        let out = self.router.from_client(cid, &line.to_string(), now);
        self.take(out);
    }

    fn client_notification(&mut self, cid: ClientId, b: &mut Bytes) {
        let Some(c) = self.clients.get_mut(&cid) else {
            return;
        };
        let line = match b.pick(4) {
            0 => json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            1 => {
                let ids: Vec<String> = c.outstanding.keys().cloned().collect();
                if ids.is_empty() {
                    return;
                }
                let key = ids[b.pick(ids.len())].clone();
                c.outstanding.insert(key.clone(), true);
                let id: Value = serde_json::from_str(&key).expect("ids are JSON");
                json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                       "params": {"requestId": id, "reason": "fuzz"}})
            }
            2 => {
                c.roots = json!([{"uri": format!("file:///r{}", b.pick(2))}]);
                json!({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"})
            }
            _ => json!({"jsonrpc": "2.0", "method": "notifications/progress",
                        "params": {"progressToken": 1, "progress": 1}}),
        };
        let now = self.now();
        let out = self.router.from_client(cid, &line.to_string(), now);
        self.take(out);
    }

    /// The client answers one request it was sent (`which`: index, or every one).
    fn client_answer(&mut self, cid: ClientId, which: Option<usize>, error: bool) {
        let Some(c) = self.clients.get_mut(&cid) else {
            return;
        };
        if c.asked.is_empty() {
            return;
        }
        let picked: Vec<(Value, String)> = match which {
            Some(i) => vec![c.asked.remove(i % c.asked.len())],
            None => std::mem::take(&mut c.asked),
        };
        for (id, method) in picked {
            let roots = self
                .clients
                .get(&cid)
                .map(|c| c.roots.clone())
                .unwrap_or_default();
            let line = if error {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -1, "message": "no"}})
            } else if method == "roots/list" {
                json!({"jsonrpc": "2.0", "id": id, "result": {"roots": roots}})
            } else {
                json!({"jsonrpc": "2.0", "id": id, "result": {}})
            };
            let now = self.now();
            let out = self.router.from_client(cid, &line.to_string(), now);
            self.take(out);
            if !self.clients.contains_key(&cid) {
                return;
            }
        }
    }

    fn server_result(&mut self, method: &str, req: &Value) -> Value {
        match method {
            "initialize" => json!({"protocolVersion": "2025-11-25",
                "capabilities": {"tools": {"listChanged": true}, "resources": {"subscribe": true},
                                 "logging": {}},
                "serverInfo": {"name": "fuzz", "version": "1"}}),
            "server/discover" => json!({"supportedVersions": ["2026-07-28"], "capabilities": {}}),
            "tasks/list" => {
                json!({"tasks": [{"taskId": "t0"}, {"taskId": "t1"}, {"taskId": "t2"}]})
            }
            "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
                json!({"tools": [{"name": format!("v{}", self.server.list_gen)}]})
            }
            _ if req.pointer("/params/task").is_some() => {
                self.server.tasks += 1;
                json!({"task": {"taskId": format!("t{}", self.server.tasks % 4), "status": "working"}})
            }
            _ => json!({}),
        }
    }

    fn server_answer(&mut self, which: Option<usize>, error: bool) {
        if !self.server.alive || self.server.inbox.is_empty() {
            return;
        }
        let keys: Vec<String> = match which {
            Some(i) => {
                let k: Vec<&String> = self.server.inbox.keys().collect();
                vec![k[i % k.len()].clone()]
            }
            None => self.server.inbox.keys().cloned().collect(),
        };
        for key in keys {
            let Some((method, req)) = self.server.inbox.remove(&key) else {
                continue;
            };
            let id = req["id"].clone();
            let line = if error {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": "fuzz"}})
            } else {
                json!({"jsonrpc": "2.0", "id": id, "result": self.server_result(&method, &req)})
            };
            self.server.answered.push(id);
            let now = self.now();
            let out = self.router.from_server(&line.to_string(), now);
            self.take(out);
            if !self.server.alive {
                return;
            }
        }
    }

    fn server_line(&mut self, line: Value) {
        let now = self.now();
        let out = self.router.from_server(&line.to_string(), now);
        self.take(out);
    }

    fn server_down(&mut self, why: &str) {
        let out = self.router.server_down(why);
        self.server = Server {
            list_gen: self.server.list_gen + 1,
            ..Server::default()
        };
        self.take(out);
        assert_eq!(
            self.router.pending(),
            0,
            "requests pending after the process exited"
        );
    }

    fn op(&mut self, b: &mut Bytes) {
        self.step += 1;
        let slot = b.pick(4);
        let cid = self.slots[slot];
        let op = b.pick(18);
        if trace() {
            eprintln!("step {}: op {op} slot {slot} client {cid:?}", self.step);
        }
        match op {
            0 => {
                let roots = json!([{"uri": format!("file:///r{}", b.pick(2))}]);
                self.join(slot, roots);
            }
            1..=3 => {
                if let Some(cid) = cid {
                    self.client_request(cid, b)
                }
            }
            4 => {
                if let Some(cid) = cid {
                    self.client_notification(cid, b)
                }
            }
            5 => {
                if let Some(cid) = cid {
                    let i = b.pick(8);
                    let err = b.u8() % 5 == 0;
                    self.client_answer(cid, Some(i), err)
                }
            }
            6 => {
                if let Some(cid) = cid {
                    let out = self.router.client_left(cid);
                    self.leave(cid);
                    self.take(out);
                }
            }
            7 | 8 => {
                let i = b.pick(8);
                let err = b.u8() % 6 == 0;
                self.server_answer(Some(i), err)
            }
            9 => {
                // A misbehaving server: an answer again, or to an id it never got.
                if self.server.alive {
                    let id = match self.server.answered.len() {
                        0 => json!(b.pick(50)),
                        n => self.server.answered[b.pick(n)].clone(),
                    };
                    self.server_line(json!({"jsonrpc": "2.0", "id": id, "result": {}}));
                }
            }
            10 => {
                if self.server.alive {
                    self.server.next_own += 1;
                    let id = json!(format!("s{}", self.server.next_own));
                    let mut method = [
                        "roots/list",
                        "sampling/createMessage",
                        "elicitation/create",
                        "ping",
                    ][b.pick(4)];
                    if !self.server.initialized {
                        method = "ping";
                    }
                    self.server.own.insert(id_text(&id), false);
                    self.server_line(
                        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {}}),
                    );
                }
            }
            11 => {
                if self.server.alive {
                    let line = match b.pick(5) {
                        0 => {
                            let level = ["debug", "info", "error"][b.pick(3)];
                            json!({"jsonrpc": "2.0", "method": "notifications/message",
                                   "params": {"level": level, "data": "x"}})
                        }
                        1 => json!({"jsonrpc": "2.0", "method": "notifications/resources/updated",
                                    "params": {"uri": format!("file:///{}", b.pick(3))}}),
                        2 => {
                            let t = match self.server.tokens.len() {
                                0 => json!(0),
                                n => self.server.tokens[b.pick(n)].clone(),
                            };
                            json!({"jsonrpc": "2.0", "method": "notifications/progress",
                                   "params": {"progressToken": t, "progress": 1}})
                        }
                        3 => json!({"jsonrpc": "2.0", "method": "notifications/tasks/status",
                                    "params": {"taskId": format!("t{}", b.pick(4)), "status": "done"}}),
                        _ => {
                            json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
                        }
                    };
                    self.server_line(line);
                }
            }
            12 => {
                if self.server.alive {
                    self.server_down("fuzz exit");
                }
            }
            13 => {
                let hold = b.u8() % 2 == 0;
                let out = self.router.server_state("stopped by fuzz", hold);
                self.take(out);
            }
            14 => {
                if !self.server.alive {
                    self.server.alive = true;
                    let out = self.router.server_up();
                    self.take(out);
                }
            }
            16 => {
                // A request over the size limit: only its ends are kept, its id read from them.
                if let Some(cid) = cid
                    && let Some(c) = self.clients.get_mut(&cid)
                {
                    c.next_id += 1;
                    let id = json!(c.next_id);
                    let pad = "x".repeat(2 * OVERSIZE_KEEP);
                    let line = if b.u8() % 2 == 0 {
                        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"pad": pad}})
                            .to_string()
                    } else {
                        format!(
                            r#"{{"jsonrpc":"2.0","method":"tools/call","params":{{"pad":"{pad}"}},"id":{id}}}"#
                        )
                    };
                    c.outstanding.insert(id_text(&id), false);
                    let out = self
                        .router
                        .oversized_from_client(cid, &oversize(&line), 100);
                    self.take(out);
                }
            }
            17 => {
                // The server's answer to one request is over the size limit.
                if self.server.alive && !self.server.inbox.is_empty() {
                    let keys: Vec<String> = self.server.inbox.keys().cloned().collect();
                    let key = keys[b.pick(keys.len())].clone();
                    let (_, req) = self
                        .server
                        .inbox
                        .remove(&key)
                        .expect("picked from the inbox");
                    let pad = "y".repeat(2 * OVERSIZE_KEEP);
                    let line = json!({"jsonrpc": "2.0", "id": req["id"], "result": {"pad": pad}})
                        .to_string();
                    let out = self.router.oversized_from_server(&oversize(&line), 100);
                    self.take(out);
                }
            }
            _ => {
                // Garbage: from the raw client, or from the server.
                let text = b.text();
                let now = self.now();
                if b.u8() % 2 == 0 {
                    let out = self.router.from_client(RAW, &text, now);
                    self.take(out);
                } else if self.server.alive {
                    let out = self.router.from_server(&text, now);
                    // Garbage may answer a real request: the model's server no longer owes it.
                    if let Ok(v) = serde_json::from_str::<Value>(&text)
                        && let Some(id) = v.get("id")
                        && v.get("method").is_none()
                    {
                        self.server.inbox.remove(&id_text(id));
                    }
                    self.take(out);
                }
            }
        }
        self.check_bounds();
    }

    /// Everyone answers what they were asked until nothing moves (a round in which the router
    /// emits nothing); answering may bring new questions (a client's held notifications replayed
    /// one by one), so the rounds are bounded only generously.
    fn quiesce(&mut self) {
        for _ in 0..1000 {
            let before = self.emitted;
            let cids: Vec<ClientId> = self.clients.keys().copied().collect();
            for cid in cids {
                self.client_answer(cid, None, false);
            }
            self.server_answer(None, false);
            if self.emitted == before {
                break;
            }
        }
    }

    fn finish(&mut self) {
        if trace() {
            eprintln!("finish: quiesce");
        }
        self.quiesce();
        if self.server.alive {
            for (id, done) in &self.server.own {
                assert!(*done, "the server's request {id} was never answered");
            }
            self.server_down("end of input");
        }
        let out = self.router.server_state("stopped", false);
        self.take(out);
        // Clients answer what the exit brought too (mcpd asking a held client for its roots: its
        // question needs no process), as real ones do.
        self.quiesce();
        for (cid, c) in self.clients.iter().filter(|(_, c)| !c.raw) {
            for (id, cancelled) in &c.outstanding {
                assert!(*cancelled, "client {cid}'s request {id} was never answered");
            }
        }
        assert_eq!(self.router.pending(), 0);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let profile = b.u8();
    let router = if profile & 0x80 != 0 {
        Router::ignoring_roots()
    } else {
        Router::new()
    };
    let mut m = Model {
        router,
        base: Instant::now(),
        step: 0,
        slots: [None; 4],
        clients: BTreeMap::new(),
        gone: BTreeSet::new(),
        next_cid: 0,
        server: Server {
            alive: true,
            ..Server::default()
        },
        profile,
        init_line: String::new(),
        emitted: 0,
    };
    let init =
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": m.init_params()});
    m.init_line = init.to_string();
    m.router.client_joined(RAW, m.now());
    m.clients.insert(
        RAW,
        Client {
            raw: true,
            ..Client::default()
        },
    );
    let mut steps = 0;
    while !b.done() && steps < 400 {
        m.op(&mut b);
        steps += 1;
    }
    m.finish();
});
