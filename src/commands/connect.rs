//! `mcpd connect SERVER [--session NAME]`: the stdio bridge an agent's MCP config runs instead of the
//! server itself. It asks the daemon (started if needed) for the server, then relays bytes: stdin to
//! the daemon, the daemon to stdout. It holds no state and parses nothing, so it stays small; the
//! daemon's multiplexer does the sharing.
//!
//! Its memory is bounded: a stdin line longer than the server's `max_message` is not buffered
//! (only its size and ends are kept), and is answered on stdout with a JSON-RPC error naming its
//! size and the limit, and on stderr. When the agent leaves the bridge's stdout unread for the
//! daemon's `slow_client_timeout`, the bridge says so on stderr and exits (the daemon drops it too).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cli::{GlobalArgs, ServerArgs};
use crate::daemon::client::socket_path;
use crate::daemon::protocol::{MAX_MESSAGE, Request, Response, encode_request};
use crate::daemon::router::wire::{OVERSIZE_KEEP, Oversize, oversized_error};

/// The bridge's own tmux session, from `$TMUX`/`$TMUX_PANE` (None outside tmux).
fn own_session() -> Option<String> {
    let tag = crate::procs::environ::TmuxTag::parse(&std::env::var("TMUX").ok()?)?;
    let pane = std::env::var("TMUX_PANE").ok();
    crate::tmux::Tmux::at(tag.socket.into())
        .pane_session(pane.as_deref())
        .ok()
        .filter(|name| !name.is_empty())
}

pub fn run(g: &GlobalArgs, a: ServerArgs) -> anyhow::Result<i32> {
    let env = super::env(g)?;
    if !env.config.servers.contains_key(&a.server) {
        anyhow::bail!(
            "no server named {:?} in {}",
            a.server,
            env.paths.config_file.display()
        );
    }
    super::daemon::ensure_running(g, &env.paths)?;
    let sock = socket_path(&env.paths);
    let mut stream = UnixStream::connect(&sock)
        .with_context(|| format!("cannot reach the daemon at {}", sock.display()))?;
    let req = Request::Connect {
        server: a.server.clone(),
        session: a.session,
        client_session: own_session(),
    };
    stream.write_all(encode_request(&req).as_bytes())?;
    // The answer line, read byte by byte so nothing of the server's stream is taken with it.
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() <= MAX_MESSAGE {
        match stream.read(&mut byte)? {
            0 => break,
            _ if byte[0] == b'\n' => break,
            _ => line.push(byte[0]),
        }
    }
    match serde_json::from_slice::<Response>(&line) {
        Ok(Response::Ok { message }) => tracing::info!("{message}"),
        Ok(Response::Error { message }) => anyhow::bail!("{message}"),
        Ok(other) => anyhow::bail!("unexpected answer from the daemon: {other:?}"),
        Err(e) => anyhow::bail!("unreadable answer from the daemon: {e}"),
    }
    stream.set_read_timeout(None)?;
    let cfg = &env.config.servers[&a.server];
    let max = usize::try_from(cfg.max_message).unwrap_or(usize::MAX);
    let stall = env.config.daemon.slow_client_timeout;
    let up = stream.try_clone()?;
    let server = a.server.clone();
    let stdin_open = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let open = stdin_open.clone();
    std::thread::spawn(move || stdin_to_daemon(up, max, &server, &open));
    let stdout = Arc::new(StdoutWatch::default());
    {
        let (watch, server) = (stdout.clone(), a.server.clone());
        std::thread::spawn(move || watch.watchdog(stall, &server));
    }
    // daemon -> stdout, a line at a time (the agent waits for each answer). The daemon's lines
    // are its server's, so they are bounded by the same limit (plus room for rewritten ids).
    let mut r = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        match read_line(&mut r, &mut buf, max.saturating_add(64 << 10)) {
            Ok(Some(Ok(()))) => {
                buf.push(b'\n');
                if stdout.emit(&buf).is_err() {
                    break;
                }
            }
            Ok(Some(Err(over))) => eprintln!(
                "mcpd connect: {}: the daemon sent a message of {} bytes, over max_message ({max}); skipped",
                a.server, over.size
            ),
            Ok(None) | Err(_) => break,
        }
        shrink(&mut buf);
    }
    if stdin_open.load(Ordering::SeqCst) {
        // The client did not leave: the daemon ended the connection (stopped, or dropped a
        // client that did not read its output).
        eprintln!(
            "mcpd connect: {}: the daemon closed the connection (see `mcpd events` and the daemon log)",
            a.server
        );
        return Ok(1);
    }
    Ok(0)
}

/// stdin -> daemon, line by line; a line over `max` bytes is answered here and not sent. At EOF,
/// half-close so the daemon sees the client leave; `open` is cleared first, so that the daemon's
/// close which follows is never taken for the daemon dropping a client that was still there.
fn stdin_to_daemon(mut up: UnixStream, max: usize, server: &str, open: &AtomicBool) {
    let stdin = std::io::stdin();
    let mut r = BufReader::new(stdin.lock());
    let mut buf = Vec::new();
    loop {
        match read_line(&mut r, &mut buf, max) {
            Ok(Some(Ok(()))) => {
                buf.push(b'\n');
                if up.write_all(&buf).is_err() {
                    break;
                }
            }
            Ok(Some(Err(over))) => {
                eprintln!(
                    "mcpd connect: {server}: a message of {} bytes on stdin exceeds max_message ({max} bytes); it was not sent, the client gets a JSON-RPC error",
                    over.size
                );
                let mut line = oversized_error(&over, max).into_bytes();
                line.push(b'\n');
                let mut out = std::io::stdout().lock();
                if out.write_all(&line).and_then(|()| out.flush()).is_err() {
                    break;
                }
            }
            Ok(None) => {
                // The client left: cleared before the half-close (see above).
                open.store(false, Ordering::SeqCst);
                break;
            }
            Err(_) => break,
        }
        shrink(&mut buf);
    }
    let _ = up.shutdown(std::net::Shutdown::Write);
}

/// A long line leaves a big buffer behind: give it back.
fn shrink(buf: &mut Vec<u8>) {
    if buf.capacity() > 1 << 20 {
        *buf = Vec::new();
    }
}

/// Reads one line of at most `max` bytes (without its newline) into `buf`: `Ok(None)` at EOF,
/// `Some(Err(..))` for a longer line, whose rest is skipped and of which only the size and both
/// ends are kept (for its id). The blocking twin of [`crate::daemon::mux::read_line`].
fn read_line<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Result<(), Oversize>>> {
    buf.clear();
    let mut over: Option<Oversize> = None;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
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
            None if buf.len() + piece.len() > max => {
                let mut head = buf[..OVERSIZE_KEEP.min(buf.len())].to_vec();
                let room = OVERSIZE_KEEP - head.len();
                head.extend_from_slice(&piece[..room.min(piece.len())]);
                let mut tail = buf[buf.len().saturating_sub(OVERSIZE_KEEP)..].to_vec();
                tail.extend_from_slice(&piece[piece.len().saturating_sub(OVERSIZE_KEEP)..]);
                let cut = tail.len().saturating_sub(OVERSIZE_KEEP);
                tail.drain(..cut);
                over = Some(Oversize {
                    size: buf.len() + piece.len(),
                    head,
                    tail,
                });
                buf.clear();
            }
            None => buf.extend_from_slice(piece),
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

/// The bridge's stdout, and since when a write to it has waited (0: none waits).
#[derive(Default)]
struct StdoutWatch {
    /// Milliseconds since `EPOCH` when the pending write began, plus one; 0 when idle.
    since: AtomicU64,
}

static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn now_ms() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

impl StdoutWatch {
    /// Writes a whole line to stdout and flushes it.
    fn emit(&self, line: &[u8]) -> std::io::Result<()> {
        self.since.store(now_ms(), Ordering::Relaxed);
        let mut out = std::io::stdout().lock();
        let r = out.write_all(line).and_then(|()| out.flush());
        self.since.store(0, Ordering::Relaxed);
        r
    }

    /// Exits the bridge when a write to stdout has waited `stall`: the agent stopped reading, and
    /// the daemon will not queue its output forever either.
    fn watchdog(&self, stall: Duration, server: &str) {
        let every = (stall / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        loop {
            std::thread::sleep(every);
            let since = self.since.load(Ordering::Relaxed);
            if since != 0 && now_ms().saturating_sub(since) >= stall.as_millis() as u64 {
                eprintln!(
                    "mcpd connect: {server}: the client has not read its stdout for {}; disconnecting (daemon.slow_client_timeout)",
                    crate::units::format_duration_config(stall)
                );
                std::process::exit(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_line_keeps_only_its_size_and_ends_and_the_next_line_is_whole() {
        let long = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":7,\"params\":\"{}\"}}",
            "x".repeat(5000)
        );
        let input = format!("{long}\n{{\"id\":8}}\nlast");
        // A small buffer: the line arrives in many chunks, as from a pipe.
        let mut r = BufReader::with_capacity(16, input.as_bytes());
        let mut buf = Vec::new();
        let over = match read_line(&mut r, &mut buf, 64).unwrap() {
            Some(Err(o)) => o,
            other => panic!("{other:?}"),
        };
        assert_eq!(over.size, long.len());
        assert_eq!(over.id(), Some(serde_json::json!(7)));
        assert!(over.head.len() <= OVERSIZE_KEEP && over.tail.len() <= OVERSIZE_KEEP);
        assert!(buf.capacity() < 1024, "the long line was never buffered");
        assert!(matches!(read_line(&mut r, &mut buf, 64), Ok(Some(Ok(())))));
        assert_eq!(buf, b"{\"id\":8}");
        assert!(matches!(read_line(&mut r, &mut buf, 64), Ok(Some(Ok(())))));
        assert_eq!(buf, b"last");
        assert!(matches!(read_line(&mut r, &mut buf, 64), Ok(None)));
    }
}
