//! Pure: classified processes + tmux sessions + thresholds -> the health [`Report`] that `mcpd status`
//! prints, `status --json` emits, `--check` turns into an exit code and the dashboard draws.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{Config, Threshold};
use crate::model::{DaemonStatus, Origin, Owner, Record, Snapshot, TmuxView};
use crate::sweep::Classified;
use crate::units::human_bytes;

/// A metric's level against its thresholds (`value >= warn` is a warning, `>= crit` critical).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Normal,
    Warning,
    Critical,
}

impl Level {
    pub fn of(value: u64, t: &Threshold) -> Level {
        if value >= t.crit {
            Level::Critical
        } else if value >= t.warn {
            Level::Warning
        } else {
            Level::Normal
        }
    }

    /// `--check`'s exit code.
    pub fn exit_code(self) -> i32 {
        match self {
            Level::Normal => 0,
            Level::Warning => 1,
            Level::Critical => 2,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Level::Normal => "ok",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

/// One metric with its thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Metric {
    pub value: u64,
    pub level: Level,
    pub warn: u64,
    pub crit: u64,
}

impl Metric {
    pub fn new(value: u64, t: &Threshold) -> Metric {
        Metric {
            value,
            level: Level::of(value, t),
            warn: t.warn,
            crit: t.crit,
        }
    }
}

/// A tmux session's share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionRow {
    pub name: String,
    pub attached: bool,
    /// Seconds since the session's last activity.
    pub idle_seconds: u64,
    pub processes: u64,
    pub rss_bytes: u64,
}

pub use crate::model::ServerRow;

/// The daemon, when it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DaemonInfo {
    pub running: bool,
    pub pid: Option<i32>,
    pub version: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub sweeps: u64,
    pub last_sweep_ms: u64,
    /// Passes over /proc the daemon has made (see `DaemonStatus::proc_passes`).
    pub proc_passes: u64,
}

/// The health report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The worst of the four levels.
    pub level: Level,
    pub processes: Metric,
    pub rss_bytes: Metric,
    pub detached_sessions: Metric,
    pub orphans: Metric,
    /// RSS held by stoppable orphans.
    pub orphan_rss_bytes: u64,
    /// Whether tmux could be asked (false: session metrics are unknown and shown as 0).
    pub tmux: bool,
    pub sessions: Vec<SessionRow>,
    pub servers: Vec<ServerRow>,
    pub recommendations: Vec<String>,
    /// Problems met while gathering (unreadable state files, tmux errors).
    pub warnings: Vec<String>,
    pub daemon: DaemonInfo,
    /// Total MCP RSS over time from the daemon's history: (unix secs, bytes), oldest first.
    pub rss_history: Vec<(u64, u64)>,
}

/// What the report is built from.
pub struct ReportInputs<'a> {
    pub snapshot: &'a Snapshot,
    pub classified: &'a [Classified],
    pub records: &'a [Record],
    pub tmux: Option<&'a TmuxView>,
    pub config: &'a Config,
    /// Seconds since the epoch.
    pub now: u64,
}

/// Builds the report.
pub fn report(inp: &ReportInputs) -> Report {
    let t = &inp.config.thresholds;
    let snap = inp.snapshot;
    let rss_of = |pid: i32| snap.get(pid).map_or(0, |p| p.rss_bytes);
    let total_rss: u64 = inp.classified.iter().map(|c| rss_of(c.pid)).sum();
    let orphans: Vec<&Classified> = inp.classified.iter().filter(|c| c.stoppable()).collect();
    let orphan_rss: u64 = orphans.iter().map(|c| rss_of(c.pid)).sum();

    let mut per_session: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in inp.classified {
        if let Some(Owner::Session(s)) = &c.owner {
            let e = per_session.entry(s.as_str()).or_default();
            e.0 += 1;
            e.1 += rss_of(c.pid);
        }
    }
    let sessions: Vec<SessionRow> = inp
        .tmux
        .map(|v| {
            v.sessions
                .iter()
                .map(|s| {
                    let (n, rss) = per_session
                        .get(s.name.as_str())
                        .copied()
                        .unwrap_or_default();
                    SessionRow {
                        name: s.name.clone(),
                        attached: s.attached > 0,
                        idle_seconds: inp.now.saturating_sub(s.activity),
                        processes: n,
                        rss_bytes: rss,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let detached = sessions.iter().filter(|s| !s.attached).count() as u64;

    let servers = server_rows(inp);

    let processes = Metric::new(inp.classified.len() as u64, &t.processes);
    let rss = Metric::new(total_rss, &t.rss);
    let detached_m = Metric::new(detached, &t.detached_sessions);
    let orphans_m = Metric::new(orphans.len() as u64, &t.orphans);
    let level = [
        processes.level,
        rss.level,
        detached_m.level,
        orphans_m.level,
    ]
    .into_iter()
    .max()
    .unwrap_or(Level::Normal);

    let mut rec = Vec::new();
    if !orphans.is_empty() {
        rec.push(format!(
            "{} orphaned MCP process{} ({}): run `mcpd clean`",
            orphans.len(),
            if orphans.len() == 1 { "" } else { "es" },
            human_bytes(orphan_rss)
        ));
    }
    if detached_m.level > Level::Normal {
        rec.push(format!(
            "{detached} detached tmux sessions: `mcpd clean --detached --older-than 1d` closes the idle ones"
        ));
    }
    if processes.level > Level::Normal || rss.level > Level::Normal {
        let dup = duplicated_servers(inp);
        if let Some((cmd, n)) = dup {
            rec.push(format!(
                "{n} copies of `{cmd}` are running: make it a shared server (`scope = \"global\"`) and point agents at `mcpd connect`"
            ));
        } else {
            rec.push(format!(
                "{} MCP processes use {}: see `mcpd ps` for the largest",
                processes.value,
                human_bytes(total_rss)
            ));
        }
    }
    Report {
        level,
        processes,
        rss_bytes: rss,
        detached_sessions: detached_m,
        orphans: orphans_m,
        orphan_rss_bytes: orphan_rss,
        tmux: inp.tmux.is_some(),
        sessions,
        servers,
        recommendations: rec,
        warnings: Vec::new(),
        daemon: DaemonInfo::default(),
        rss_history: Vec::new(),
    }
}

/// Replaces the record-based server rows with the daemon's own view.
pub fn merge_daemon(report: &mut Report, d: DaemonStatus) {
    report.servers = d.servers;
    for row in report.servers.iter().filter(|r| r.state == "failed") {
        let who = match &row.session {
            Some(s) => format!("{} --session {s}", row.name),
            None => row.name.clone(),
        };
        report.recommendations.push(format!(
            "server {} failed ({}): see its log, fix it, then `mcpd restart {who}`",
            row.name,
            row.last_exit.as_deref().unwrap_or("crash loop")
        ));
    }
    report.recommendations.extend(d.recommendations);
    report.rss_history = d.rss_history;
    report.daemon = DaemonInfo {
        running: true,
        pid: Some(d.pid),
        version: Some(d.version),
        uptime_seconds: Some(d.uptime_secs),
        sweeps: d.sweeps,
        last_sweep_ms: d.last_sweep_ms,
        proc_passes: d.proc_passes,
    };
}

/// Configured servers, with the recorded process of each (spawned records).
fn server_rows(inp: &ReportInputs) -> Vec<ServerRow> {
    let snap = inp.snapshot;
    let mut rows = Vec::new();
    for (name, sc) in &inp.config.servers {
        let scope = match sc.scope {
            crate::config::Scope::Global => "global",
            crate::config::Scope::Session => "session",
        };
        let recs: Vec<&Record> = inp
            .records
            .iter()
            .filter(|r| r.origin == Origin::Spawned && r.server.as_deref() == Some(name.as_str()))
            .collect();
        let mut any = false;
        for r in recs {
            let alive = snap
                .get(r.pid)
                .is_some_and(|p| p.start_ticks == r.start_ticks && !p.is_zombie());
            if !alive {
                continue;
            }
            any = true;
            rows.push(ServerRow {
                name: name.clone(),
                scope: scope.to_string(),
                session: r.owner.session().map(str::to_string),
                pid: Some(r.pid),
                state: "running".into(),
                rss_bytes: snap.tree_rss(r.pid),
                ..Default::default()
            });
        }
        if !any {
            rows.push(ServerRow {
                name: name.clone(),
                scope: scope.to_string(),
                session: None,
                pid: None,
                state: "stopped".into(),
                ..Default::default()
            });
        }
    }
    rows
}

/// The MCP command line that runs most often (at least 3 times), if any: a sign that every session
/// starts its own copy.
fn duplicated_servers(inp: &ReportInputs) -> Option<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in inp.classified {
        if let Some(p) = inp.snapshot.get(c.pid) {
            // Count the server process itself, not its launchers: the deepest MCP-like process.
            let has_mcp_child = inp
                .snapshot
                .children_of(c.pid)
                .iter()
                .any(|ch| inp.classified.iter().any(|c2| c2.pid == *ch));
            if !has_mcp_child {
                *counts.entry(p.command()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= 3)
        .max_by_key(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProcInfo;
    use crate::model::SessionInfo;
    use crate::sweep::OrphanWhy;

    fn snap(n: usize, rss: u64) -> Snapshot {
        let procs = (0..n)
            .map(|i| ProcInfo::new(100 + i as i32, 1, &["node", "mcp-server-x"]).with_rss(rss))
            .collect();
        Snapshot::from_procs(procs, 100, 0, 0.0)
    }

    fn classified(n: usize, orphans: usize) -> Vec<Classified> {
        (0..n)
            .map(|i| Classified {
                orphan: (i < orphans).then(|| OrphanWhy::Reparented {
                    to_pid: 1,
                    to_name: "init".into(),
                }),
                ..Classified::owned(100 + i as i32, None)
            })
            .collect()
    }

    fn build(n: usize, orphans: usize, rss: u64, tmux: Option<&TmuxView>) -> Report {
        let s = snap(n, rss);
        let c = classified(n, orphans);
        let cfg = Config::default();
        report(&ReportInputs {
            snapshot: &s,
            classified: &c,
            records: &[],
            tmux,
            config: &cfg,
            now: 1000,
        })
    }

    #[test]
    fn levels_follow_thresholds() {
        let t = Threshold { warn: 10, crit: 21 };
        assert_eq!(Level::of(9, &t), Level::Normal);
        assert_eq!(Level::of(10, &t), Level::Warning);
        assert_eq!(Level::of(21, &t), Level::Critical);
    }

    #[test]
    fn normal_machine() {
        let r = build(3, 0, 50_000_000, None);
        assert_eq!(r.level, Level::Normal);
        assert_eq!(r.processes.value, 3);
        assert_eq!(r.rss_bytes.value, 150_000_000);
        assert!(r.recommendations.is_empty());
        assert!(!r.tmux);
    }

    #[test]
    fn orphans_warn_and_recommend_clean() {
        let r = build(12, 9, 68_000_000, None);
        assert_eq!(r.orphans.value, 9);
        assert_eq!(r.orphans.level, Level::Critical);
        assert_eq!(r.level, Level::Critical);
        assert_eq!(r.orphan_rss_bytes, 612_000_000);
        assert!(
            r.recommendations[0].starts_with("9 orphaned MCP processes (612 MB)"),
            "{:?}",
            r.recommendations
        );
        assert!(
            r.recommendations.iter().any(|s| s.contains("12 copies")),
            "{:?}",
            r.recommendations
        );
    }

    #[test]
    fn detached_sessions_count() {
        let v = TmuxView {
            server_pid: 5,
            panes: vec![],
            next_session_id: None,
            socket_path: String::new(),
            sessions: (0..4)
                .map(|i| SessionInfo {
                    id: i,
                    name: format!("s{i}"),
                    attached: u32::from(i == 0),
                    activity: 400,
                    created: 0,
                    path: String::new(),
                })
                .collect(),
        };
        let r = build(0, 0, 0, Some(&v));
        assert_eq!(r.detached_sessions.value, 3);
        assert_eq!(r.detached_sessions.level, Level::Warning);
        assert_eq!(r.sessions[1].idle_seconds, 600);
        assert!(r.recommendations[0].contains("detached"));
    }
}
