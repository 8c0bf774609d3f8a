//! What to stop, as a plain value: the decisions (sweep plans, session closes) produce [`StopTarget`]s;
//! `procs::stop` carries them out.

use super::identity::Identity;

/// One tree to stop: a recorded (or just classified) process and, when known, its process group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopTarget {
    pub identity: Identity,
    /// The process group recorded for it. The whole group is stopped only when the target leads it
    /// (`pgid == pid`): an adopted process shares its agent's group, which must survive.
    pub pgid: Option<i32>,
    /// The caller saw this target exit a moment ago (the daemon reaping its server): the members left
    /// in its group are still its own, though the leader is gone. Without this, a group whose leader
    /// is already gone is never touched: its number may belong to an unrelated group by now.
    pub leader_exited: bool,
}
