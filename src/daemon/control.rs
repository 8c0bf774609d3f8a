//! The control socket: `<runtime dir>/mcpd.sock`, mode 0600 in a 0700 directory. Each connection
//! carries one request line and gets one response line. The peer's uid (SO_PEERCRED) must be ours;
//! lines are capped and timed; garbage gets an error answer. No client can stop the daemon but by
//! asking it to.
//!
//! Descriptors are bounded ([`Slots`]): at most [`MAX_CONNECTIONS`] connections wait for or are
//! served a request, and a bridge limit derived from the descriptor limit. At the limit the oldest
//! connection that has not sent its request yet is closed with a "busy" answer, so idle
//! connections can never lock out a real request; when every slot is serving a request, the new
//! connection gets the "busy" answer. A request line must arrive within [`READ_TIMEOUT`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::bridge::Ticket;
use super::contract::Contract;
use super::mux::MuxMsg;
use super::protocol::{MAX_MESSAGE, READ_TIMEOUT, Request, Response, decode_request};

/// The supervisor's answer: a response, a bridge let in (for `connect`), or the multiplexer of the
/// instance a bridge joins.
pub enum Answer {
    Response(Response),
    /// `connect` accepted: the bridge reads the client's first message, then asks to join.
    Lobby {
        message: String,
        ticket: Ticket,
    },
    Attach {
        mux: mpsc::Sender<MuxMsg>,
    },
}

/// What reaches the supervisor: a control request from the socket, or a bridge asking for an
/// instance for its client's contract.
pub enum Call {
    Socket(Request),
    Join(Box<(Ticket, Contract)>),
}

impl From<Response> for Answer {
    fn from(r: Response) -> Answer {
        Answer::Response(r)
    }
}

/// A request handed to the supervisor, with where to send the answer.
pub type Incoming = (Call, oneshot::Sender<Answer>);

/// Control connections (not bridges) open at once, at most.
pub const MAX_CONNECTIONS: usize = 128;

/// The open connections: who may be closed to make room, and how many bridges there are.
#[derive(Debug)]
pub struct Slots {
    state: Mutex<SlotState>,
    /// A slot was given back.
    freed: tokio::sync::Notify,
    max_connections: usize,
    max_bridges: usize,
}

#[derive(Debug, Default)]
struct SlotState {
    next: u64,
    /// Connections holding a control slot.
    open: usize,
    /// Those still waiting for their request line, oldest first: closed to make room.
    idle: BTreeMap<u64, oneshot::Sender<()>>,
    /// Told to close, not closed yet: their slots are still held.
    evicted: BTreeSet<u64>,
    bridges: usize,
}

/// What a new connection may do.
enum Admit {
    /// Served; `evicted` fires if it is closed to make room while it is idle.
    In(Slot, oneshot::Receiver<()>),
    /// Every slot is serving a request: answered "busy" and closed.
    Busy,
    /// An idle connection is being closed to make room: try again when a slot is freed.
    Wait,
}

/// A connection's hold on a slot, given back when dropped.
struct Slot {
    id: u64,
    slots: Arc<Slots>,
    bridge: bool,
}

impl Slots {
    /// Limits for a daemon allowed `nofile` descriptors: bridges get what the control slots, the
    /// servers' pipes and the sweeps leave.
    pub fn new(max_connections: usize, nofile: usize) -> Arc<Slots> {
        let max_bridges = (nofile.saturating_sub(256 + max_connections) / 2).clamp(16, 8192);
        Arc::new(Slots {
            state: Mutex::new(SlotState::default()),
            freed: tokio::sync::Notify::new(),
            max_connections,
            max_bridges,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn admit(self: &Arc<Self>) -> Admit {
        let mut s = self.lock();
        if s.open >= self.max_connections {
            if !s.evicted.is_empty() {
                return Admit::Wait;
            }
            // The oldest idle connection makes room; it is answered "busy" by its own task, and
            // its slot is held until it is closed (descriptors stay bounded).
            let Some((id, evict)) = s.idle.pop_first() else {
                return Admit::Busy;
            };
            let _ = evict.send(());
            s.evicted.insert(id);
            return Admit::Wait;
        }
        s.next += 1;
        s.open += 1;
        let id = s.next;
        let (tx, rx) = oneshot::channel();
        s.idle.insert(id, tx);
        let slot = Slot {
            id,
            slots: self.clone(),
            bridge: false,
        };
        Admit::In(slot, rx)
    }

    /// Connections and bridges open now.
    pub fn open(&self) -> (usize, usize) {
        let s = self.lock();
        (s.open, s.bridges)
    }
}

impl Slot {
    /// Its request line came: no longer idle, so never closed to make room.
    fn busy(&self) {
        self.slots.lock().idle.remove(&self.id);
    }

    /// It becomes a bridge: its control slot is free again; false when there are too many bridges.
    fn become_bridge(&mut self) -> bool {
        let mut s = self.slots.lock();
        if s.bridges >= self.slots.max_bridges {
            return false;
        }
        s.bridges += 1;
        s.open -= 1;
        s.idle.remove(&self.id);
        self.bridge = true;
        true
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut s = self.slots.lock();
        if self.bridge {
            s.bridges -= 1;
        } else {
            s.open -= 1;
            s.idle.remove(&self.id);
            s.evicted.remove(&self.id);
        }
        drop(s);
        self.slots.freed.notify_one();
    }
}

/// The soft limit on open descriptors (1024, the usual default, when it cannot be read).
fn nofile() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

/// Accepts connections until the listener fails.
pub async fn serve(listener: UnixListener, to_sup: mpsc::Sender<Incoming>) {
    serve_with(listener, to_sup, Slots::new(MAX_CONNECTIONS, nofile())).await
}

/// [`serve`] with these limits.
pub async fn serve_with(listener: UnixListener, to_sup: mpsc::Sender<Incoming>, slots: Arc<Slots>) {
    let my_uid = nix::unistd::getuid().as_raw();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors (or memory): wait for connections to end rather than spin.
                tracing::warn!("control socket: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let admitted = loop {
            match slots.admit() {
                Admit::In(slot, evicted) => break Some((slot, evicted)),
                Admit::Busy => break None,
                Admit::Wait => slots.freed.notified().await,
            }
        };
        let Some((slot, evicted)) = admitted else {
            busy(&stream, slots.max_connections);
            continue;
        };
        let to_sup = to_sup.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, to_sup, my_uid, slot, evicted).await {
                tracing::debug!("control connection: {e}");
            }
        });
    }
}

/// How a "busy" answer begins: the request was not read, so a client may send it again.
pub const BUSY: &str = "the daemon is busy";

/// The answer of a connection that cannot be served now.
fn busy_message(max: usize) -> String {
    format!(
        "{BUSY}: {max} control connections are open (the limit); try again, or look for a program holding connections to its socket"
    )
}

/// Answers "busy" without waiting (a new connection's buffer takes the line) and closes.
fn busy(stream: &UnixStream, max: usize) {
    let answer = Response::Error {
        message: busy_message(max),
    };
    let mut line = serde_json::to_vec(&answer).unwrap_or_default();
    line.push(b'\n');
    let _ = stream.try_write(&line);
}

async fn reply(w: &mut OwnedWriteHalf, r: &Response) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(r).unwrap_or_default();
    line.push(b'\n');
    w.write_all(&line).await
}

/// Reads the request line: at most [`MAX_MESSAGE`] bytes, within [`READ_TIMEOUT`]. Bytes after it stay
/// in the reader (a bridge may send JSON-RPC right behind its connect request).
async fn read_request(r: &mut BufReader<OwnedReadHalf>) -> Result<Vec<u8>, String> {
    let mut line = Vec::new();
    let read = async {
        loop {
            let chunk = r.fill_buf().await.map_err(|e| e.to_string())?;
            if chunk.is_empty() {
                return Err("incomplete request (no newline)".to_string());
            }
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            line.extend_from_slice(&chunk[..take]);
            r.consume(take);
            if line.len() > MAX_MESSAGE {
                return Err(format!("request longer than {MAX_MESSAGE} bytes"));
            }
            if done {
                return Ok(());
            }
        }
    };
    match tokio::time::timeout(READ_TIMEOUT, read).await {
        Err(_) => Err("timed out waiting for a whole request line".into()),
        Ok(Err(e)) => Err(e),
        Ok(Ok(())) => Ok(line),
    }
}

async fn handle(
    stream: UnixStream,
    to_sup: mpsc::Sender<Incoming>,
    my_uid: u32,
    mut slot: Slot,
    evicted: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let cred = stream.peer_cred();
    let pid = cred.as_ref().ok().and_then(|c| c.pid());
    let (rd, mut wr) = stream.into_split();
    match cred {
        Ok(c) if c.uid() == my_uid => {}
        Ok(c) => {
            tracing::warn!("refused a control connection from uid {}", c.uid());
            return reply(
                &mut wr,
                &Response::Error {
                    message: "permission denied: not the daemon's user".into(),
                },
            )
            .await;
        }
        Err(e) => return Err(e),
    }
    let mut rd = BufReader::new(rd);
    let read = tokio::select! {
        r = read_request(&mut rd) => r,
        _ = evicted => {
            let message = format!(
                "{} (this connection sent no request and was closed to make room)",
                busy_message(slot.slots.max_connections)
            );
            return reply(&mut wr, &Response::Error { message }).await;
        }
    };
    slot.busy();
    let request = match read {
        Ok(line) => match decode_request(&line) {
            Ok(r) => r,
            Err(message) => return reply(&mut wr, &Response::Error { message }).await,
        },
        Err(message) => return reply(&mut wr, &Response::Error { message }).await,
    };
    let (tx, rx) = oneshot::channel();
    if to_sup.send((Call::Socket(request), tx)).await.is_err() {
        return reply(
            &mut wr,
            &Response::Error {
                message: "the daemon is shutting down".into(),
            },
        )
        .await;
    }
    match rx.await {
        Ok(Answer::Response(r)) => reply(&mut wr, &r).await,
        Ok(Answer::Lobby { message, ticket }) => {
            if !slot.become_bridge() {
                let message = format!(
                    "too many `mcpd connect` clients ({}, from the daemon's descriptor limit); close some agents or raise `ulimit -n` and restart the daemon",
                    slot.slots.max_bridges
                );
                return reply(&mut wr, &Response::Error { message }).await;
            }
            reply(&mut wr, &Response::Ok { message }).await?;
            super::bridge::run(rd, wr, ticket, pid, to_sup).await;
            drop(slot);
            Ok(())
        }
        Ok(Answer::Attach { .. }) => Ok(()),
        Err(_) => {
            reply(
                &mut wr,
                &Response::Error {
                    message: "the daemon dropped the request".into(),
                },
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(a: Admit) -> (Slot, oneshot::Receiver<()>) {
        match a {
            Admit::In(s, e) => (s, e),
            Admit::Busy => panic!("busy"),
            Admit::Wait => panic!("wait"),
        }
    }

    #[test]
    fn at_the_limit_the_oldest_idle_connection_makes_room_and_busy_ones_are_never_closed() {
        let slots = Slots::new(2, 1024);
        let (a, mut a_evicted) = admitted(slots.admit());
        let (b, _b_evicted) = admitted(slots.admit());
        // Full: the oldest idle connection is told to close; its slot is held until it has.
        assert!(matches!(slots.admit(), Admit::Wait));
        assert!(a_evicted.try_recv().is_ok());
        assert!(
            matches!(slots.admit(), Admit::Wait),
            "one eviction at a time"
        );
        assert_eq!(slots.open(), (2, 0));
        drop(a);
        let (c, _c_evicted) = admitted(slots.admit());
        // Connections serving a request are never closed: the newcomer is told "busy".
        b.busy();
        c.busy();
        assert!(matches!(slots.admit(), Admit::Busy));
        drop(b);
        let (_d, _) = admitted(slots.admit());
        assert_eq!(slots.open(), (2, 0));
    }

    #[test]
    fn a_bridge_gives_back_its_control_slot_and_bridges_are_limited_too() {
        let slots = Slots::new(2, 0);
        assert_eq!(
            slots.max_bridges, 16,
            "a floor whatever the descriptor limit"
        );
        let mut bridges = Vec::new();
        for _ in 0..16 {
            let (mut s, _) = admitted(slots.admit());
            assert!(s.become_bridge());
            bridges.push(s);
        }
        assert_eq!(slots.open(), (0, 16));
        let (mut s, _) = admitted(slots.admit());
        assert!(!s.become_bridge(), "over the bridge limit");
        drop(s);
        bridges.pop();
        assert_eq!(slots.open(), (0, 15));
    }
}
