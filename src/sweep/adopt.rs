//! Pure: adoption of the MCP servers agents start in tmux panes.

use std::collections::HashSet;

use crate::matcher::Matcher;
use crate::model::{Identity, Origin, Owner, Record, Snapshot, TmuxView};

/// Pure: the MCP-like processes running in each live session's panes (the pane's process and its
/// descendants) that are not recorded yet, as adopted records for that session. Whatever is not
/// MCP-like, like the shell or the agent (a pane leader or deeper), is never recorded.
pub fn adoptions(
    snapshot: &Snapshot,
    view: &TmuxView,
    matcher: &Matcher,
    records: &[Record],
    my_uid: u32,
    now: u64,
) -> Vec<Record> {
    let known: HashSet<Identity> = records.iter().map(Record::identity).collect();
    let mut seen: HashSet<i32> = HashSet::new();
    let mut out = Vec::new();
    for pane in &view.panes {
        for pid in std::iter::once(pane.pid).chain(snapshot.descendants(pane.pid)) {
            let Some(p) = snapshot.get(pid) else { continue };
            if p.uid != my_uid
                || p.is_zombie()
                || !seen.insert(pid)
                || known.contains(&Identity::of(p))
            {
                continue;
            }
            if !matcher.is_mcp(p) {
                continue;
            }
            out.push(Record {
                pid,
                start_ticks: p.start_ticks,
                pgid: p.pgid,
                owner: Owner::Session(pane.session_name.clone()),
                origin: Origin::Adopted,
                server: None,
                command: p.command(),
                recorded_at: now,
                session_id: Some(pane.session_id),
                tmux_socket: Some(view.socket_path.clone()),
                tmux_server_pid: Some(view.server_pid),
            });
        }
    }
    out
}
