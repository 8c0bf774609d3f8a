//! `mcpd clean`: adopt what agents started in live sessions, then stop orphaned MCP trees and drop stale
//! records; with `--detached`, first close detached sessions idle longer than `--older-than`.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use serde::Serialize;

use crate::cli::CleanArgs;
use crate::output::{Style, truncate};
use crate::procs;
use crate::session::{self, ClosedSession};
use crate::sweep::{self, Plan};
use crate::units::{human_bytes, human_duration, parse_duration};
use crate::world::{Env, World};

#[derive(Serialize)]
struct CleanResult<'a> {
    dry_run: bool,
    plan: &'a Plan,
    closed_sessions: Vec<String>,
    stopped: Vec<procs::stop::Stopped>,
    freed_bytes: u64,
    survivors: Vec<i32>,
    dropped_records: usize,
    adopted: usize,
}

/// Records new adoptions (agent-started servers in live sessions) so that sessions own them.
fn adopt(w: &mut World) -> anyhow::Result<usize> {
    let Some(view) = &w.tmux_view else {
        return Ok(0);
    };
    let now = w.snapshot.taken_at as u64;
    let new = sweep::adoptions(
        &w.snapshot,
        view,
        &w.matcher,
        &w.records,
        procs::my_uid(),
        now,
    );
    let n = new.len();
    if n > 0 {
        for warn in w.registry.add(new.clone())? {
            w.warnings.push(warn.to_string());
        }
        w.records.extend(new);
        w.reclassify();
    }
    Ok(n)
}

fn detached_candidates(w: &World, older_than: Duration) -> Vec<(String, u32, u64)> {
    let now = w.snapshot.taken_at as u64;
    let Some(view) = &w.tmux_view else {
        return Vec::new();
    };
    view.sessions
        .iter()
        .filter(|s| s.attached == 0 && now.saturating_sub(s.activity) >= older_than.as_secs())
        .map(|s| (s.name.clone(), s.id, now.saturating_sub(s.activity)))
        .collect()
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

pub fn run(env: Env, a: &CleanArgs, style: Style) -> anyhow::Result<i32> {
    let older_than = match &a.older_than {
        Some(s) => parse_duration(s).map_err(|e| anyhow::anyhow!("--older-than: {e}"))?,
        None => Duration::ZERO,
    };
    let mut w = World::gather(env)?;
    for warn in &w.warnings {
        eprintln!("warning: {warn}");
    }
    let adopted = if a.dry_run { 0 } else { adopt(&mut w)? };

    // Detached sessions first: what they owned then shows up as session-gone orphans below.
    let mut closed_sessions = Vec::new();
    let mut stopped = Vec::new();
    if a.detached {
        if w.tmux_view.is_none() {
            anyhow::bail!(
                "--detached needs tmux, which could not be reached ({})",
                w.tmux.describe()
            );
        }
        let cands = detached_candidates(&w, older_than);
        if cands.is_empty() {
            if !a.json {
                println!(
                    "No detached sessions idle for {} or more.",
                    human_duration(older_than)
                );
            }
        } else {
            if !a.json || a.dry_run {
                let verb = if a.dry_run { "Would close" } else { "Closing" };
                eprintln!("{verb} {} detached session(s):", cands.len());
                for (name, _, idle) in &cands {
                    eprintln!(
                        "  {name}  (idle {})",
                        human_duration(Duration::from_secs(*idle))
                    );
                }
            }
            if !a.dry_run {
                if !a.yes {
                    if !std::io::stdin().is_terminal() {
                        anyhow::bail!(
                            "refusing to close sessions without confirmation: no terminal to ask on; pass --yes"
                        );
                    }
                    if !confirm("Close them and stop what they own?")? {
                        println!("Nothing closed.");
                        return Ok(1);
                    }
                }
                let server_pid = w.tmux_view.as_ref().map(|v| v.server_pid);
                let registry = w.registry.clone();
                for (name, id, _) in cands {
                    // Kill the session first so nothing new starts in it, then stop what it owned.
                    if let Err(e) = w.tmux.run(&[
                        std::ffi::OsString::from("kill-session"),
                        "-t".into(),
                        crate::tmux::exact(&name),
                    ]) {
                        eprintln!("warning: cannot close session {name:?}: {e}");
                        continue;
                    }
                    let out = session::close(
                        &registry,
                        &w.config,
                        &ClosedSession {
                            name: name.clone(),
                            id: Some(id),
                            server_pid,
                            socket: Some(w.tmux.socket_path()),
                        },
                        &w.tmux,
                        &w.state_tag,
                        w.paths.env_cache_file().as_deref(),
                    )?;
                    stopped.extend(out.stopped.clone());
                    closed_sessions.push(name);
                }
                // The world changed: look again.
                let env = Env {
                    paths: w.paths.clone(),
                    config: w.config.clone(),
                    tmux: w.tmux.clone(),
                };
                w = World::gather(env)?;
            }
        }
    }

    let mut plan = w.plan();
    if let Some(m) = &a.matching {
        let snap = &w.snapshot;
        let in_tree = |pid: i32| {
            std::iter::once(pid).chain(snap.descendants(pid)).any(|p| {
                snap.get(p)
                    .is_some_and(|p| p.command().contains(m.as_str()))
            })
        };
        plan.stop.retain(|s| in_tree(s.pid));
    }
    if a.dry_run {
        if a.json {
            let r = CleanResult {
                dry_run: true,
                plan: &plan,
                closed_sessions,
                stopped,
                freed_bytes: 0,
                survivors: vec![],
                dropped_records: 0,
                adopted,
            };
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            print_plan(&plan, &young_orphans(&w), style);
        }
        return Ok(0);
    }

    let moved = super::reconcile::apply_moves(&w.registry, &plan, &w.records);
    if moved > 0 {
        tracing::info!("moved {moved} record(s) to the session their process runs in now");
    }
    let outcome_all = super::reconcile::stop_planned(&w, &plan, "clean")?;
    stopped.extend(outcome_all.stopped.clone());
    let dropped = drop_stale(&w)?;
    let survivors: Vec<i32> = stopped
        .iter()
        .filter(|s| s.ending == procs::stop::Ending::Survived)
        .map(|s| s.pid)
        .collect();
    let freed: u64 = stopped
        .iter()
        .filter(|s| s.ending != procs::stop::Ending::Survived)
        .map(|s| s.rss_bytes)
        .sum();

    if a.json {
        let r = CleanResult {
            dry_run: false,
            plan: &plan,
            closed_sessions,
            stopped,
            freed_bytes: freed,
            survivors: survivors.clone(),
            dropped_records: dropped,
            adopted,
        };
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        if stopped.is_empty() {
            println!("No orphaned MCP processes.");
        } else {
            for s in &stopped {
                let how = match s.ending {
                    procs::stop::Ending::Term => "stopped",
                    procs::stop::Ending::Kill => "killed (ignored SIGTERM)",
                    procs::stop::Ending::Survived => "STILL RUNNING",
                };
                println!(
                    "  {:>7}  {:>8}  {:<24}  {}",
                    s.pid,
                    human_bytes(s.rss_bytes),
                    how,
                    truncate(&s.command, 70)
                );
            }
            println!(
                "{}",
                style.bold(&format!(
                    "Stopped {} process{}, {} freed.",
                    stopped.len() - survivors.len(),
                    if stopped.len() - survivors.len() == 1 {
                        ""
                    } else {
                        "es"
                    },
                    human_bytes(freed)
                ))
            );
        }
        if !closed_sessions.is_empty() {
            println!(
                "Closed {} detached session(s): {}",
                closed_sessions.len(),
                closed_sessions.join(", ")
            );
        }
        if adopted > 0 {
            println!("Adopted {adopted} agent-started MCP process(es) into their sessions.");
        }
        if dropped > 0 {
            println!("Dropped {dropped} stale record(s).");
        }
        for pid in &survivors {
            eprintln!(
                "warning: pid {pid} survived SIGKILL (uninterruptible sleep?); run `mcpd clean` again later"
            );
        }
    }
    Ok(if survivors.is_empty() { 0 } else { 1 })
}

/// Drops every record whose process is gone (or whose pid was recycled), and the records of sessions
/// that no longer exist once their processes are gone. Returns how many were dropped.
fn drop_stale(w: &World) -> anyhow::Result<usize> {
    let (dropped, warns) = w
        .registry
        .drop_gone(w.records.iter().map(|r| (&r.owner, r.identity())))?;
    for warn in warns {
        eprintln!("warning: {warn}");
    }
    Ok(dropped)
}

/// Orphans too young to stop yet (`orphan_min_age`): (pid, command, time until eligible).
fn young_orphans(w: &World) -> Vec<(i32, String, Duration)> {
    let min_age = w.config.daemon.orphan_min_age;
    w.classified
        .iter()
        .filter(|c| c.orphan.is_some() && c.young)
        .filter_map(|c| {
            let p = w.snapshot.get(c.pid)?;
            let left = min_age.saturating_sub(w.snapshot.age(p));
            Some((c.pid, p.command(), left))
        })
        .collect()
}

/// Why a record is dropped, in words.
fn drop_words(why: sweep::DropWhy) -> &'static str {
    match why {
        sweep::DropWhy::Gone => "its process has exited",
        sweep::DropWhy::Recycled => "its pid now belongs to another process",
        sweep::DropWhy::SessionGone => "its tmux session was closed",
    }
}

fn print_plan(plan: &Plan, young: &[(i32, String, Duration)], style: Style) {
    if plan.is_empty() && young.is_empty() {
        println!("Nothing to do: no orphaned MCP processes, no stale records.");
        return;
    }
    if plan.is_empty() {
        println!("Nothing to stop yet:");
    }
    if !young.is_empty() {
        println!(
            "{} orphan(s) too young to stop (orphan_min_age gives agents time to reconnect):",
            young.len()
        );
        for (pid, command, left) in young {
            println!(
                "  {pid:>7}  {}  eligible in {}",
                truncate(command, 70),
                human_duration(*left)
            );
        }
    }
    if !plan.stop.is_empty() {
        println!(
            "{}",
            style.bold(&format!(
                "Would stop {} tree(s), {}:",
                plan.stop.len(),
                human_bytes(plan.rss_bytes())
            ))
        );
        for s in &plan.stop {
            println!(
                "  {:>7}  {:>8}  {}",
                s.pid,
                human_bytes(s.rss_bytes),
                truncate(&s.command, 80)
            );
            println!("           {}", style.dim(&format!("orphan: {}", s.reason)));
        }
    }
    if !plan.drop.is_empty() {
        println!("Would drop {} stale record(s):", plan.drop.len());
        for d in &plan.drop {
            println!("  {:>7}  {}  ({})", d.pid, d.owner, drop_words(d.why));
        }
    }
    println!(
        "{}",
        style.dim("(dry run: nothing was signalled or changed)")
    );
}
