//! The control protocol: one JSON request line, one JSON response line, over the daemon's unix socket.
//! Every request carries the protocol version; messages are capped at [`MAX_MESSAGE`] bytes and must
//! arrive within [`READ_TIMEOUT`]. Anything else is answered with an error (or dropped) and never stops
//! the daemon.

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;
/// The largest message either side accepts (a newline-terminated JSON line).
pub const MAX_MESSAGE: usize = 1 << 20;
/// How long the daemon waits for a whole request line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Is the daemon there? Answered with [`Response::Pong`].
    Ping,
    /// Servers, sweeps, history: answered with [`Response::Status`].
    Status,
    /// Stop every server and exit.
    Shutdown,
    /// Start a configured server (for a session, when it is session-scoped).
    Start {
        server: String,
        session: Option<String>,
    },
    Stop {
        server: String,
        session: Option<String>,
    },
    Restart {
        server: String,
        session: Option<String>,
    },
    /// A session was opened (`mcpd tm`): start its `scope = "session"` eager servers.
    SessionOpened {
        session: String,
        dir: Option<String>,
    },
    /// Run a sweep now and answer when it is done.
    Sweep,
    /// Become a bridge to `server`: after the `Ok` answer the connection carries the server's
    /// newline-delimited JSON-RPC both ways. `client_session` is the bridge's own tmux session.
    Connect {
        server: String,
        session: Option<String>,
        client_session: Option<String>,
    },
}

/// A request with its protocol version: the line a client sends.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub version: u32,
    pub request: Request,
}

/// What the daemon answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Pong {
        pid: i32,
        version: String,
        uptime_secs: u64,
    },
    Status(Box<DaemonStatus>),
    Ok {
        message: String,
    },
    Error {
        message: String,
    },
}

/// The daemon's view of itself and one supervised server instance: plain values shared with the
/// health report (their wire form is kept by `crate::model::server`).
pub use crate::model::{DaemonStatus, ServerRow as ServerStatus};

/// Encodes a request line.
pub fn encode_request(r: &Request) -> String {
    let mut s = serde_json::to_string(&Envelope {
        version: PROTOCOL_VERSION,
        request: r.clone(),
    })
    .unwrap_or_default();
    s.push('\n');
    s
}

/// Decodes a request line, with an error message fit to send back.
pub fn decode_request(line: &[u8]) -> Result<Request, String> {
    let env: Envelope = serde_json::from_slice(line).map_err(|e| format!("bad request: {e}"))?;
    if env.version != PROTOCOL_VERSION {
        return Err(format!(
            "protocol version {} is not supported (this daemon speaks {PROTOCOL_VERSION}); restart the daemon after upgrading mcpd",
            env.version
        ));
    }
    Ok(env.request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let line = encode_request(&Request::Start {
            server: "fs".into(),
            session: Some("s".into()),
        });
        assert_eq!(
            decode_request(line.trim().as_bytes()).unwrap(),
            Request::Start {
                server: "fs".into(),
                session: Some("s".into())
            }
        );
        assert!(
            decode_request(b"\xff\x00garbage")
                .unwrap_err()
                .starts_with("bad request")
        );
        assert!(
            decode_request(br#"{"version":99,"request":{"type":"ping"}}"#)
                .unwrap_err()
                .contains("version 99")
        );
        assert!(decode_request(br#"{"version":1,"request":{"type":"format_disk"}}"#).is_err());
        assert!(decode_request(br#"{"version":1,"request":{"type":"ping"},"x":1}"#).is_err());
    }
}
