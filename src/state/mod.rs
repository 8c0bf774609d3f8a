//! The on-disk registry of every process mcpd started or adopted: one JSON file per owner under
//! `<state dir>/records/`, written atomically under an advisory lock (see [`registry`]).

pub mod atomic;
pub mod owner;
pub mod registry;

pub use owner::Owner;
pub use registry::{Registry, StateError, StateWarning};

use serde::{Deserialize, Serialize};

use crate::procs::Identity;

/// How a process came to be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// mcpd started it (a configured server).
    Spawned,
    /// An agent in a tmux session started it; mcpd found it in the session's pane trees.
    Adopted,
}

/// One tracked process.
/// Unknown fields are tolerated: a newer mcpd may add some, and its records must still be honoured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub pid: i32,
    /// Kernel start time in clock ticks: with `pid`, the identity checked before every signal.
    pub start_ticks: u64,
    pub pgid: i32,
    pub owner: Owner,
    pub origin: Origin,
    /// The configured server this process is (spawned records), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub command: String,
    /// When it was recorded, seconds since the epoch.
    pub recorded_at: u64,
    /// For session owners: the tmux session id number (`$3` -> 3), which survives renames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<u32>,
    /// For session owners: the socket of the tmux server the session lives on. A record is judged only
    /// against that server (another server's `list-sessions` says nothing about it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmux_socket: Option<String>,
    /// The pid of that tmux server when recorded: session ids restart with a new server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmux_server_pid: Option<i32>,
}

impl Record {
    pub fn identity(&self) -> Identity {
        Identity {
            pid: self.pid,
            start_ticks: self.start_ticks,
        }
    }
}
