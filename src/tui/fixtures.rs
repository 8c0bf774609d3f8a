//! Synthetic dashboards for the tests: reports at each level, sessions, servers and process trees, built
//! from plain values (no process table, no tmux).

use std::collections::HashMap;
use std::time::Duration;

use crate::config::Threshold;
use crate::health::{Level, Metric, Report, ServerRow, SessionRow};
use crate::model::{Identity, StopTarget};
use crate::ps_rows::PsRow;
use crate::sweep::{Plan, PlannedStop};

use super::data::Data;

pub const TAKEN_AT: f64 = 1_700_000_000.0;

fn metric(value: u64, warn: u64, crit: u64) -> Metric {
    Metric::new(value, &Threshold { warn, crit })
}

/// A report with the default thresholds (DESIGN.md) and these values.
pub fn report(processes: u64, rss: u64, detached: u64, orphans: u64) -> Report {
    let m = [
        metric(processes, 10, 21),
        metric(rss, 300_000_000, 1_000_000_000),
        metric(detached, 3, 6),
        metric(orphans, 1, 4),
    ];
    Report {
        level: m.iter().map(|m| m.level).max().unwrap_or(Level::Normal),
        processes: m[0],
        rss_bytes: m[1],
        detached_sessions: m[2],
        orphans: m[3],
        orphan_rss_bytes: 0,
        tmux: true,
        sessions: Vec::new(),
        servers: Vec::new(),
        recommendations: Vec::new(),
        warnings: Vec::new(),
        daemon: crate::health::DaemonInfo::default(),
        rss_history: Vec::new(),
    }
}

pub fn session(
    name: &str,
    attached: bool,
    idle_seconds: u64,
    processes: u64,
    rss_bytes: u64,
) -> SessionRow {
    SessionRow {
        name: name.into(),
        attached,
        idle_seconds,
        processes,
        rss_bytes,
    }
}

pub fn server(name: &str, scope: &str, state: &str, pid: Option<i32>, rss_bytes: u64) -> ServerRow {
    ServerRow {
        name: name.into(),
        scope: scope.into(),
        session: None,
        pid,
        state: state.into(),
        rss_bytes,
        ..Default::default()
    }
}

pub fn proc_row(
    pid: i32,
    depth: usize,
    owner: Option<&str>,
    rss_bytes: u64,
    age_seconds: u64,
    command: &str,
) -> PsRow {
    PsRow {
        pid,
        ppid: 1,
        start_time: 1000 + pid as u64,
        rss_bytes,
        command: command.into(),
        owner: owner.map(str::to_string),
        orphan: false,
        age_seconds,
        orphan_reason: None,
        reason: "owned".into(),
        client: None,
        young: false,
        recorded: None,
        depth,
        server: None,
        instance: None,
        contract: None,
        clients: None,
        client_sessions: Vec::new(),
    }
}

/// A dashboard with these sessions (name, attached) and servers, no processes, all metrics normal.
pub fn data(sessions: &[(&str, bool)], servers: Vec<ServerRow>) -> Data {
    let mut r = report(0, 0, sessions.iter().filter(|s| !s.1).count() as u64, 0);
    r.sessions = sessions
        .iter()
        .map(|(n, a)| session(n, *a, 0, 0, 0))
        .collect();
    r.servers = servers;
    Data {
        report: r,
        rows: Vec::new(),
        plan: Plan::default(),
        pgids: HashMap::new(),
        taken_at: TAKEN_AT,
        stop_grace: Duration::from_secs(3),
    }
}

/// A calm machine: two sessions, one shared server, one session's agent with its MCP servers.
pub fn normal() -> Data {
    let mut d = data(
        &[("api", true), ("docs", false)],
        vec![
            server("filesystem", "global", "running", Some(20), 45_000_000),
            server("github", "session", "stopped", None, 0),
        ],
    );
    d.rows = vec![
        proc_row(
            10,
            0,
            Some("session:api"),
            2_000_000,
            3700,
            "npm exec @modelcontextprotocol/server-git",
        ),
        proc_row(
            11,
            1,
            Some("session:api"),
            61_000_000,
            3700,
            "node /home/u/.npm/_npx/mcp-server-git/dist/index.js",
        ),
        proc_row(
            20,
            0,
            Some("global:fs"),
            45_000_000,
            7200,
            "node server-filesystem /home/u",
        ),
    ];
    d.report = Report {
        sessions: d.report.sessions.clone(),
        servers: d.report.servers.clone(),
        ..report(3, 108_000_000, 1, 0)
    };
    d.report.sessions[0] = session("api", true, 12, 2, 63_000_000);
    d.report.sessions[1] = session("docs", false, 4000, 0, 0);
    d
}

/// Too many processes (WARN) and orphans at their warning level.
pub fn warning() -> Data {
    let mut d = normal();
    for i in 0..9 {
        d.rows.push(proc_row(
            100 + i,
            0,
            None,
            20_000_000,
            600,
            "node mcp-server-memory",
        ));
    }
    d.rows[3].orphan = true;
    d.rows[3].orphan_reason = Some("reparented to systemd (pid 1)".into());
    let (sessions, servers) = (d.report.sessions.clone(), d.report.servers.clone());
    d.report = Report {
        sessions,
        servers,
        ..report(12, 288_000_000, 1, 1)
    };
    d.report.recommendations = vec!["1 orphaned MCP process (20 MB): run `mcpd clean`".into()];
    d
}

/// Orphans and memory over their critical thresholds, with a clean plan to show.
pub fn critical() -> Data {
    let mut d = warning();
    for r in d.rows.iter_mut().skip(3) {
        r.orphan = true;
        r.rss_bytes = 150_000_000;
    }
    let (sessions, servers) = (d.report.sessions.clone(), d.report.servers.clone());
    d.report = Report {
        sessions,
        servers,
        ..report(12, 1_458_000_000, 1, 9)
    };
    d.report.recommendations = vec![
        "9 orphaned MCP processes (1.4 GB): run `mcpd clean`".into(),
        "9 copies of `node mcp-server-memory` are running: make it a shared server".into(),
    ];
    d.plan.stop = d.rows[3..]
        .iter()
        .map(|r| PlannedStop {
            target: StopTarget {
                identity: Identity {
                    pid: r.pid,
                    start_ticks: r.start_time,
                },
                pgid: None,
                leader_exited: false,
            },
            pid: r.pid,
            command: r.command.clone(),
            rss_bytes: r.rss_bytes,
            owner: None,
            reason: "reparented to systemd (pid 1)".into(),
        })
        .collect();
    d
}

/// Many sessions (every other one detached), each with one MCP server.
pub fn many_sessions(n: usize) -> Data {
    let names: Vec<String> = (0..n).map(|i| format!("project-{i:02}")).collect();
    let sessions: Vec<(&str, bool)> = names
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i % 2 == 0))
        .collect();
    let mut d = data(&sessions, vec![]);
    for (i, name) in names.iter().enumerate() {
        d.rows.push(proc_row(
            1000 + i as i32,
            0,
            Some(&format!("session:{name}")),
            30_000_000,
            60,
            "node mcp-server-x",
        ));
        d.report.sessions[i].processes = 1;
        d.report.sessions[i].rss_bytes = 30_000_000;
    }
    d
}

/// A rendered buffer as text, one line per row (what a `TestBackend` shows; styles are read from
/// the buffer itself).
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let a = buf.area;
    let mut out = String::new();
    for y in a.top()..a.bottom() {
        for x in a.left()..a.right() {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
