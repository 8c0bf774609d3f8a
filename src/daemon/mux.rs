//! The multiplexer's imperative shell: one task per supervised server instance, between the server's
//! stdin/stdout and any number of `mcpd connect` bridges. Every decision is the pure [`Router`]'s; this
//! task only moves lines. A slow client never stalls the others: each client has its own bounded
//! queue and writer, and a client whose queue is full is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::{Mutex, mpsc};

use super::router::{ClientId, Out, Router};

/// The longest JSON-RPC line accepted from a client or a server.
pub const MAX_LINE: usize = 16 << 20;
/// Lines queued for one client before it counts as stuck and is dropped.
const CLIENT_QUEUE: usize = 4096;

/// What a client connection tells the task.
pub enum MuxMsg {
    /// A client connected; `tx` carries lines to it.
    ClientJoined {
        cid: ClientId,
        session: Option<String>,
        tx: mpsc::Sender<String>,
    },
    FromClient {
        cid: ClientId,
        line: String,
    },
    Oversized {
        cid: ClientId,
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

/// Starts the multiplexer task for `label` (logs name it). `on_empty` is told when the last client
/// leaves.
pub fn spawn(label: String, on_empty: impl Fn() + Send + Sync + 'static) -> MuxHandle {
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
    tokio::spawn(async move { run(label, rx, ctl_rx, h, on_empty).await });
    handle
}

/// Reads lines of at most [`MAX_LINE`] bytes; `Ok(None)` at EOF, `Err(())` for an oversized line (the
/// rest of it is skipped).
pub async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(if buf.is_empty() && !too_long {
                None
            } else {
                Some(!too_long)
            });
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            buf.extend_from_slice(&chunk[..take]);
            if buf.len() > MAX_LINE {
                too_long = true;
                buf.clear();
            }
        }
        r.consume(take);
        if done {
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            return Ok(Some(!too_long));
        }
    }
}

async fn run(
    label: String,
    mut rx: mpsc::Receiver<MuxMsg>,
    mut ctl_rx: mpsc::UnboundedReceiver<ServerMsg>,
    h: MuxHandle,
    on_empty: impl Fn(),
) {
    let mut router = Router::new();
    let mut clients: HashMap<ClientId, mpsc::Sender<String>> = HashMap::new();
    let mut stdin_tx: Option<mpsc::Sender<String>> = None;
    // Which stdout reader is current: an old process's EOF must not take down a new one.
    let mut generation: u64 = 0;
    let (gen_tx, mut gen_rx) = mpsc::channel::<(u64, Option<String>)>(1024);
    let mut server_attached = false;
    loop {
        let outs = tokio::select! {
            // The supervisor first: a client flood must not delay a new server's stdio.
            biased;
            msg = ctl_rx.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    ServerMsg::Attach { stdin, stdout } => {
                        generation += 1;
                        stdin_tx = attach(stdin, stdout, generation, gen_tx.clone(), &label);
                        let was = server_attached;
                        server_attached = true;
                        if was { Vec::new() } else { router.server_up() }
                    }
                    ServerMsg::Detach => {
                        stdin_tx = None;
                        Vec::new()
                    }
                }
            }
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                match msg {
                    MuxMsg::ClientJoined { cid, session, tx } => {
                        clients.insert(cid, tx);
                        h.sessions.lock().await.insert(cid, session);
                        h.clients.store(clients.len() as u32, Ordering::Relaxed);
                        if let Ok(mut t) = h.changed.lock() { *t = Instant::now(); }
                        router.client_joined(cid, Instant::now());
                        Vec::new()
                    }
                    // A client already dropped (it stopped reading) is not let back in by its lines.
                    MuxMsg::FromClient { cid, .. } | MuxMsg::Oversized { cid } if !clients.contains_key(&cid) => Vec::new(),
                    MuxMsg::FromClient { cid, line } => router.from_client(cid, &line, Instant::now()),
                    MuxMsg::Oversized { cid } => router.oversized_from_client(cid),
                    MuxMsg::ClientLeft { cid } => leave(&mut router, &mut clients, &h, cid, &on_empty).await,
                }
            }
            Some((g, line)) = gen_rx.recv() => {
                if g != generation {
                    Vec::new()
                } else {
                    match line {
                        Some(l) => router.from_server(&l, Instant::now()),
                        None => {
                            // The server's stdout closed: it exited (or is exiting).
                            stdin_tx = None;
                            server_attached = false;
                            router.server_down("the server exited")
                        }
                    }
                }
            }
        };
        let mut stuck = Vec::new();
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
                    if let Some(tx) = clients.get(&cid)
                        && tx.try_send(line).is_err()
                    {
                        stuck.push(cid);
                    }
                }
            }
        }
        for cid in stuck {
            tracing::warn!("{label}: client {cid} is not reading; disconnecting it");
            let outs = leave(&mut router, &mut clients, &h, cid, &on_empty).await;
            for out in outs {
                if let (Out::ToServer(line), Some(tx)) = (out, &stdin_tx) {
                    let _ = tx.try_send(line);
                }
            }
        }
    }
}

async fn leave(
    router: &mut Router,
    clients: &mut HashMap<ClientId, mpsc::Sender<String>>,
    h: &MuxHandle,
    cid: ClientId,
    on_empty: &impl Fn(),
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
        on_empty();
    }
    outs
}

/// Starts a writer for the server's stdin and a reader for its stdout; returns the writer's queue.
fn attach(
    stdin: std::process::ChildStdin,
    stdout: std::process::ChildStdout,
    generation: u64,
    lines: mpsc::Sender<(u64, Option<String>)>,
    label: &str,
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
            match read_line(&mut r, &mut buf).await {
                Ok(Some(true)) => {
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    if lines.send((generation, Some(line))).await.is_err() {
                        return;
                    }
                }
                Ok(Some(false)) => {
                    tracing::warn!("{label}: dropped a server line longer than {MAX_LINE} bytes")
                }
                Ok(None) | Err(_) => {
                    let _ = lines.send((generation, None)).await;
                    return;
                }
            }
        }
    });
    Some(tx)
}

/// Serves one bridge connection: lines from the socket to the mux, lines from the mux to the socket.
/// `r` may hold bytes the client sent right after its connect request.
pub async fn serve_client(
    mut r: BufReader<tokio::net::unix::OwnedReadHalf>,
    mut write: tokio::net::unix::OwnedWriteHalf,
    cid: ClientId,
    session: Option<String>,
    mux: mpsc::Sender<MuxMsg>,
) {
    let (tx, mut rx) = mpsc::channel::<String>(CLIENT_QUEUE);
    if mux
        .send(MuxMsg::ClientJoined { cid, session, tx })
        .await
        .is_err()
    {
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(mut line) = rx.recv().await {
            line.push('\n');
            if write.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = write.shutdown().await;
    });
    let mut buf = Vec::new();
    loop {
        match read_line(&mut r, &mut buf).await {
            Ok(Some(true)) => {
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let line = String::from_utf8_lossy(&buf).into_owned();
                if mux.send(MuxMsg::FromClient { cid, line }).await.is_err() {
                    break;
                }
            }
            Ok(Some(false)) => {
                let _ = mux.send(MuxMsg::Oversized { cid }).await;
            }
            Ok(None) | Err(_) => break,
        }
    }
    let _ = mux.send(MuxMsg::ClientLeft { cid }).await;
    let _ = writer.await;
}
