//! `mcpd connect SERVER [--session NAME]`: the stdio bridge an agent's MCP config runs instead of the
//! server itself. It asks the daemon (started if needed) for the server, then relays bytes: stdin to
//! the daemon, the daemon to stdout. It holds no state and parses nothing, so it stays small; the
//! daemon's multiplexer does the sharing.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{GlobalArgs, ServerArgs};
use crate::daemon::client::socket_path;
use crate::daemon::protocol::{MAX_MESSAGE, Request, Response, encode_request};

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
    let mut up = stream.try_clone()?;
    // stdin -> daemon; at EOF, half-close so the daemon sees the client leave.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut r = BufReader::new(stdin.lock());
        let mut buf = Vec::with_capacity(8192);
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if up.write_all(&buf).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = up.shutdown(std::net::Shutdown::Write);
    });
    // daemon -> stdout, flushed per line (the agent waits for each answer).
    let mut r = BufReader::new(stream);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf = Vec::with_capacity(8192);
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if out.write_all(&buf).and_then(|()| out.flush()).is_err() {
                    break;
                }
            }
        }
    }
    Ok(0)
}
