//! Pure: who owns a process, from evidence (DESIGN.md, "Sessions are tmux ids"). A session is its
//! tmux id on its tmux server; its name is only for display. Membership is tmux's truth now: a process
//! under a pane's tree belongs to that pane's session (move-window moves it). Records follow renames by
//! id. The `TMUX` tag decides only for processes outside every pane tree.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Origin, Owner, ProcInfo, Record, Snapshot, TmuxView};

/// How the owner was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnedBy {
    /// Its own record.
    Record,
    /// The record of an ancestor (a recorded server's child).
    AncestorRecord { pid: i32 },
    /// `MCPD_OWNER` in its environment.
    OwnerTag,
    /// It runs under a pane of that session now.
    Pane { pane_pid: i32 },
    /// Its `TMUX` tag, outside every pane tree.
    TmuxTag,
}

/// The owner of a process and the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ownership {
    pub owner: Owner,
    pub by: OwnedBy,
    /// Recorded (its own record).
    pub recorded: Option<Origin>,
    /// The session it belongs to is gone: (display name, id when known).
    pub gone: Option<(String, Option<u32>)>,
}

/// For every pid under a pane of our tmux server: that pane's pid.
pub fn pane_index(snap: &Snapshot, view: Option<&TmuxView>) -> HashMap<i32, i32> {
    let mut out = HashMap::new();
    for pane in view.map(|v| v.panes.as_slice()).unwrap_or_default() {
        out.insert(pane.pid, pane.pid);
        for d in snap.descendants(pane.pid) {
            out.entry(d).or_insert(pane.pid);
        }
    }
    out
}

/// `MCPD_OWNER`, unless the process also carries `TMUX`: then it runs in a tmux pane (a spawned server
/// that started a tmux server passes its tags on to every pane), and the pane's processes are the
/// user's.
pub fn mcpd_owner(p: &ProcInfo) -> Option<&str> {
    let e = p.env.as_ref()?;
    if e.tmux.is_some() {
        return None;
    }
    e.mcpd_owner.as_deref()
}

pub struct Resolver<'a> {
    pub snap: &'a Snapshot,
    pub view: Option<&'a TmuxView>,
    pub live_records: &'a HashMap<i32, &'a Record>,
    pub panes: &'a HashMap<i32, i32>,
}

impl Resolver<'_> {
    /// The session a pane's pid belongs to now.
    fn pane_session(&self, pane_pid: i32) -> Option<Owner> {
        let v = self.view?;
        let pane = v.panes.iter().find(|p| p.pid == pane_pid)?;
        let s = v.session_by_id(pane.session_id)?;
        Some(Owner::Session(s.name.clone()))
    }

    /// A session record judged against our tmux server: `Some(Ok(current owner))` when its session
    /// lives (by id, so renames follow), `Some(Err(gone))` when it is gone, None when it cannot be
    /// judged (another tmux server, or tmux not asked).
    fn judge_record(&self, r: &Record) -> Option<Result<Owner, (String, Option<u32>)>> {
        let name = r.owner.session()?;
        let v = self.view?;
        if r.tmux_socket.as_deref().is_some_and(|s| s != v.socket_path) {
            return None;
        }
        if r.session_id.is_some_and(|id| v.is_newer_than_view(id))
            && r.tmux_server_pid.is_none_or(|p| p == v.server_pid)
        {
            // Created after the view was taken: it cannot be judged on this view.
            return None;
        }
        let found = match r.session_id {
            Some(id) => v.session_by_id(id).filter(|s| {
                // Ids restart with a new server: trust the id only while the name agrees or the
                // record was taken on this server.
                r.tmux_server_pid.is_none_or(|p| p == v.server_pid) || s.name == name
            }),
            None => v.session(name),
        };
        Some(match found {
            Some(s) => Ok(Owner::Session(s.name.clone())),
            None => Err((name.to_string(), r.session_id)),
        })
    }

    fn by_record(&self, r: &Record, by: OwnedBy, p: &ProcInfo) -> Ownership {
        let recorded = matches!(by, OwnedBy::Record).then_some(r.origin);
        // Under a pane now: that pane's session, whatever the record says (move-window).
        if r.owner.session().is_some()
            && let Some(&pane) = self.panes.get(&p.pid)
            && let Some(owner) = self.pane_session(pane)
        {
            return Ownership {
                owner,
                by,
                recorded,
                gone: None,
            };
        }
        let (owner, gone) = match self.judge_record(r) {
            Some(Ok(o)) => (o, None),
            Some(Err(g)) => (r.owner.clone(), Some(g)),
            None => (r.owner.clone(), None),
        };
        Ownership {
            owner,
            by,
            recorded,
            gone,
        }
    }

    pub fn resolve(&self, p: &ProcInfo) -> Option<Ownership> {
        if let Some(r) = self.live_records.get(&p.pid) {
            return Some(self.by_record(r, OwnedBy::Record, p));
        }
        if let Some(o) = mcpd_owner(p).and_then(|o| Owner::parse(o).ok()) {
            let gone = match (&o, self.view) {
                (Owner::Session(name), Some(v))
                    if v.session(name).is_none() && !self.panes.contains_key(&p.pid) =>
                {
                    Some((name.clone(), None))
                }
                _ => None,
            };
            return Some(Ownership {
                owner: o,
                by: OwnedBy::OwnerTag,
                recorded: None,
                gone,
            });
        }
        for a in self.snap.ancestors(p.pid) {
            if let Some(r) = self.live_records.get(&a) {
                return Some(self.by_record(r, OwnedBy::AncestorRecord { pid: a }, p));
            }
        }
        if let Some(&pane) = self.panes.get(&p.pid) {
            return self.pane_session(pane).map(|owner| Ownership {
                owner,
                by: OwnedBy::Pane { pane_pid: pane },
                recorded: None,
                gone: None,
            });
        }
        let tag = p.env.as_ref().and_then(|e| e.tmux.as_ref())?;
        let v = self.view?;
        if tag.socket != v.socket_path {
            return None;
        }
        if tag.server_pid == v.server_pid {
            if v.is_newer_than_view(tag.session_id) {
                // A session created after the view was taken (the pass that saw this process came
                // later): it lives as far as anyone can tell, and its process is that session's.
                return Some(Ownership {
                    owner: Owner::Session(format!("${}", tag.session_id)),
                    by: OwnedBy::TmuxTag,
                    recorded: None,
                    gone: None,
                });
            }
            return Some(match v.session_by_id(tag.session_id) {
                Some(s) => Ownership {
                    owner: Owner::Session(s.name.clone()),
                    by: OwnedBy::TmuxTag,
                    recorded: None,
                    gone: None,
                },
                None => Ownership {
                    owner: Owner::Session(format!("${}", tag.session_id)),
                    by: OwnedBy::TmuxTag,
                    recorded: None,
                    gone: Some((format!("${}", tag.session_id), Some(tag.session_id))),
                },
            });
        }
        // Tagged for a server that ran on our socket and is gone (killed, or restarted since).
        let server_alive = self
            .snap
            .get(tag.server_pid)
            .is_some_and(|s| super::lineage::is_tmux_server(s) && !s.is_zombie());
        if server_alive {
            return None;
        }
        Some(Ownership {
            owner: Owner::Session(format!("${}", tag.session_id)),
            by: OwnedBy::TmuxTag,
            recorded: None,
            gone: Some((
                format!("${} of tmux server {}", tag.session_id, tag.server_pid),
                Some(tag.session_id),
            )),
        })
    }
}
