//! The multiplexer's imperative shell: one task per supervised server instance, between the server's
//! stdin/stdout and the `mcpd connect` bridges ([`super::bridge`]) whose contract it serves. Every
//! decision is the pure [`Router`]'s; this task only moves lines. A slow client never stalls the
//! others: each client has its own bounded queue and writer, and a client whose queue is full is
//! dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::{Mutex, mpsc};

use super::contract::Contract;
use super::router::wire::{OVERSIZE_KEEP, Oversize};
use super::router::{ClientId, Moved, Out, Router};

/// What a client connection tells the task.
pub enum MuxMsg {
    /// A client connected; `tx` carries lines to it.
    ClientJoined {
        cid: ClientId,
        session: Option<String>,
        /// The contract it was admitted with.
        contract: Contract,
        tx: mpsc::Sender<String>,
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

/// A line from the server's stdout reader.
enum FromServer {
    Line(String),
    Over(Oversize),
    Eof,
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
    tokio::spawn(async move { run(label, max_message, router, rx, ctl_rx, h, on_event).await });
    handle
}

/// Reads one line of at most `max` bytes (without its newline) into `buf`: `Ok(None)` at EOF,
/// `Some(Err(..))` for a longer line, whose rest is skipped and of which only the size and both ends
/// are kept (for its id).
pub async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Result<(), Oversize>>> {
    buf.clear();
    let mut over: Option<Oversize> = None;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(match over {
                Some(o) => Some(Err(o)),
                None if buf.is_empty() => None,
                None => Some(Ok(())),
            });
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let piece = &chunk[..if done { take - 1 } else { take }];
        match &mut over {
            None => {
                buf.extend_from_slice(piece);
                if buf.len() > max {
                    over = Some(Oversize {
                        size: buf.len(),
                        head: buf[..OVERSIZE_KEEP.min(buf.len())].to_vec(),
                        tail: buf[buf.len().saturating_sub(OVERSIZE_KEEP)..].to_vec(),
                    });
                    buf.clear();
                }
            }
            Some(o) => {
                o.size += piece.len();
                o.tail.extend_from_slice(piece);
                let cut = o.tail.len().saturating_sub(OVERSIZE_KEEP);
                o.tail.drain(..cut);
            }
        }
        r.consume(take);
        if done {
            return Ok(Some(match over {
                Some(o) => Err(o),
                None => Ok(()),
            }));
        }
    }
}

async fn run(
    label: String,
    max_message: usize,
    mut router: Router,
    mut rx: mpsc::Receiver<MuxMsg>,
    mut ctl_rx: mpsc::UnboundedReceiver<ServerMsg>,
    h: MuxHandle,
    on_event: impl Fn(MuxEvent),
) {
    let mut clients: HashMap<ClientId, Conn> = HashMap::new();
    // Clients moved away whose bridge has not flushed yet: their late lines go back to them.
    let mut gone: HashMap<ClientId, mpsc::UnboundedSender<Back>> = HashMap::new();
    let mut stdin_tx: Option<mpsc::Sender<String>> = None;
    // Which stdout reader is current: an old process's EOF must not take down a new one.
    let mut generation: u64 = 0;
    let (gen_tx, mut gen_rx) = mpsc::channel::<(u64, FromServer)>(1024);
    // A start was asked for the requests held now; asked again only after a process came.
    let mut wanted = false;
    loop {
        let outs = tokio::select! {
            // The supervisor first: a client flood must not delay a new server's stdio.
            biased;
            msg = ctl_rx.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    ServerMsg::Attach { stdin, stdout } => {
                        generation += 1;
                        let io = (stdin, stdout);
                        stdin_tx = attach(io, generation, gen_tx.clone(), &label, max_message);
                        wanted = false;
                        // A new process, even if the old one's output has not ended yet.
                        router.server_up()
                    }
                    ServerMsg::Detach => {
                        stdin_tx = None;
                        Vec::new()
                    }
                    ServerMsg::State { why, hold } => {
                        // The supervisor's word on a missing process: a start asked before it had
                        // seen the exit was ignored (the pid was still there), so ask again.
                        wanted = false;
                        router.server_state(&why, hold)
                    }
                    ServerMsg::Close => break,
                }
            }
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    MuxMsg::ClientJoined { cid, session, contract, tx, moved } => {
                        gone.remove(&cid);
                        clients.insert(cid, Conn { tx, moved });
                        h.sessions.lock().await.insert(cid, session);
                        h.clients.store(clients.len() as u32, Ordering::Relaxed);
                        if let Ok(mut t) = h.changed.lock() { *t = Instant::now(); }
                        router.client_joined_with(cid, contract, Instant::now());
                        Vec::new()
                    }
                    MuxMsg::FromClient { cid, line } if gone.contains_key(&cid) => {
                        if let Some(back) = gone.get(&cid) {
                            let _ = back.send(Back::Line(line));
                        }
                        Vec::new()
                    }
                    MuxMsg::Flush { cid } => {
                        if let Some(back) = gone.remove(&cid) {
                            let _ = back.send(Back::Flushed);
                        }
                        Vec::new()
                    }
                    // A client already dropped (it stopped reading) is not let back in by its lines.
                    MuxMsg::FromClient { cid, .. } if !clients.contains_key(&cid) => Vec::new(),
                    MuxMsg::FromClient { cid, line } => router.from_client(cid, &line, Instant::now()),
                    MuxMsg::Replay { cid, line } => router.replay_initialize(cid, &line),
                    MuxMsg::ClientLeft { cid } => leave(&mut router, &mut clients, &h, cid, &on_event).await,
                }
            }
            Some((g, line)) = gen_rx.recv() => {
                if g != generation {
                    Vec::new()
                } else {
                    match line {
                        FromServer::Line(l) => router.from_server(&l, Instant::now()),
                        FromServer::Over(o) => {
                            tracing::warn!("{label}: a server message of {} bytes exceeds max_message ({max_message})", o.size);
                            router.oversized_from_server(&o, max_message)
                        }
                        FromServer::Eof => {
                            // The server's stdout closed: it exited (or is exiting).
                            stdin_tx = None;
                            router.server_down("the server exited")
                        }
                    }
                }
            }
        };
        let mut stuck = Vec::new();
        let mut moved = Vec::new();
        for out in outs {
            match out {
                Out::ToServer(line) => {
                    if let Some(tx) = &stdin_tx
                        && tx.try_send(line).is_err()
                    {
                        tracing::warn!(
                            "{label}: the server is not reading its stdin; a message was dropped"
                        );
                    }
                }
                Out::ToClient(cid, line) => {
                    if let Some(c) = clients.get(&cid)
                        && c.tx.try_send(line).is_err()
                    {
                        stuck.push(cid);
                    }
                }
                Out::Move(cid, m) => moved.push((cid, m)),
                Out::Roots(r) => on_event(MuxEvent::Roots(r)),
            }
        }
        for (cid, line) in moved {
            // The router already forgot it; the bridge joins another instance with this line.
            if let Some(c) = clients.get(&cid) {
                let _ = c.moved.send(Back::Moved(line));
                gone.insert(cid, c.moved.clone());
            }
            let _ = leave(&mut router, &mut clients, &h, cid, &on_event).await;
        }
        for cid in stuck {
            tracing::warn!("{label}: client {cid} is not reading; disconnecting it");
            let outs = leave(&mut router, &mut clients, &h, cid, &on_event).await;
            for out in outs {
                if let (Out::ToServer(line), Some(tx)) = (out, &stdin_tx) {
                    let _ = tx.try_send(line);
                }
            }
        }
        if router.holding() && !wanted {
            wanted = true;
            on_event(MuxEvent::Wanted);
        }
    }
}

/// A connected client's two channels.
struct Conn {
    tx: mpsc::Sender<String>,
    moved: mpsc::UnboundedSender<Back>,
}

async fn leave(
    router: &mut Router,
    clients: &mut HashMap<ClientId, Conn>,
    h: &MuxHandle,
    cid: ClientId,
    on_event: &impl Fn(MuxEvent),
) -> Vec<Out> {
    if clients.remove(&cid).is_none() {
        return Vec::new();
    }
    h.sessions.lock().await.remove(&cid);
    h.clients.store(clients.len() as u32, Ordering::Relaxed);
    if let Ok(mut t) = h.changed.lock() {
        *t = Instant::now();
    }
    let outs = router.client_left(cid);
    if clients.is_empty() {
        on_event(MuxEvent::Empty);
    }
    outs
}

/// Starts a writer for the server's stdin and a reader for its stdout; returns the writer's queue.
fn attach(
    (stdin, stdout): (std::process::ChildStdin, std::process::ChildStdout),
    generation: u64,
    lines: mpsc::Sender<(u64, FromServer)>,
    label: &str,
    max_message: usize,
) -> Option<mpsc::Sender<String>> {
    let writer = pipe::Sender::from_owned_fd(std::os::fd::OwnedFd::from(stdin)).ok()?;
    let reader = pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(stdout)).ok()?;
    let (tx, mut rx) = mpsc::channel::<String>(4096);
    tokio::spawn(async move {
        let mut w = writer;
        while let Some(mut line) = rx.recv().await {
            line.push('\n');
            if w.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
        // Dropping the writer closes the server's stdin: the MCP stdio shutdown's first step.
    });
    let label = label.to_string();
    tokio::spawn(async move {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            let msg = match read_line(&mut r, &mut buf, max_message).await {
                Ok(Some(Ok(()))) => FromServer::Line(String::from_utf8_lossy(&buf).into_owned()),
                Ok(Some(Err(over))) => FromServer::Over(over),
                Ok(None) | Err(_) => {
                    let _ = lines.send((generation, FromServer::Eof)).await;
                    tracing::debug!("{label}: server stdout closed");
                    return;
                }
            };
            if lines.send((generation, msg)).await.is_err() {
                return;
            }
        }
    });
    Some(tx)
}
