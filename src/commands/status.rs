//! `mcpd status`: the health report, as text, JSON, or an exit code (`--check`).

use crate::cli::{GlobalArgs, StatusArgs};
use crate::health::{Level, Metric, Report};
use crate::output::{Style, table, truncate};
use crate::units::{human_bytes, human_duration};
use crate::world::{PendingDaemon, World};

/// `--check`'s code when the state cannot be read.
pub const UNKNOWN: i32 = 3;

pub fn run(g: &GlobalArgs, a: &StatusArgs, style: Style) -> anyhow::Result<i32> {
    let env = super::env(g);
    // The daemon answers while /proc is read: its round trips overlap the pass instead of adding up.
    let asking = env
        .as_ref()
        .ok()
        .map(|e| PendingDaemon::start(&e.paths, true));
    let world = env.and_then(World::gather);
    let daemon = asking.map(PendingDaemon::wait).map(|(notes, seen)| {
        // A daemon of another version, a config it has not loaded.
        for n in notes {
            eprintln!("{n}");
        }
        seen
    });
    let world = match world {
        Ok(w) => w,
        Err(e) if a.check => {
            eprintln!("mcpd: UNKNOWN: {e:#}");
            return Ok(UNKNOWN);
        }
        Err(e) => return Err(e),
    };
    let report = world.report_with(&daemon.unwrap_or(crate::model::DaemonSeen::Absent));
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        // Servers running in several copies that could share (see `mcpd link`).
        v["duplicates"] =
            serde_json::to_value(crate::duplicates::find(&world.snapshot, &world.classified))?;
        // What mcpd stopped on its own lately, with the reasons (`mcpd events` has more).
        let (events, _) = crate::journal::read(&world.paths.state_dir, 20).unwrap_or_default();
        v["events"] = serde_json::to_value(events)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&report, style));
    }
    Ok(if a.check { report.level.exit_code() } else { 0 })
}

fn metric_line(style: Style, label: &str, m: &Metric, fmt: impl Fn(u64) -> String) -> String {
    format!(
        "  {}  {:<22} {:>9}   {}\n",
        style.level(m.level),
        label,
        fmt(m.value),
        style.dim(&format!("warn {} / crit {}", fmt(m.warn), fmt(m.crit)))
    )
}

/// The text report.
pub fn render(r: &Report, style: Style) -> String {
    let mut out = String::new();
    let headline = match r.level {
        Level::Normal => "mcpd: all normal".to_string(),
        Level::Warning => "mcpd: WARNING".to_string(),
        Level::Critical => "mcpd: CRITICAL".to_string(),
    };
    out.push_str(&style.bold(&headline));
    out.push('\n');
    let n = |v: u64| v.to_string();
    out.push_str(&metric_line(style, "MCP processes", &r.processes, n));
    out.push_str(&metric_line(
        style,
        "MCP memory (RSS)",
        &r.rss_bytes,
        human_bytes,
    ));
    if r.tmux {
        out.push_str(&metric_line(
            style,
            "detached sessions",
            &r.detached_sessions,
            n,
        ));
    } else {
        out.push_str(&format!(
            "  {:<8}  {:<22} {:>9}   {}\n",
            "?",
            "detached sessions",
            "-",
            style.dim("tmux not available")
        ));
    }
    out.push_str(&metric_line(style, "orphaned MCP processes", &r.orphans, n));

    if !r.sessions.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = r
            .sessions
            .iter()
            .map(|s| {
                vec![
                    truncate(&s.name, 32),
                    if s.attached {
                        "attached".into()
                    } else {
                        "detached".into()
                    },
                    human_duration(std::time::Duration::from_secs(s.idle_seconds)),
                    s.processes.to_string(),
                    human_bytes(s.rss_bytes),
                ]
            })
            .collect();
        out.push_str(&table(
            &["SESSION", "STATE", "IDLE", "MCP PROCS", "RSS"],
            &rows,
        ));
    }
    if !r.servers.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = r
            .servers
            .iter()
            .map(|s| {
                vec![
                    // The instance: one per client contract (`fs`, `fs#1`).
                    s.instance.clone().unwrap_or_else(|| s.name.clone()),
                    s.scope.clone(),
                    s.session.clone().unwrap_or_else(|| "-".into()),
                    if s.state == "failed" {
                        style.red(&s.state)
                    } else {
                        s.state.clone()
                    },
                    s.pid.map_or("-".into(), |p| p.to_string()),
                    if s.pid.is_some() {
                        human_bytes(s.rss_bytes)
                    } else {
                        "-".into()
                    },
                    s.restarts.to_string(),
                    if s.clients == 0 {
                        "-".into()
                    } else {
                        s.clients.to_string()
                    },
                    match s.trend_mb_per_hour {
                        Some(t) if s.leak => format!("{t:+.1} MB/h LEAK?"),
                        Some(t) => format!("{t:+.1} MB/h"),
                        None => "-".into(),
                    },
                    s.contract
                        .as_deref()
                        .map_or("-".into(), |c| truncate(c, 60)),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "SERVER", "SCOPE", "SESSION", "STATE", "PID", "RSS", "RESTARTS", "CLIENTS",
                "TREND", "CONTRACT",
            ],
            &rows,
        ));
        for s in r
            .servers
            .iter()
            .filter(|s| s.state == "failed" && !s.last_log.is_empty())
        {
            out.push_str(&format!("  last log lines of {}:\n", s.name));
            for l in &s.last_log {
                out.push_str(&format!("    {}\n", truncate(l, 120)));
            }
        }
    }
    out.push_str(
        &style.dim(&match (&r.daemon.pid, r.daemon.uptime_seconds) {
            (Some(pid), Some(up)) => format!(
                "\ndaemon: running (pid {pid}, up {}, {} sweeps, last {} ms)\n",
                human_duration(std::time::Duration::from_secs(up)),
                r.daemon.sweeps,
                r.daemon.last_sweep_ms
            ),
            (Some(pid), None) => {
                format!("\ndaemon: running (pid {pid}; busy, not answering right now)\n")
            }
            _ => "\ndaemon: not running (`mcpd daemon start` supervises configured servers)\n"
                .to_string(),
        }),
    );
    if !r.recommendations.is_empty() {
        out.push('\n');
        for rec in &r.recommendations {
            out.push_str(&format!("  → {rec}\n"));
        }
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}
