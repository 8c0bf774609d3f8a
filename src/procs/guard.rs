//! The processes mcpd must never signal, whatever a record, a tag or a pattern says: pid 0 and 1, mcpd
//! itself and its ancestors (the shell, tmux pane or agent that ran it), any tmux server or client, and
//! any process of another user.

use std::collections::HashSet;

use super::{ProcInfo, Snapshot};

/// Why a process is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Init,
    Myself,
    MyAncestor,
    Tmux,
    OtherUser,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Init => "pid 0/1 is never signalled",
            Refusal::Myself => "it is mcpd itself",
            Refusal::MyAncestor => "it is an ancestor of mcpd",
            Refusal::Tmux => "it is a tmux process",
            Refusal::OtherUser => "it belongs to another user",
        })
    }
}

/// The protected set for one snapshot.
#[derive(Clone, Debug)]
pub struct Guard {
    my_pid: i32,
    my_uid: u32,
    ancestors: HashSet<i32>,
}

impl Guard {
    /// Builds the guard for the running mcpd process.
    pub fn for_self(snap: &Snapshot) -> Guard {
        Guard::new(snap, std::process::id() as i32, super::my_uid())
    }

    pub fn new(snap: &Snapshot, my_pid: i32, my_uid: u32) -> Guard {
        let mut ancestors: HashSet<i32> = snap.ancestors(my_pid).into_iter().collect();
        // Ancestors are also read live in case the snapshot missed one.
        ancestors.insert(std::os::unix::process::parent_id() as i32);
        Guard {
            my_pid,
            my_uid,
            ancestors,
        }
    }

    /// The user whose processes may be signalled.
    pub fn my_uid(&self) -> u32 {
        self.my_uid
    }

    /// Why `p` must not be signalled, or None when it may be. An owner not read
    /// ([`super::UID_UNREAD`]) is another user's.
    pub fn refusal(&self, p: &ProcInfo) -> Option<Refusal> {
        if p.pid <= 1 {
            Some(Refusal::Init)
        } else if p.pid == self.my_pid {
            Some(Refusal::Myself)
        } else if self.ancestors.contains(&p.pid) {
            Some(Refusal::MyAncestor)
        } else if is_tmux(p) {
            Some(Refusal::Tmux)
        } else if p.uid != self.my_uid {
            Some(Refusal::OtherUser)
        } else {
            None
        }
    }
}

/// tmux servers retitle themselves `tmux: server`; clients are plain `tmux`.
pub fn is_tmux(p: &ProcInfo) -> bool {
    p.comm == "tmux" || p.comm.starts_with("tmux: ")
}

/// True for a tmux server process.
pub fn is_tmux_server(p: &ProcInfo) -> bool {
    p.comm == "tmux: server" || (p.comm == "tmux" && p.ppid == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32, uid: u32, comm: &str) -> ProcInfo {
        ProcInfo::new(pid, ppid, &[]).with_uid(uid).with_comm(comm)
    }

    #[test]
    fn protects_what_it_must() {
        let snap = Snapshot::from_procs(
            vec![
                p(1, 0, 0, "init"),
                p(50, 1, 1000, "tmux: server"),
                p(60, 50, 1000, "bash"),
                p(70, 60, 1000, "mcpd"),
                p(80, 60, 1000, "node"),
                p(90, 1, 1001, "node"),
            ],
            100,
            0,
            0.0,
        );
        let g = Guard::new(&snap, 70, 1000);
        let r = |pid| g.refusal(snap.get(pid).unwrap());
        assert_eq!(r(1), Some(Refusal::Init));
        assert_eq!(r(50), Some(Refusal::MyAncestor));
        assert_eq!(r(60), Some(Refusal::MyAncestor));
        assert_eq!(r(70), Some(Refusal::Myself));
        assert_eq!(r(80), None);
        assert_eq!(r(90), Some(Refusal::OtherUser));
        let g2 = Guard::new(&snap, 80, 1000);
        assert_eq!(g2.refusal(snap.get(70).unwrap()), None);
        let lone = Guard::new(&snap, 9999, 1000);
        assert_eq!(lone.refusal(snap.get(50).unwrap()), Some(Refusal::Tmux));
    }
}
