//! Pure: the rows `mcpd ps` lists and the dashboard draws, projected from one classification of the
//! process table and the daemon's servers. Asking the daemon is the caller's (once per gathering).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::model::{Owner, ServerRow, Snapshot};
use crate::sweep::{Classified, Client};

/// One row of `ps --json` (field names are part of the CLI contract, DESIGN.md).
#[derive(Debug, Serialize)]
pub struct PsRow {
    pub pid: i32,
    pub ppid: i32,
    pub start_time: u64,
    pub rss_bytes: u64,
    pub command: String,
    pub owner: Option<String>,
    pub orphan: bool,
    pub age_seconds: u64,
    /// Why it is an orphan, when it is one.
    pub orphan_reason: Option<String>,
    /// The one-line reason for its classification, whatever it is (`mcpd ps --explain PID` has all
    /// the evidence).
    pub reason: String,
    /// What protects it from being an orphan: a live client, a live terminal, unreadable stdio.
    pub client: Option<Client>,
    /// An orphan younger than `orphan_min_age`: clean leaves it alone for now.
    pub young: bool,
    /// `spawned` or `adopted` when mcpd has a record of it.
    pub recorded: Option<String>,
    /// Depth in its tree (0 = top).
    pub depth: usize,
    /// The configured server this process is, when the daemon runs it (`fs` or `fs@session`).
    pub server: Option<String>,
    /// Which instance of that server's pool this process is (`fs`, `fs#1`, `fs@session`): a
    /// server shared by contract or per session runs one process per group of clients.
    pub instance: Option<String>,
    /// The contract the instance's clients share, once one joined.
    pub contract: Option<String>,
    /// Connected `mcpd connect` clients of that instance, and their tmux sessions.
    pub clients: Option<u32>,
    pub client_sessions: Vec<String>,
}

/// Which processes to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    /// Orphans only.
    pub only_orphans: bool,
    /// Only processes owned by this session.
    pub session: Option<&'a str>,
    /// Only processes whose command line contains this.
    pub matching: Option<&'a str>,
}

/// Pure: the rows of `ps`, in tree order (parents before children, with their depth), from the
/// classified processes of one snapshot and the daemon's servers (empty when it does not run).
pub fn project(
    classified: &[Classified],
    snapshot: &Snapshot,
    servers: &[ServerRow],
    filter: &Filter,
) -> Vec<PsRow> {
    let Filter {
        only_orphans,
        session,
        matching,
    } = *filter;
    let by_pid: HashMap<i32, &Classified> = classified.iter().map(|c| (c.pid, c)).collect();
    let keep = |c: &Classified| {
        (!only_orphans || c.orphan.is_some())
            && session.is_none_or(|s| c.owner.as_ref() == Some(&Owner::Session(s.to_string())))
            && matching.is_none_or(|m| snapshot.get(c.pid).is_some_and(|p| p.command().contains(m)))
    };
    let kept: HashSet<i32> = classified
        .iter()
        .filter(|c| keep(c))
        .map(|c| c.pid)
        .collect();
    // The daemon's servers, by pid: which server a process is and who is connected to it.
    let servers: HashMap<i32, &ServerRow> = servers
        .iter()
        .filter_map(|s| s.pid.map(|p| (p, s)))
        .collect();
    let mut out = Vec::new();
    // Roots: kept processes whose parent is not kept; then depth-first through kept children.
    let mut roots: Vec<i32> = kept
        .iter()
        .copied()
        .filter(|p| snapshot.get(*p).is_none_or(|i| !kept.contains(&i.ppid)))
        .collect();
    roots.sort_unstable();
    let mut stack: Vec<(i32, usize)> = roots.into_iter().rev().map(|p| (p, 0)).collect();
    while let Some((pid, depth)) = stack.pop() {
        let (Some(p), Some(c)) = (snapshot.get(pid), by_pid.get(&pid)) else {
            continue;
        };
        out.push(PsRow {
            pid,
            ppid: p.ppid,
            start_time: p.start_ticks,
            rss_bytes: p.rss_bytes,
            command: p.command(),
            owner: c.owner.as_ref().map(ToString::to_string),
            orphan: c.orphan.is_some(),
            age_seconds: snapshot.age(p).as_secs(),
            orphan_reason: c.orphan.as_ref().map(ToString::to_string),
            reason: c.reason(),
            client: c.client.clone(),
            young: c.young,
            recorded: c.recorded.map(|o| format!("{o:?}").to_lowercase()),
            depth,
            server: servers.get(&pid).map(|s| match &s.session {
                Some(sess) => format!("{}@{sess}", s.name),
                None => s.name.clone(),
            }),
            instance: servers.get(&pid).map(|s| {
                s.instance.clone().unwrap_or_else(|| match &s.session {
                    Some(sess) => format!("{}@{sess}", s.name),
                    None => s.name.clone(),
                })
            }),
            contract: servers.get(&pid).and_then(|s| s.contract.clone()),
            clients: servers.get(&pid).map(|s| s.clients),
            client_sessions: servers
                .get(&pid)
                .map(|s| s.client_sessions.clone())
                .unwrap_or_default(),
        });
        for ch in snapshot.children_of(pid).iter().rev() {
            if kept.contains(ch) {
                stack.push((*ch, depth + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProcInfo;

    fn snap() -> Snapshot {
        Snapshot::from_procs(
            vec![
                ProcInfo::new(1, 0, &["/sbin/init"]),
                ProcInfo::new(10, 1, &["npx", "mcp-server-a"]).with_rss(1 << 20),
                ProcInfo::new(11, 10, &["node", "mcp-server-a"]).with_rss(2 << 20),
                ProcInfo::new(20, 1, &["node", "mcp-server-b"]),
            ],
            100,
            0,
            100.0,
        )
    }

    #[test]
    fn rows_are_trees_labelled_with_the_daemons_servers_and_filtered() {
        let work = Some(Owner::Session("work".into()));
        let classified = vec![
            Classified::owned(10, work.clone()),
            Classified::owned(11, work),
            Classified::owned(20, Some(Owner::Global("b".into()))),
        ];
        let servers = [ServerRow {
            name: "b".into(),
            pid: Some(20),
            clients: 2,
            client_sessions: vec!["work".into(), "-".into()],
            ..ServerRow::default()
        }];
        let rows = project(&classified, &snap(), &servers, &Filter::default());
        let shape: Vec<(i32, usize, Option<&str>)> = rows
            .iter()
            .map(|r| (r.pid, r.depth, r.server.as_deref()))
            .collect();
        assert_eq!(shape, [(10, 0, None), (11, 1, None), (20, 0, Some("b"))]);
        assert_eq!(
            (rows[2].clients, rows[2].instance.as_deref()),
            (Some(2), Some("b"))
        );
        assert_eq!(rows[1].command, "node mcp-server-a");
        // Without the daemon: the same rows, unlabelled.
        assert!(
            project(&classified, &snap(), &[], &Filter::default())
                .iter()
                .all(|r| r.server.is_none() && r.clients.is_none())
        );
        let only_work = Filter {
            session: Some("work"),
            ..Filter::default()
        };
        let pids: Vec<i32> = project(&classified, &snap(), &servers, &only_work)
            .iter()
            .map(|r| r.pid)
            .collect();
        assert_eq!(pids, [10, 11]);
    }
}
