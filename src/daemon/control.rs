//! The control socket: `<runtime dir>/mcpd.sock`, mode 0600 in a 0700 directory. Each connection
//! carries one request line and gets one response line. The peer's uid (SO_PEERCRED) must be ours;
//! lines are capped and timed; garbage gets an error answer. No client can stop the daemon but by
//! asking it to.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::protocol::{MAX_MESSAGE, READ_TIMEOUT, Request, Response, decode_request};

/// A request handed to the supervisor, with where to send the answer.
pub type Incoming = (Request, oneshot::Sender<Response>);

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

async fn reply(stream: &mut UnixStream, r: &Response) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(r).unwrap_or_default();
    line.push(b'\n');
    stream.write_all(&line).await
}

async fn handle(
    mut stream: UnixStream,
    to_sup: mpsc::Sender<Incoming>,
    my_uid: u32,
) -> std::io::Result<()> {
    match stream.peer_cred() {
        Ok(c) if c.uid() == my_uid => {}
        Ok(c) => {
            tracing::warn!("refused a control connection from uid {}", c.uid());
            return reply(
                &mut stream,
                &Response::Error {
                    message: "permission denied: not the daemon's user".into(),
                },
            )
            .await;
        }
        Err(e) => return Err(e),
    }
    let mut line = Vec::new();
    let read = {
        let mut limited = BufReader::new((&mut stream).take(MAX_MESSAGE as u64 + 1));
        tokio::time::timeout(READ_TIMEOUT, limited.read_until(b'\n', &mut line)).await
    };
    let request = match read {
        Err(_) => {
            return reply(
                &mut stream,
                &Response::Error {
                    message: "timed out waiting for a whole request line".into(),
                },
            )
            .await;
        }
        Ok(Err(e)) => return Err(e),
        Ok(Ok(_)) if line.len() > MAX_MESSAGE => {
            return reply(
                &mut stream,
                &Response::Error {
                    message: format!("request longer than {MAX_MESSAGE} bytes"),
                },
            )
            .await;
        }
        Ok(Ok(_)) if !line.ends_with(b"\n") => {
            return reply(
                &mut stream,
                &Response::Error {
                    message: "incomplete request (no newline)".into(),
                },
            )
            .await;
        }
        Ok(Ok(_)) => match decode_request(&line) {
            Ok(r) => r,
            Err(message) => return reply(&mut stream, &Response::Error { message }).await,
        },
    };
    let (tx, rx) = oneshot::channel();
    if to_sup.send((request, tx)).await.is_err() {
        return reply(
            &mut stream,
            &Response::Error {
                message: "the daemon is shutting down".into(),
            },
        )
        .await;
    }
    let answer = rx.await.unwrap_or(Response::Error {
        message: "the daemon dropped the request".into(),
    });
    reply(&mut stream, &answer).await
}
