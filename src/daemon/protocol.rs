//! The control protocol: one JSON request line, one JSON response line, over the daemon's unix socket.
//! Every request carries the protocol version and the client's mcpd version; messages are capped at
//! [`MAX_MESSAGE`] bytes and must arrive within [`READ_TIMEOUT`]. Anything else is answered with an
//! error (or dropped) and never stops the daemon.
//!
//! Forward compatibility: unknown fields are ignored on both sides (a newer peer may add some), new
//! fields are optional with defaults, and [`PROTOCOL_VERSION`] changes only when a message changes
//! meaning. `ping` is the handshake: it is answered whatever the version, with the daemon's mcpd
//! version, protocol version and config stamp, so a CLI can always say what runs and how to restart it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;
/// The largest message either side accepts (a newline-terminated JSON line).
pub const MAX_MESSAGE: usize = 1 << 20;
/// How long the daemon waits for a whole request line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
    /// Reread the config file and apply what changed (answered with [`Response::Reloaded`], or an
    /// error naming the file, line and column of a bad config, which is then not applied).
    Reload,
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
pub struct Envelope {
    pub version: u32,
    pub request: Request,
    /// The client's mcpd version (absent from clients older than the field).
    #[serde(default)]
    pub mcpd: Option<String>,
}

fn v1() -> u32 {
    1
}

/// What the daemon answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Pong {
        pid: i32,
        /// The daemon's mcpd version.
        version: String,
        uptime_secs: u64,
        /// The daemon's protocol version (1 for daemons older than the field).
        #[serde(default = "v1")]
        protocol: u32,
        /// The config file as the daemon loaded it (None from daemons older than the field).
        #[serde(default)]
        config: Option<super::stamp::ConfigStamp>,
    },
    /// What a reload did.
    Reloaded(ReloadReport),
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

/// The answer to [`Request::Reload`]: server names by what happened to them, and the daemon
/// settings that changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadReport {
    /// The config file read.
    #[serde(default)]
    pub path: String,
    /// Servers whose definition changed; their running instances were restarted.
    #[serde(default)]
    pub changed: Vec<String>,
    /// Servers whose supervision settings alone changed (restart, max_rss...): processes kept.
    #[serde(default)]
    pub updated: Vec<String>,
    /// Servers no longer configured; their instances were stopped.
    #[serde(default)]
    pub removed: Vec<String>,
    /// New servers (eager global ones were started).
    #[serde(default)]
    pub added: Vec<String>,
    /// Servers left as they were (same processes).
    #[serde(default)]
    pub unchanged: Vec<String>,
    /// Settings outside `[servers]` that changed (`daemon.sweep_interval`, `thresholds`...).
    #[serde(default)]
    pub settings: Vec<String>,
    /// What was done, one line per action (`restarted fs (pid 12)`, `stopped old`...).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Actions that failed (a changed server that did not start again...).
    #[serde(default)]
    pub errors: Vec<String>,
}

/// This binary's mcpd version, as the daemon reports it. Debug builds (the tests) may pretend to be
/// another version with `MCPD_TEST_FAKE_VERSION`, so the version notices can be tested for real;
/// release builds ignore it.
pub fn own_version() -> String {
    #[cfg(debug_assertions)]
    if let Some(v) = std::env::var("MCPD_TEST_FAKE_VERSION")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return v;
    }
    env!("CARGO_PKG_VERSION").to_string()
}

/// Encodes a request line.
pub fn encode_request(r: &Request) -> String {
    let mut s = serde_json::to_string(&Envelope {
        version: PROTOCOL_VERSION,
        request: r.clone(),
        mcpd: Some(env!("CARGO_PKG_VERSION").to_string()),
    })
    .unwrap_or_default();
    s.push('\n');
    s
}

/// Decodes a request line, with an error message fit to send back. A `ping` is accepted whatever
/// its protocol version (it is the handshake that tells the client what this daemon speaks).
pub fn decode_request(line: &[u8]) -> Result<Request, String> {
    let env: Envelope = serde_json::from_slice(line).map_err(|e| {
        format!(
            "bad request (this daemon is mcpd {}, protocol {PROTOCOL_VERSION}): {e}",
            own_version()
        )
    })?;
    if env.version != PROTOCOL_VERSION && env.request != Request::Ping {
        return Err(format!(
            "protocol version {} is not supported: this daemon is mcpd {} (protocol {PROTOCOL_VERSION}), \
             the client mcpd {}; restart the daemon with the mcpd you run (`mcpd daemon restart`)",
            env.version,
            own_version(),
            env.mcpd.as_deref().unwrap_or("(unknown version)")
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
            decode_request(br#"{"version":99,"request":{"type":"status"}}"#)
                .unwrap_err()
                .contains("version 99")
        );
        assert!(decode_request(br#"{"version":1,"request":{"type":"format_disk"}}"#).is_err());
    }

    #[test]
    fn unknown_fields_are_tolerated_and_ping_always_answers() {
        // A newer client's extra fields, on the envelope and on the request.
        assert_eq!(
            decode_request(
                br#"{"version":1,"request":{"type":"ping","x":1},"x":1,"mcpd":"9.0.0"}"#
            ),
            Ok(Request::Ping)
        );
        assert_eq!(
            decode_request(
                br#"{"version":1,"request":{"type":"stop","server":"fs","session":null,"force":true}}"#
            ),
            Ok(Request::Stop {
                server: "fs".into(),
                session: None
            })
        );
        // The handshake works across protocol versions; other requests say what to do.
        assert_eq!(
            decode_request(br#"{"version":7,"request":{"type":"ping"},"mcpd":"9.0.0"}"#),
            Ok(Request::Ping)
        );
        let e = decode_request(br#"{"version":7,"request":{"type":"sweep"},"mcpd":"9.0.0"}"#)
            .unwrap_err();
        assert!(
            e.contains("version 7") && e.contains("9.0.0") && e.contains("mcpd daemon restart"),
            "{e}"
        );
        // Answers from a newer daemon: unknown fields and missing new ones.
        let r: Response = serde_json::from_str(
            r#"{"type":"pong","pid":3,"version":"9.0.0","uptime_secs":1,"protocol":1,"later":[1]}"#,
        )
        .unwrap();
        assert!(matches!(
            r,
            Response::Pong {
                pid: 3,
                config: None,
                ..
            }
        ));
        let r: Response =
            serde_json::from_str(r#"{"type":"pong","pid":3,"version":"0.1.0","uptime_secs":1}"#)
                .unwrap();
        assert!(matches!(r, Response::Pong { protocol: 1, .. }));
        // What this daemon sends is read back (a stamp inside the tagged enum).
        let pong = Response::Pong {
            pid: 1,
            version: "1".into(),
            uptime_secs: 0,
            protocol: PROTOCOL_VERSION,
            config: Some(super::super::stamp::ConfigStamp {
                path: "/c.toml".into(),
                exists: true,
                mtime_ns: u64::MAX,
                size: 3,
                hash: "00".into(),
            }),
        };
        let r: Response = serde_json::from_str(&serde_json::to_string(&pong).unwrap()).unwrap();
        assert!(matches!(r, Response::Pong { protocol: 1, .. }));
        let r: Response = serde_json::from_str(
            r#"{"type":"reloaded","changed":["fs"],"new_kind_of_change":["x"]}"#,
        )
        .unwrap();
        assert!(matches!(r, Response::Reloaded(ReloadReport { changed, .. }) if changed == ["fs"]));
    }
}
