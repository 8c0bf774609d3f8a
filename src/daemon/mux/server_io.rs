//! The server process's side of the multiplexer: a writer for its stdin fed by a byte-budgeted
//! queue, and a reader for its stdout whose lines in flight toward the multiplexer are bounded in
//! bytes too (a server that writes faster than its clients read never grows the daemon).

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::queue::{self, Inflight, LineTx};
use crate::daemon::router::wire::{OVERSIZE_KEEP, Oversize};

/// Bytes queued for a server's stdin at most (one message of any size always fits an empty
/// queue); past it a line is refused and its sender answered at once.
pub const STDIN_BUDGET: usize = 16 << 20;
/// Bytes read from a server's stdout and not yet handled, at most (plus one message).
pub const STDOUT_BUDGET: usize = 16 << 20;

/// A line from the server's stdout reader.
pub(super) enum FromServer {
    Line(String),
    Over(Oversize),
    Eof,
}

/// What the reader hands over: which process, what it said, and the bytes it holds of the budget.
pub(super) type Read = (u64, FromServer, Option<OwnedSemaphorePermit>);

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

/// Starts a writer for the server's stdin (fed by a queue of `stdin_budget` bytes) and a reader for
/// its stdout; returns the writer's queue, or None when the pipes cannot be registered.
pub(super) fn attach(
    (stdin, stdout): (std::process::ChildStdin, std::process::ChildStdout),
    generation: u64,
    lines: mpsc::Sender<Read>,
    label: &str,
    max_message: usize,
    stdin_budget: usize,
) -> Option<LineTx> {
    let writer = pipe::Sender::from_owned_fd(std::os::fd::OwnedFd::from(stdin)).ok()?;
    let reader = pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(stdout)).ok()?;
    let (tx, rx) = queue::channel(stdin_budget);
    tokio::spawn(async move {
        let mut w = writer;
        // Dropping the writer closes the server's stdin: the MCP stdio shutdown's first step.
        let _ = rx.write_all_to(&mut w).await;
    });
    let label = label.to_string();
    let inflight = Inflight::new(STDOUT_BUDGET);
    tokio::spawn(async move {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            let (msg, size) = match read_line(&mut r, &mut buf, max_message).await {
                Ok(Some(Ok(()))) => (
                    FromServer::Line(String::from_utf8_lossy(&buf).into_owned()),
                    buf.len(),
                ),
                Ok(Some(Err(over))) => (FromServer::Over(over), OVERSIZE_KEEP * 2),
                Ok(None) | Err(_) => {
                    let _ = lines.send((generation, FromServer::Eof, None)).await;
                    tracing::debug!("{label}: server stdout closed");
                    return;
                }
            };
            // The read buffer keeps its capacity: give back what one long line left behind.
            if buf.capacity() > 1 << 20 {
                buf = Vec::new();
            }
            let permit = inflight.take(size).await;
            if lines.send((generation, msg, permit)).await.is_err() {
                return;
            }
        }
    });
    Some(tx)
}
