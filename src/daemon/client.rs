//! The client side of the control socket, for CLI commands: connect, send one request, read one
//! response, with timeouts. `None` from [`request`] means no daemon is listening.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::protocol::{MAX_MESSAGE, Request, Response, encode_request};
use crate::paths::Paths;

/// The daemon's socket path.
pub fn socket_path(paths: &Paths) -> PathBuf {
    paths.runtime_dir.join("mcpd.sock")
}

/// Errors talking to a daemon that is there.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the daemon at {path} did not answer: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the daemon at {path} sent an unreadable answer: {message}")]
    Garbled { path: PathBuf, message: String },
}

/// Sends `req`; `Ok(None)` when no daemon listens on the socket. A "busy" answer (every control
/// slot taken; the request was not read) is retried until `timeout`.
pub fn request_at(
    socket: &Path,
    req: &Request,
    timeout: Duration,
) -> Result<Option<Response>, ClientError> {
    let deadline = std::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(20);
    loop {
        let answer = request_once(socket, req, timeout)?;
        let busy = matches!(&answer, Some(Response::Error { message }) if message.starts_with(super::control::BUSY));
        if !busy || std::time::Instant::now() + pause >= deadline {
            return Ok(answer);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

fn request_once(
    socket: &Path,
    req: &Request,
    timeout: Duration,
) -> Result<Option<Response>, ClientError> {
    let mut stream = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(_) => return Ok(None),
    };
    let io = |source| ClientError::Io {
        path: socket.to_path_buf(),
        source,
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .map_err(io)?;
    stream
        .write_all(encode_request(req).as_bytes())
        .map_err(io)?;
    let mut line = Vec::new();
    BufReader::new(stream.take(MAX_MESSAGE as u64 * 8))
        .read_until(b'\n', &mut line)
        .map_err(io)?;
    serde_json::from_slice(&line)
        .map(Some)
        .map_err(|e| ClientError::Garbled {
            path: socket.to_path_buf(),
            message: e.to_string(),
        })
}

/// Sends `req` to the daemon of these paths.
pub fn request(
    paths: &Paths,
    req: &Request,
    timeout: Duration,
) -> Result<Option<Response>, ClientError> {
    request_at(&socket_path(paths), req, timeout)
}

/// The pid of a daemon that holds its lock: it runs, though it may be too busy to answer right now.
pub fn lock_holder(paths: &Paths) -> Option<i32> {
    let path = super::lock_path(paths);
    let f = std::fs::OpenOptions::new().read(true).open(&path).ok()?;
    match nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockSharedNonblock) {
        Ok(_) => None,
        Err(_) => std::fs::read_to_string(&path).ok()?.trim().parse().ok(),
    }
}

/// The daemon's status, or None when it is not running (or does not answer sensibly).
pub fn status(paths: &Paths) -> Option<super::protocol::DaemonStatus> {
    match request(paths, &Request::Status, Duration::from_secs(3)) {
        Ok(Some(Response::Status(s))) => Some(*s),
        _ => None,
    }
}
