//! One `mcpd connect` connection after its `connect` request was accepted: read the client's first
//! JSON-RPC message, derive its [`Contract`], ask the supervisor for an instance that honours it,
//! then relay lines between the socket and that instance's multiplexer. When the multiplexer finds
//! that the client's contract is not the instance's (a stateless-era probe followed by
//! `initialize`; roots that differ from the instance's), the client is moved: it leaves that
//! instance and joins another, taking its unhandled lines along.

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use super::contract::Contract;
use super::control::{Answer, Call, Incoming};
use super::mux::queue::{self, ClientLimits, Inflight, LineTx};
use super::mux::{Back, MuxMsg, read_line};
use super::router::{ClientId, Moved, wire};
/// Moves between instances allowed per connection (a probe then a handshake needs one).
const MAX_MOVES: usize = 4;

/// What the supervisor handed over with its `Ok`: enough to join an instance later.
#[derive(Clone, Debug)]
pub struct Ticket {
    pub server: String,
    /// The server's session (session-scoped servers), resolved.
    pub session: Option<String>,
    /// The bridge's own tmux session (None: outside tmux).
    pub client_session: Option<String>,
    pub cid: ClientId,
    /// `max_message` of the server: the longest line accepted either way.
    pub max_message: usize,
    /// Its queue's byte budget and stall timeout (`[daemon]`).
    pub limits: ClientLimits,
}

/// A line read from the client, holding its bytes of the client's in-flight budget.
type Held = (String, Option<OwnedSemaphorePermit>);

/// Runs the connection to its end. `r` may hold bytes sent right behind the connect request;
/// `pid` is the bridge process's (for the journal).
pub async fn run(
    mut r: BufReader<OwnedReadHalf>,
    mut write: OwnedWriteHalf,
    ticket: Ticket,
    pid: Option<i32>,
    to_sup: mpsc::Sender<Incoming>,
) {
    let cid = ticket.cid;
    let (tx, rx) = queue::channel(ticket.limits.buffer);
    let (move_tx, mut move_rx) = mpsc::unbounded_channel::<Back>();
    let mut writer = tokio::spawn(async move {
        let closed = rx.write_all_to(&mut write).await;
        if let Some(why) = closed {
            tracing::debug!("client connection closed: {why}");
        }
        let _ = write.shutdown().await;
    });
    // Lines are read by their own task: a move (below) must never cut a line in half. Lines read
    // and not yet handled are bounded in bytes by the client's budget.
    let (line_tx, mut lines) = mpsc::channel::<Held>(64);
    let reader = {
        let (ticket, tx) = (ticket.clone(), tx.clone());
        let inflight = Inflight::new(ticket.limits.buffer);
        tokio::spawn(async move {
            let mut buf = Vec::new();
            while let Some(line) = next_line(&mut r, &mut buf, &ticket, &tx).await {
                let held = inflight.take(line.len()).await;
                if line_tx.send((line, held)).await.is_err() {
                    break;
                }
            }
        })
    };
    let mut next: Option<Moved> = None;
    let mut mux: Option<mpsc::Sender<MuxMsg>> = None;
    for _ in 0..MAX_MOVES {
        // What decides the contract: what the move brought, or the first line.
        let moved = match next.take() {
            Some(m) => m,
            None => match lines.recv().await {
                Some((l, _)) => Moved {
                    lines: vec![l],
                    ..Moved::default()
                },
                None => break,
            },
        };
        let Some(first) = moved.init.as_ref().or(moved.lines.first()).cloned() else {
            break;
        };
        let mut contract = Contract::of_first_line(&first);
        contract.known_roots = moved.roots.clone();
        let (atx, arx) = oneshot::channel();
        let call = Call::Join(Box::new((ticket.clone(), contract.clone())));
        if to_sup.send((call, atx)).await.is_err() {
            break;
        }
        let joined = match arx.await {
            Ok(Answer::Attach { mux, .. }) => mux,
            Ok(Answer::Response(super::protocol::Response::Error { message })) => {
                // The connect was accepted, so the client speaks JSON-RPC now: answer in kind.
                for line in &moved.lines {
                    if let Some(id) = wire::request_id_of(line) {
                        let _ = tx.try_send(wire::error_line(&id, wire::INTERNAL_ERROR, &message));
                    }
                }
                break;
            }
            _ => break,
        };
        let msg = MuxMsg::ClientJoined {
            cid,
            session: ticket.client_session.clone(),
            contract,
            tx: tx.clone(),
            moved: move_tx.clone(),
            limits: ticket.limits.clone(),
            pid,
        };
        if joined.send(msg).await.is_err() {
            break;
        }
        let mut sent = true;
        if let Some(line) = moved.init {
            sent &= joined.send(MuxMsg::Replay { cid, line }).await.is_ok();
        }
        for line in moved.lines {
            let msg = MuxMsg::FromClient {
                cid,
                line,
                held: None,
            };
            sent &= joined.send(msg).await.is_ok();
        }
        if !sent {
            break;
        }
        mux = Some(joined.clone());
        loop {
            tokio::select! {
                back = move_rx.recv() => {
                    let Some(Back::Moved(mut m)) = back else { continue };
                    // The mux already let us go. Lines sent to it since come back, in order,
                    // before the flush answer: they go to the next instance after the held ones.
                    if joined.send(MuxMsg::Flush { cid }).await.is_ok() {
                        while let Some(b) = move_rx.recv().await {
                            match b {
                                Back::Line(l) => m.lines.push(l),
                                Back::Flushed => break,
                                Back::Moved(_) => {}
                            }
                        }
                    }
                    next = Some(m);
                    mux = None;
                    break;
                }
                line = lines.recv() => match line {
                    Some((line, held)) => {
                        if joined.send(MuxMsg::FromClient { cid, line, held }).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                // The writer stopped: the client was disconnected (or its socket failed).
                _ = &mut writer => break,
            }
        }
        if next.is_none() {
            break;
        }
    }
    reader.abort();
    if let Some(m) = mux {
        let _ = m.send(MuxMsg::ClientLeft { cid }).await;
    }
    drop(tx);
    if !writer.is_finished() {
        let _ = writer.await;
    }
}

/// The next non-blank line from the client; an oversized one is answered here (a JSON-RPC error
/// naming its size and the limit) and skipped. None at EOF or on a read error.
async fn next_line(
    r: &mut BufReader<OwnedReadHalf>,
    buf: &mut Vec<u8>,
    ticket: &Ticket,
    tx: &LineTx,
) -> Option<String> {
    loop {
        match read_line(r, buf, ticket.max_message).await {
            Ok(Some(Ok(()))) => {
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(String::from_utf8_lossy(buf).into_owned());
            }
            Ok(Some(Err(over))) => {
                let line = wire::oversized_error(&over, ticket.max_message);
                let _ = tx.try_send(line);
            }
            Ok(None) | Err(_) => return None,
        }
    }
}
