//! The control socket: `<runtime dir>/mcpd.sock`, mode 0600 in a 0700 directory. Each connection
//! carries one request line and gets one response line. The peer's uid (SO_PEERCRED) must be ours;
//! lines are capped and timed; garbage gets an error answer. No client can stop the daemon but by
//! asking it to.

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

/// Accepts connections until the listener fails.
pub async fn serve(listener: UnixListener, to_sup: mpsc::Sender<Incoming>) {
    let my_uid = nix::unistd::getuid().as_raw();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let to_sup = to_sup.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, to_sup, my_uid).await {
                tracing::debug!("control connection: {e}");
            }
        });
    }
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
) -> std::io::Result<()> {
    let cred = stream.peer_cred();
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
    let request = match read_request(&mut rd).await {
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
            reply(&mut wr, &Response::Ok { message }).await?;
            super::bridge::run(rd, wr, ticket, to_sup).await;
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
