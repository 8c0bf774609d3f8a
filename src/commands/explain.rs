//! `mcpd ps --explain PID` and `mcpd ps --dump FILE`: the evidence behind a classification, and what
//! mcpd saw, saved for a replay.

use std::fmt::Write as _;

use crate::sweep::dump::{Dump, VERSION};
use crate::world::World;

/// The evidence for `pid`, as lines for a person.
pub fn explain(w: &World, pid: i32) -> anyhow::Result<String> {
    let Some(p) = w.snapshot.get(pid) else {
        anyhow::bail!("no process {pid} (it may have exited); `mcpd ps` lists the MCP-like ones");
    };
    let mut out = String::new();
    let prog = w.matcher.program(p);
    writeln!(out, "{pid}  {}", p.command())?;
    writeln!(
        out,
        "  program: {} ({:?}); names: {}",
        prog.exe,
        prog.kind,
        prog.tokens.join(", ")
    )?;
    if p.uid != crate::procs::my_uid() {
        writeln!(out, "  another user's process: never considered")?;
        return Ok(out);
    }
    let Some(c) = w.classified.iter().find(|c| c.pid == pid) else {
        writeln!(
            out,
            "  not MCP-like: no pattern matches its program names, and mcpd neither recorded nor tagged it"
        )?;
        writeln!(out, "  (patterns: {})", w.config.all_patterns().join(", "))?;
        return Ok(out);
    };
    match &c.evidence.matched {
        Some(m) => writeln!(
            out,
            "  MCP-like: `{}` matches pattern `{}`",
            m.token, m.pattern
        )?,
        None => writeln!(out, "  MCP-like: recorded or tagged by mcpd")?,
    }
    match (&c.owner, &c.evidence.owned_by) {
        (Some(o), Some(by)) => writeln!(out, "  owner: {o} (by {})", serde_json::to_string(by)?)?,
        _ => writeln!(out, "  owner: none known")?,
    }
    if let Some(t) = p.env.as_ref().and_then(|e| e.tmux.as_ref()) {
        writeln!(
            out,
            "  TMUX tag: server {} on {}, session ${}",
            t.server_pid, t.socket, t.session_id
        )?;
    }
    if !c.evidence.steps.is_empty() {
        writeln!(out, "  lineage:")?;
        for s in &c.evidence.steps {
            writeln!(
                out,
                "    {:>7}  {}  <- {}",
                s.pid,
                crate::output::truncate(&s.command, 60),
                s.role
            )?;
        }
    }
    if let Some(v) = &c.evidence.stdio {
        writeln!(out, "  stdin:  {}", serde_json::to_string(&v.stdin)?)?;
        writeln!(out, "  stdout: {}", serde_json::to_string(&v.stdout)?)?;
        for h in v.stdin_clients.iter().chain(&v.stdout_clients) {
            let cmd = w
                .snapshot
                .get(h.pid)
                .map(|p| p.command())
                .unwrap_or_default();
            writeln!(
                out,
                "    held by {} (fd {}, {:?}): {}",
                h.pid, h.fd, h.mode, cmd
            )?;
        }
    }
    let verdict = if c.orphan.is_some() && c.young {
        format!(
            "orphan, but younger than orphan_min_age ({}): left alone for now",
            crate::units::human_duration(w.config.daemon.orphan_min_age)
        )
    } else if c.orphan.is_some() {
        "ORPHAN: `mcpd clean` would stop it".to_string()
    } else {
        "kept".to_string()
    };
    writeln!(out, "  verdict: {verdict}: {}", c.reason())?;
    Ok(out)
}

/// What this World saw, for `--dump`.
pub fn dump(w: &World) -> Dump {
    let mut procs: Vec<_> = w.snapshot.procs.values().cloned().collect();
    procs.sort_by_key(|p| p.pid);
    let mut stdio: Vec<_> = w.stdio.values().cloned().collect();
    stdio.sort_by_key(|v| v.pid);
    Dump {
        version: VERSION,
        note: String::new(),
        my_uid: crate::procs::my_uid(),
        taken_at: w.snapshot.taken_at,
        ticks_per_sec: w.snapshot.ticks_per_sec,
        boot_time: w.snapshot.boot_time,
        orphan_min_age_secs: w.config.daemon.orphan_min_age.as_secs(),
        state_tag: Some(w.state_tag.clone()),
        patterns: w.config.all_patterns(),
        exclude: w.config.matching.exclude.clone(),
        launchers: w.config.matching.launchers.clone(),
        procs,
        records: w.records.clone(),
        tmux: w.tmux_view.clone(),
        stdio,
        expect: Default::default(),
    }
}
