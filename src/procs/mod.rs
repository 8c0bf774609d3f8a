//! Everything that reads or acts on the process table: snapshots, process identity, the environment
//! tags mcpd reads (`TMUX`, `MCPD_OWNER`), the guard list of processes that must never be signalled,
//! the identity-safe tree stop, and the stdio peers that prove a live client.

pub mod envcache;
pub mod envcache_ino;
pub mod environ;
pub mod guard;
pub mod identity;
pub mod incremental;
pub mod known;
pub mod leftovers;
#[cfg(target_os = "linux")]
mod linux;
pub mod owners;
pub mod peers;
mod portable;
#[cfg(target_os = "linux")]
mod procfs;
pub mod snapshot;
pub mod stop;

pub use envcache::EnvCache;
pub use environ::EnvTags;
pub use identity::Identity;
pub use snapshot::{ProcInfo, Snapshot, UID_UNREAD};
pub use stop::{StopOptions, StopOutcome, StopTarget, stop_trees, stop_trees_seen};

/// Errors reading the process table.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    #[error("cannot read the process table ({path}): {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the process table: {0}")]
    Other(String),
}

/// The real user id mcpd runs as: only this user's processes are ever considered.
pub fn my_uid() -> u32 {
    nix::unistd::getuid().as_raw()
}
