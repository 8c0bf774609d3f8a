//! The multiplexer's imperative shell: one task per supervised server instance, between the server's
//! stdin/stdout and the `mcpd connect` bridges ([`super::bridge`]) whose contract it serves. Every
//! decision is the pure [`Router`]'s; this task only moves lines. A slow client never stalls the
//! others: each client has its own queue bounded in bytes ([`queue`]) and its own writer; a client
//! whose queue is over its budget, or whose queued output has not moved for `slow_client_timeout`,
//! is disconnected (logged and journaled) and its calls are cancelled upstream. A line that cannot
//! be queued for the server is answered at once (nothing stays pending).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, OwnedSemaphorePermit, mpsc};

use super::contract::Contract;
use super::router::{ClientId, Moved, Out, Router};
use queue::{ClientLimits, LineTx, Refused};
use server_io::{FromServer, Read};

pub mod queue;
mod server_io;
#[cfg(test)]
mod tests;

pub use server_io::{STDIN_BUDGET, read_line};

/// What a client connection tells the task.
pub enum MuxMsg {
    /// A client connected; `tx` carries lines to it.
    ClientJoined {
        cid: ClientId,
        session: Option<String>,
        /// The contract it was admitted with.
        contract: Contract,
        /// Its queue (bounded in bytes by `limits.buffer`).
        tx: LineTx,
        /// Its limits (the stall timeout; the journal for a disconnection).
        limits: ClientLimits,
        /// The pid of its `mcpd connect` (for the journal), when known.
        pid: Option<i32>,
        /// Where to send it when it belongs to another instance.
        moved: mpsc::UnboundedSender<Back>,
    },
    /// A moved client's bridge has sent everything it will send here: answered with
    /// [`Back::Flushed`] after the lines that reached this task after the move went back.
    Flush {
        cid: ClientId,
    },
    /// A moved client's `initialize`, already answered by the instance it left.
    Replay {
        cid: ClientId,
        line: String,
    },
    FromClient {
        cid: ClientId,
        line: String,
        /// Its bytes of the client's in-flight budget, given back once the line is handled.
        held: Option<OwnedSemaphorePermit>,
    },
    ClientLeft {
        cid: ClientId,
    },
}

/// What the supervisor tells the task (on its own channel, never behind client traffic).
pub enum ServerMsg {
    /// A (new) server process: its stdin and stdout.
    Attach {
        stdin: std::process::ChildStdin,
        stdout: std::process::ChildStdout,
    },
    /// Close the server's stdin (the first step of a stop).
    Detach,
    /// The state of a missing process, in words; with `hold`, one is coming (or will be started
    /// on demand) and client requests wait for it.
    State { why: String, hold: bool },
    /// The instance is given to another contract: end this task (its router's state is the old
    /// contract's).
    Close,
}

/// What a client's bridge hears from the instance it is leaving.
#[derive(Debug)]
pub enum Back {
    /// It belongs to another instance.
    Moved(Moved),
    /// A line it sent that arrived after the move: it goes to the next instance.
    Line(String),
    /// No more lines will come back.
    Flushed,
}

/// What the task tells the supervisor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MuxEvent {
    /// The last client left.
    Empty,
    /// Requests wait for a process that is not running: start it.
    Wanted,
    /// The instance's roots are known (canonical JSON): part of its contract.
    Roots(String),
}

/// A handle on one instance's multiplexer.
#[derive(Clone)]
pub struct MuxHandle {
    /// Client traffic (bounded: a flood waits here, it does not grow memory).
    pub tx: mpsc::Sender<MuxMsg>,
    /// The supervisor's `Attach`/`Detach`, which must never be lost behind client traffic.
    pub ctl: mpsc::UnboundedSender<ServerMsg>,
    /// Connected clients.
    pub clients: Arc<AtomicU32>,
    /// The tmux sessions of the connected clients (None: outside tmux).
    pub sessions: Arc<Mutex<HashMap<ClientId, Option<String>>>>,
    /// When the client count last changed (for `idle_timeout`).
    pub changed: Arc<std::sync::Mutex<Instant>>,
}

impl std::fmt::Debug for MuxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MuxHandle")
            .field("clients", &self.clients())
            .finish()
    }
}

impl MuxHandle {
    pub fn clients(&self) -> u32 {
        self.clients.load(Ordering::Relaxed)
    }

    /// How long there has been no client (zero while one is connected).
    pub fn idle_for(&self) -> std::time::Duration {
        if self.clients() > 0 {
            return std::time::Duration::ZERO;
        }
        self.changed.lock().map(|t| t.elapsed()).unwrap_or_default()
    }

    /// Sessions of connected clients, for `status`.
    pub async fn client_sessions(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .sessions
            .lock()
            .await
            .values()
            .map(|s| s.clone().unwrap_or_else(|| "-".into()))
            .collect();
        v.sort();
        v
    }
}

/// Starts the multiplexer task for `label` (logs name it); lines longer than `max_message` bytes are
/// refused either way; `share` is the server's. `on_event` hears when the last client leaves and when a process is wanted.
pub fn spawn(
    label: String,
    max_message: usize,
    share: crate::config::Share,
    on_event: impl Fn(MuxEvent) + Send + Sync + 'static,
) -> MuxHandle {
    spawn_with(label, max_message, STDIN_BUDGET, share, on_event)
}

/// [`spawn`] with the byte budget of the server's stdin queue.
pub fn spawn_with(
    label: String,
    max_message: usize,
    stdin_budget: usize,
    share: crate::config::Share,
    on_event: impl Fn(MuxEvent) + Send + Sync + 'static,
) -> MuxHandle {
    let (tx, rx) = mpsc::channel(1024);
    let (ctl, ctl_rx) = mpsc::unbounded_channel();
    let handle = MuxHandle {
        tx,
        ctl,
        clients: Arc::new(AtomicU32::new(0)),
        sessions: Arc::new(Mutex::new(HashMap::new())),
        changed: Arc::new(std::sync::Mutex::new(Instant::now())),
    };
    let h = handle.clone();
    let router = match share {
        crate::config::Share::Always => Router::ignoring_roots(),
        _ => Router::new(),
    };
    let io = Io {
        label,
        max_message,
        stdin_budget,
    };
    tokio::spawn(async move { run(io, router, rx, ctl_rx, h, on_event).await });
    handle
}

/// What the task needs to talk to a server process.
struct Io {
    label: String,
    max_message: usize,
    stdin_budget: usize,
}

/// A connected client: its queue, where it goes when it moves, and what its journal entry names.
struct Conn {
    tx: LineTx,
    moved: mpsc::UnboundedSender<Back>,
    limits: ClientLimits,
    pid: Option<i32>,
}

/// The task's state besides the router.
struct Mux<E: Fn(MuxEvent)> {
    io: Io,
    router: Router,
    clients: HashMap<ClientId, Conn>,
    /// Clients moved away whose bridge has not flushed yet: their late lines go back to them.
    gone: HashMap<ClientId, mpsc::UnboundedSender<Back>>,
    stdin_tx: Option<LineTx>,
    h: MuxHandle,
    on_event: E,
}

async fn run(
    io: Io,
    router: Router,
    mut rx: mpsc::Receiver<MuxMsg>,
    mut ctl_rx: mpsc::UnboundedReceiver<ServerMsg>,
    h: MuxHandle,
    on_event: impl Fn(MuxEvent),
) {
    let mut m = Mux {
        io,
        router,
        clients: HashMap::new(),
        gone: HashMap::new(),
        stdin_tx: None,
        h,
        on_event,
    };
    // Which stdout reader is current: an old process's EOF must not take down a new one.
    let mut generation: u64 = 0;
    let (gen_tx, mut gen_rx) = mpsc::channel::<Read>(1024);
    // A start was asked for the requests held now; asked again only after a process came.
    let mut wanted = false;
    // When to look for clients that stopped reading (only while some client has output queued).
    let mut check: Option<tokio::time::Instant> = None;
    loop {
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let outs = tokio::select! {
            // The supervisor first: a client flood must not delay a new server's stdio.
            biased;
            msg = ctl_rx.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    ServerMsg::Attach { stdin, stdout } => {
                        generation += 1;
                        let (label, max, budget) = (&m.io.label, m.io.max_message, m.io.stdin_budget);
                        let io = (stdin, stdout);
                        m.stdin_tx = server_io::attach(io, generation, gen_tx.clone(), label, max, budget);
                        wanted = false;
                        // A new process, even if the old one's output has not ended yet.
                        m.router.server_up()
                    }
                    ServerMsg::Detach => {
                        m.stdin_tx = None;
                        Vec::new()
                    }
                    ServerMsg::State { why, hold } => {
                        // The supervisor's word on a missing process: a start asked before it had
                        // seen the exit was ignored (the pid was still there), so ask again.
                        wanted = false;
                        m.router.server_state(&why, hold)
                    }
                    ServerMsg::Close => break,
                }
            }
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                m.client_msg(msg).await
            }
            Some((g, line, _held)) = gen_rx.recv() => {
                if g != generation {
                    Vec::new()
                } else {
                    m.server_line(line)
                }
            }
            _ = tokio::time::sleep_until(check.unwrap_or(far)), if check.is_some() => {
                check = None;
                m.drop_stalled().await;
                Vec::new()
            }
        };
        m.deliver(outs).await;
        if m.router.holding() && !wanted {
            wanted = true;
            (m.on_event)(MuxEvent::Wanted);
        }
        if check.is_none()
            && let Some(stall) = m
                .clients
                .values()
                .filter(|c| c.tx.queued() > 0)
                .map(|c| c.limits.stall)
                .min()
        {
            // Often enough that a stalled client goes within a quarter of its timeout late.
            let every = (stall / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
            check = Some(tokio::time::Instant::now() + every);
        }
    }
}

impl<E: Fn(MuxEvent)> Mux<E> {
    async fn client_msg(&mut self, msg: MuxMsg) -> Vec<Out> {
        match msg {
            MuxMsg::ClientJoined {
                cid,
                session,
                contract,
                tx,
                moved,
                limits,
                pid,
            } => {
                self.gone.remove(&cid);
                let conn = Conn {
                    tx,
                    moved,
                    limits,
                    pid,
                };
                self.clients.insert(cid, conn);
                self.h.sessions.lock().await.insert(cid, session);
                self.counted();
                self.router
                    .client_joined_with(cid, contract, Instant::now());
                Vec::new()
            }
            MuxMsg::FromClient { cid, line, .. } if self.gone.contains_key(&cid) => {
                if let Some(back) = self.gone.get(&cid) {
                    let _ = back.send(Back::Line(line));
                }
                Vec::new()
            }
            MuxMsg::Flush { cid } => {
                if let Some(back) = self.gone.remove(&cid) {
                    let _ = back.send(Back::Flushed);
                }
                Vec::new()
            }
            // A client already dropped (it stopped reading) is not let back in by its lines.
            MuxMsg::FromClient { cid, .. } if !self.clients.contains_key(&cid) => Vec::new(),
            MuxMsg::FromClient { cid, line, .. } => {
                self.router.from_client(cid, &line, Instant::now())
            }
            MuxMsg::Replay { cid, line } => self.router.replay_initialize(cid, &line),
            MuxMsg::ClientLeft { cid } => self.leave(cid).await,
        }
    }

    fn server_line(&mut self, line: FromServer) -> Vec<Out> {
        match line {
            FromServer::Line(l) => self.router.from_server(&l, Instant::now()),
            FromServer::Over(o) => {
                let (label, max) = (&self.io.label, self.io.max_message);
                tracing::warn!(
                    "{label}: a server message of {} bytes exceeds max_message ({max})",
                    o.size
                );
                self.router.oversized_from_server(&o, max)
            }
            FromServer::Eof => {
                // The server's stdout closed: it exited (or is exiting).
                self.stdin_tx = None;
                self.router.server_down("the server exited")
            }
        }
    }

    /// Sends the router's lines, in order. A line the server's queue refuses is answered at once
    /// (its answers join the lines to send); a client whose queue refuses a line is disconnected.
    async fn deliver(&mut self, outs: Vec<Out>) {
        let mut todo: VecDeque<Out> = outs.into();
        while let Some(out) = todo.pop_front() {
            match out {
                Out::ToServer(line) => {
                    let (why, line) = match &self.stdin_tx {
                        Some(tx) => match tx.try_send(line) {
                            Ok(()) => continue,
                            Err((why, line)) => (why, line),
                        },
                        None => (Refused::Closed, line),
                    };
                    let why = match why {
                        Refused::Full { queued, budget } => format!(
                            "the server is not reading its stdin ({queued} bytes wait, the limit is {budget})"
                        ),
                        Refused::Closed => "the server's stdin is closed (it is stopping)".into(),
                    };
                    tracing::warn!("{}: {why}: a message was refused", self.io.label);
                    todo.extend(self.router.undeliverable(&line, &why));
                }
                Out::ToClient(cid, line) => {
                    let Some(c) = self.clients.get(&cid) else {
                        continue;
                    };
                    match c.tx.try_send(line) {
                        Ok(()) => {}
                        Err((Refused::Full { queued, budget }, _)) => {
                            let why = format!(
                                "it did not read its output: {queued} bytes were waiting, at or over the client_buffer of {budget} bytes"
                            );
                            todo.extend(self.disconnect(cid, &why).await);
                        }
                        Err((Refused::Closed, _)) => {
                            todo.extend(self.leave(cid).await);
                        }
                    }
                }
                Out::Move(cid, moved) => {
                    // The router already forgot it; the bridge joins another instance with this.
                    if let Some(c) = self.clients.get(&cid) {
                        let _ = c.moved.send(Back::Moved(moved));
                        self.gone.insert(cid, c.moved.clone());
                    }
                    todo.extend(self.leave(cid).await);
                }
                Out::Roots(r) => (self.on_event)(MuxEvent::Roots(r)),
            }
        }
    }

    /// Disconnects the clients whose queued output has not moved for their `slow_client_timeout`.
    async fn drop_stalled(&mut self) {
        let now = Instant::now();
        let stalled: Vec<(ClientId, Duration)> = self
            .clients
            .iter()
            .filter_map(|(cid, c)| {
                let waited = c.tx.stalled_for(now)?;
                (waited >= c.limits.stall).then_some((*cid, c.limits.stall))
            })
            .collect();
        for (cid, stall) in stalled {
            let queued = self.clients.get(&cid).map_or(0, |c| c.tx.queued());
            let why = format!(
                "it did not read its output for {} ({queued} bytes waiting; slow_client_timeout)",
                crate::units::format_duration_config(stall)
            );
            let outs = self.disconnect(cid, &why).await;
            self.deliver(outs).await;
        }
    }

    /// Drops a client that does not read: its writer stops at once (the bridge closes the
    /// connection), its calls are cancelled upstream, and the why goes to the log and the journal.
    async fn disconnect(&mut self, cid: ClientId, why: &str) -> Vec<Out> {
        let Some(c) = self.clients.get(&cid) else {
            return Vec::new();
        };
        let label = &self.io.label;
        tracing::warn!("{label}: client {cid} disconnected: {why}");
        c.tx.close(&format!("disconnected from {label}: {why}"));
        if let Some(dir) = c.limits.journal.clone() {
            let event = crate::journal::Event {
                t: crate::procs::snapshot::now_epoch() as u64,
                actor: "mux".into(),
                pid: c.pid.unwrap_or(0),
                command: format!("mcpd connect ({label})"),
                rss_bytes: 0,
                ending: "disconnected".into(),
                reason: format!("client {cid} of {label}: {why}"),
            };
            tokio::task::spawn_blocking(move || {
                if let Err(e) = crate::journal::append(&dir, &[event]) {
                    tracing::warn!("cannot write the event journal: {e}");
                }
            });
        }
        self.leave(cid).await
    }

    /// Forgets a client; the router's answer (cancellations upstream) is returned to be sent.
    async fn leave(&mut self, cid: ClientId) -> Vec<Out> {
        if self.clients.remove(&cid).is_none() {
            return Vec::new();
        }
        self.h.sessions.lock().await.remove(&cid);
        self.counted();
        let outs = self.router.client_left(cid);
        if self.clients.is_empty() {
            (self.on_event)(MuxEvent::Empty);
        }
        outs
    }

    /// Publishes the client count and when it changed (for `idle_timeout`).
    fn counted(&self) {
        self.h
            .clients
            .store(self.clients.len() as u32, Ordering::Relaxed);
        if let Ok(mut t) = self.h.changed.lock() {
            *t = Instant::now();
        }
    }
}
