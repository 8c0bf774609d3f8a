//! What one tmux server says at one moment, as plain values: its sessions and every pane's process.
//! Asking tmux (and parsing its answer) lives in `crate::tmux`.

use serde::{Deserialize, Serialize};

/// One session on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The number of the session id (`$3` -> 3).
    pub id: u32,
    pub name: String,
    /// How many clients are attached.
    pub attached: u32,
    /// Last activity, seconds since the epoch.
    pub activity: u64,
    pub created: u64,
    /// The session's start directory.
    pub path: String,
}

/// A server's sessions at one moment: the plain value the pure modules decide on.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TmuxView {
    pub server_pid: i32,
    pub socket_path: String,
    pub sessions: Vec<SessionInfo>,
    /// Every pane's process, with its session and tty: tmux's truth about membership now.
    #[serde(default)]
    pub panes: Vec<Pane>,
    /// The id tmux gives its next new session (`#{next_session_id}`, when tmux says it): ids only
    /// grow, so a session with this id or above was created after this view was taken.
    #[serde(default)]
    pub next_session_id: Option<u32>,
}

impl TmuxView {
    pub fn session(&self, name: &str) -> Option<&SessionInfo> {
        self.sessions.iter().find(|s| s.name == name)
    }

    pub fn session_by_id(&self, id: u32) -> Option<&SessionInfo> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// True when session `id` of this server may have been created after the view was taken: its
    /// absence from the view then says nothing (never "gone"). Unknown without `next_session_id`.
    pub fn is_newer_than_view(&self, id: u32) -> bool {
        self.next_session_id.is_some_and(|n| id >= n)
    }

    /// True when `tty` is a current pane's terminal.
    pub fn is_pane_tty(&self, tty: &str) -> bool {
        self.panes.iter().any(|p| !p.tty.is_empty() && p.tty == tty)
    }
}

/// A pane's process and the session it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pane {
    pub pid: i32,
    pub session_id: u32,
    pub session_name: String,
    /// The pane's terminal (`/dev/pts/3`).
    #[serde(default)]
    pub tty: String,
}
