//! `mcpd ps`: every MCP-like process, as trees, with owner, memory, age and orphan mark.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::cli::PsArgs;
use crate::output::{Style, table, truncate};
use crate::state::Owner;
use crate::sweep::Classified;
use crate::units::{human_bytes, human_duration};
use crate::world::{Env, World};

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
    pub client: Option<crate::sweep::Client>,
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

pub fn rows(
    w: &World,
    only_orphans: bool,
    session: Option<&str>,
    matching: Option<&str>,
) -> Vec<PsRow> {
    let by_pid: HashMap<i32, &Classified> = w.classified.iter().map(|c| (c.pid, c)).collect();
    let keep = |c: &Classified| {
        (!only_orphans || c.orphan.is_some())
            && session.is_none_or(|s| c.owner.as_ref() == Some(&Owner::Session(s.to_string())))
            && matching.is_none_or(|m| {
                w.snapshot
                    .get(c.pid)
                    .is_some_and(|p| p.command().contains(m))
            })
    };
    let kept: HashSet<i32> = w
        .classified
        .iter()
        .filter(|c| keep(c))
        .map(|c| c.pid)
        .collect();
    // The daemon's servers, by pid: which server a process is and who is connected to it.
    let servers: HashMap<i32, crate::daemon::protocol::ServerStatus> =
        crate::daemon::client::status(&w.paths)
            .map(|d| {
                d.servers
                    .into_iter()
                    .filter_map(|s| s.pid.map(|p| (p, s)))
                    .collect()
            })
            .unwrap_or_default();
    let mut out = Vec::new();
    // Roots: kept processes whose parent is not kept; then depth-first through kept children.
    let mut roots: Vec<i32> = kept
        .iter()
        .copied()
        .filter(|p| w.snapshot.get(*p).is_none_or(|i| !kept.contains(&i.ppid)))
        .collect();
    roots.sort_unstable();
    let mut stack: Vec<(i32, usize)> = roots.into_iter().rev().map(|p| (p, 0)).collect();
    while let Some((pid, depth)) = stack.pop() {
        let (Some(p), Some(c)) = (w.snapshot.get(pid), by_pid.get(&pid)) else {
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
            age_seconds: w.snapshot.age(p).as_secs(),
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
        for ch in w.snapshot.children_of(pid).iter().rev() {
            if kept.contains(ch) {
                stack.push((*ch, depth + 1));
            }
        }
    }
    out
}

pub fn run(env: Env, a: &PsArgs, style: Style) -> anyhow::Result<i32> {
    let w = World::gather(env)?;
    if let Some(pid) = a.explain {
        print!("{}", super::explain::explain(&w, pid)?);
        return Ok(0);
    }
    if let Some(path) = &a.dump {
        let text = serde_json::to_string_pretty(&super::explain::dump(&w))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        eprintln!("saved what mcpd saw to {}", path.display());
        return Ok(0);
    }
    let rows = rows(&w, a.orphans, a.session.as_deref(), a.matching.as_deref());
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    for warn in &w.warnings {
        eprintln!("warning: {warn}");
    }
    if rows.is_empty() {
        println!(
            "{}",
            if a.orphans {
                "No orphaned MCP processes."
            } else {
                "No MCP processes found."
            }
        );
        return Ok(0);
    }
    // On a terminal, keep rows on one line; piped output keeps whole command lines.
    let width = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        crossterm::terminal::size().map_or(usize::MAX, |(c, _)| (c as usize).max(80))
    } else {
        usize::MAX
    };
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mark = match (r.orphan, r.young) {
                (true, false) => style.red("ORPHAN"),
                (true, true) => "orphan(young)".to_string(),
                _ => String::new(),
            };
            let indent = if r.depth == 0 {
                String::new()
            } else {
                format!("{}└─ ", "   ".repeat(r.depth - 1))
            };
            vec![
                r.pid.to_string(),
                r.owner.clone().unwrap_or_else(|| "-".into()),
                human_bytes(r.rss_bytes),
                human_duration(std::time::Duration::from_secs(r.age_seconds)),
                mark,
                truncate(
                    &format!(
                        "{indent}{}{}",
                        match (r.instance.as_ref().or(r.server.as_ref()), r.clients) {
                            (Some(sv), Some(n)) if !r.client_sessions.is_empty() => {
                                format!(
                                    "[{sv}: {n} client(s) from {}] ",
                                    r.client_sessions.join(", ")
                                )
                            }
                            (Some(sv), Some(n)) => format!("[{sv}: {n} client(s)] "),
                            _ => String::new(),
                        },
                        r.command
                    ),
                    width.saturating_sub(50).max(30),
                ),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["PID", "OWNER", "RSS", "AGE", "ORPHAN", "COMMAND"],
            &table_rows
        )
    );
    let total: u64 = rows.iter().map(|r| r.rss_bytes).sum();
    let orphans = rows.iter().filter(|r| r.orphan && !r.young).count();
    println!(
        "{}",
        style.dim(&format!(
            "{} processes, {}; {} orphaned",
            rows.len(),
            human_bytes(total),
            orphans
        ))
    );
    Ok(0)
}
