//! `mcpd ps`: every MCP-like process, as trees, with owner, memory, age and orphan mark.

use crate::cli::PsArgs;
use crate::model::ServerRow;
use crate::output::{Style, table, truncate};
use crate::ps_rows::Filter;
use crate::units::{human_bytes, human_duration};
use crate::world::{Env, PendingDaemon, World};

pub use crate::ps_rows::PsRow;

/// The rows of `ps` for a gathered world, with the daemon's `servers` (from
/// [`World::ask_daemon`]; empty when it does not run).
pub fn rows(
    w: &World,
    servers: &[ServerRow],
    only_orphans: bool,
    session: Option<&str>,
    matching: Option<&str>,
) -> Vec<PsRow> {
    let filter = Filter {
        only_orphans,
        session,
        matching,
    };
    crate::ps_rows::project(&w.classified, &w.snapshot, servers, &filter)
}

pub fn run(env: Env, a: &PsArgs, style: Style) -> anyhow::Result<i32> {
    // The daemon's servers are asked for while /proc is read (not needed to explain or dump).
    let asking =
        (a.explain.is_none() && a.dump.is_none()).then(|| PendingDaemon::start(&env.paths, false));
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
    let daemon = match asking {
        Some(asking) => asking.wait().1,
        None => w.ask_daemon(),
    };
    let rows = rows(
        &w,
        daemon.servers(),
        a.orphans,
        a.session.as_deref(),
        a.matching.as_deref(),
    );
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
