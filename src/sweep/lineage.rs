//! Pure: the walk up a process's ancestors (DESIGN.md, "Lineage"). Launchers and MCP-like processes
//! are passed over; the first other ancestor decides: PID 1, a subreaper or a user service manager
//! that merely adopted the chain means orphaned; a live pane, an agent, an editor, a shell or mcpd
//! means owned. A direct child of our tmux server that is no pane's process has lost its pane.

use serde::{Deserialize, Serialize};

use crate::matcher::Matcher;
use crate::model::{ProcInfo, Snapshot, TmuxView};

/// One ancestor on the walk, and what it meant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub pid: i32,
    pub command: String,
    /// `launcher`, `mcp-like` (passed over), or the verdict it gave (`owns`, `adopted`, `pane-gone`).
    pub role: String,
}

/// What the walk decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lineage {
    Owned,
    /// Adopted by PID 1, a subreaper or a user service manager.
    Adopted {
        to_pid: i32,
        to_name: String,
    },
    /// A child of our tmux server that is no pane's process.
    PaneGone {
        server_pid: i32,
    },
}

/// Subreapers that adopt orphans (besides PID 1 and `systemd --user`): container inits, WSL's init.
const ADOPTERS: &[&str] = &["init", "tini", "dumb-init", "catatonit", "launchd"];

fn is_adopter(p: &ProcInfo) -> bool {
    (p.comm == "systemd" && p.pid != 1) || ADOPTERS.contains(&p.comm.as_str())
}

/// A process in its own systemd `.service` unit was started as a service, not orphaned into it.
fn is_service(p: &ProcInfo) -> bool {
    p.env
        .as_ref()
        .and_then(|e| e.unit.as_deref())
        .is_some_and(|u| u.ends_with(".service"))
}

pub fn is_tmux_server(p: &ProcInfo) -> bool {
    p.comm.starts_with("tmux")
        && p.cmdline
            .first()
            .is_none_or(|a| crate::matcher::program::base(a).starts_with("tmux"))
}

/// Walks up from `p`; returns the verdict and every step taken.
pub fn walk(
    snap: &Snapshot,
    p: &ProcInfo,
    matcher: &Matcher,
    tmux: Option<&TmuxView>,
) -> (Lineage, Vec<Step>) {
    let mut steps = Vec::new();
    let mut below = p;
    for a in snap.ancestors(p.pid) {
        let Some(ap) = snap.get(a) else {
            // The parent exited mid-read: not enough to call anything an orphan.
            return (Lineage::Owned, steps);
        };
        let mut step = |role: &str| {
            steps.push(Step {
                pid: a,
                command: ap.command(),
                role: role.to_string(),
            })
        };
        if a == 1 {
            if ap.comm == "systemd" && is_service(below) {
                step("owns (a systemd service)");
                return (Lineage::Owned, steps);
            }
            step("adopted it (PID 1)");
            return (
                Lineage::Adopted {
                    to_pid: 1,
                    to_name: ap.comm.clone(),
                },
                steps,
            );
        }
        if is_tmux_server(ap) {
            let ours = tmux.filter(|v| v.server_pid == a && !v.sessions.is_empty());
            if let Some(v) = ours
                && !v.panes.iter().any(|pane| pane.pid == below.pid)
            {
                step("tmux server, and no pane runs this child");
                return (Lineage::PaneGone { server_pid: a }, steps);
            }
            step("owns (a tmux pane)");
            return (Lineage::Owned, steps);
        }
        if matcher.launches(ap, below) {
            step("launcher (passed over)");
            below = ap;
            continue;
        }
        if matcher.is_mcp(ap) {
            step("MCP-like (passed over)");
            below = ap;
            continue;
        }
        if is_adopter(ap) {
            if is_service(below) {
                step("owns (a user service)");
                return (Lineage::Owned, steps);
            }
            step("adopted it (service manager or subreaper)");
            return (
                Lineage::Adopted {
                    to_pid: a,
                    to_name: ap.comm.clone(),
                },
                steps,
            );
        }
        step("owns it (an agent, a shell, an editor: not a launcher)");
        return (Lineage::Owned, steps);
    }
    (Lineage::Owned, steps)
}
