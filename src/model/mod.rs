//! The plain values every part of mcpd shares, with no I/O: a process and a snapshot of the process
//! table, identity, environment tags, stdio evidence, records and owners, a tmux server's view, a
//! supervised server's row, and what to stop (and, in `build`, the one way tests make them). The pure
//! decisions (`sweep`, `health`, session targets, `matcher`, `ps_rows`) depend only on these and on
//! config; `procs/`, `state/`, `tmux.rs` and the daemon produce and consume them (DESIGN.md, "Shape of
//! the code"). The old paths (`procs::ProcInfo`, `state::Record`, `tmux::TmuxView`...) re-export them.

pub mod build;
pub mod env;
pub mod identity;
pub mod owner;
pub mod process;
pub mod record;
pub mod server;
pub mod stdio;
pub mod stop;
pub mod tmux;

pub use env::{EnvTags, TmuxTag};
pub use identity::Identity;
pub use owner::Owner;
pub use process::{ProcInfo, Snapshot, UID_UNREAD};
pub use record::{Origin, Record};
pub use server::{DaemonSeen, DaemonStatus, ServerRow};
pub use stdio::{Access, ClientEvidence, Endpoint, Holder, StdioView};
pub use stop::StopTarget;
pub use tmux::{Pane, SessionInfo, TmuxView};
