//! `mcpd link AGENT|all` and `mcpd unlink AGENT|all`: point an agent's stdio servers at
//! `mcpd connect NAME` (see [`crate::link`]), keeping the original beside the file as
//! `FILE.mcpd-backup`, and put it back byte for byte.
//!
//! A project's files (`.mcp.json`, `.vscode/mcp.json`...) are usually shared with a team through
//! version control: they are only linked with `--project`.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::import::{expand_folders, non_empty_env, read_config, write_atomically};
use crate::cli::LinkArgs;
use crate::config::Config;
use crate::import::merge::IMPORT_MARK;
use crate::import::sources::{self, Candidate, Places};
use crate::import::{Format, Found};
use crate::link::{self, diff};
use crate::world::Env;

/// The suffix of the backup `mcpd link` writes beside an agent's config.
pub const BACKUP_SUFFIX: &str = ".mcpd-backup";

/// The backup of `path`.
pub fn backup_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(BACKUP_SUFFIX);
    PathBuf::from(s)
}

/// The agent files `args` names, existing ones only, each with its format.
/// The agent files found, each with its format, and the home directory.
type Files = (Vec<(Candidate, Format)>, Option<PathBuf>);

fn files(args: &LinkArgs) -> anyhow::Result<Files> {
    let home = non_empty_env("HOME");
    let codex_home = non_empty_env("CODEX_HOME");
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let places = Places {
        home: home.as_deref(),
        cwd: &cwd,
        codex_home: codex_home.as_deref(),
        macos: cfg!(target_os = "macos"),
    };
    let agent = args.agent.as_str();
    if agent != "all" && !sources::NAMES.contains(&agent) {
        bail!(
            "unknown agent {agent:?}: give one of {} or `all`",
            sources::NAMES.join(", ")
        );
    }
    let candidates = sources::candidates(Some(agent), &places).map_err(anyhow::Error::msg)?;
    let mut out = Vec::new();
    for c in expand_folders(&candidates) {
        let Some(format) = c.format else { continue };
        if c.path.is_file() {
            out.push((c, format));
        }
    }
    Ok((out, home))
}

/// Which mcpd server runs a found entry: the one `mcpd import` recorded it came from (the
/// comment above its table), else the one of the same name.
fn server_finder(env: &Env) -> anyhow::Result<impl Fn(&Found) -> Option<String>> {
    let path = &env.paths.config_file;
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => bail!("{}: cannot read the config: {e}", path.display()),
    };
    let config = Config::parse(&text, path)?;
    let mut by_origin: HashMap<String, String> = HashMap::new();
    if let Ok(doc) = text.parse::<toml_edit::DocumentMut>()
        && let Some(servers) = doc.get("servers").and_then(|s| s.as_table())
    {
        for (name, item) in servers.iter() {
            let prefix = item.as_table().and_then(|t| t.decor().prefix());
            for line in prefix.and_then(|p| p.as_str()).unwrap_or("").lines() {
                if let Some(origin) = line.strip_prefix(IMPORT_MARK) {
                    by_origin.insert(origin.trim_end().to_owned(), name.to_owned());
                }
            }
        }
    }
    let names: Vec<String> = config.servers.keys().cloned().collect();
    Ok(move |f: &Found| {
        by_origin
            .get(&f.origin)
            .cloned()
            .or_else(|| names.iter().find(|n| **n == f.name).cloned())
    })
}

/// Runs `mcpd link`.
pub fn run_link(env: Env, args: &LinkArgs) -> anyhow::Result<i32> {
    let server_for = server_finder(&env)?;
    let (files, home) = files(args)?;
    let mut report = Vec::new();
    let mut linked_any = false;
    for (c, format) in files {
        let shown = sources::display(&c.path, home.as_deref());
        if c.project_dir.is_some() && !args.project {
            report.push(serde_json::json!({"file": shown, "skipped":
                "a project file, often shared with a team: link it with --project"}));
            continue;
        }
        let text = read_config(&c.path).with_context(|| format!("{shown}: cannot read"))?;
        let project = c.project_dir.as_ref().map(|p| p.display().to_string());
        let linked = match link::link_text(&text, &shown, format, project.as_deref(), &server_for) {
            Ok(l) => l,
            Err(e) => {
                report.push(serde_json::json!({"file": shown, "error": e}));
                continue;
            }
        };
        let changed = linked.text != text;
        let backup = backup_of(&c.path);
        if args.dry_run && changed && !args.json {
            print!("{}", diff::unified(&text, &linked.text, &shown, &shown));
        }
        if !args.dry_run && changed {
            if !backup.exists() {
                write_new(&backup, text.as_bytes(), &c.path)?;
            }
            write_atomically(&c.path, &linked.text)?;
            linked_any = true;
        }
        report.push(serde_json::json!({
            "file": shown,
            "agent": c.agent,
            "changed": changed,
            "backup": backup.exists().then(|| sources::display(&backup, home.as_deref())),
            "entries": linked.entries,
        }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }
    print_report(&report, args.dry_run);
    if linked_any {
        println!(
            "Restart the agents (or reload their MCP servers) to use the shared servers; \
             `mcpd unlink {}` puts the files back as they were.",
            args.agent
        );
    }
    Ok(0)
}

fn print_report(report: &[serde_json::Value], dry_run: bool) {
    if report.is_empty() {
        println!("No config of this agent found.");
    }
    for r in report {
        let file = r["file"].as_str().unwrap_or("");
        if let Some(why) = r["skipped"].as_str().or(r["error"].as_str()) {
            println!("{file}: left alone: {why}");
            continue;
        }
        let entries = r["entries"].as_array().cloned().unwrap_or_default();
        let linked: Vec<String> = entries
            .iter()
            .filter_map(|e| {
                Some(format!(
                    "{} -> {}",
                    e["key"].as_str()?,
                    e["server"].as_str()?
                ))
            })
            .collect();
        let verb = match (dry_run, linked.len()) {
            (true, _) => "would run",
            (false, 1) => "now runs",
            (false, _) => "now run",
        };
        if linked.is_empty() {
            println!("{file}: nothing to link");
        } else {
            println!(
                "{file}: {} {verb} through `mcpd connect`: {}",
                plural(linked.len(), "server"),
                linked.join(", ")
            );
        }
        for e in &entries {
            if let (Some(k), Some(why)) = (e["key"].as_str(), e["reason"].as_str()) {
                println!("  {k}: {why}");
            }
        }
        if let Some(b) = r["backup"].as_str().filter(|_| !dry_run) {
            println!("  original kept in {b}");
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Writes a new file with the permissions of `like` (an agent config may hold secrets).
fn write_new(path: &Path, bytes: &[u8], like: &Path) -> anyhow::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create the backup {}", path.display()))?;
    if let Ok(meta) = fs::metadata(like) {
        f.set_permissions(meta.permissions())?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Runs `mcpd unlink`: each linked file gets its backup back, byte for byte.
pub fn run_unlink(env: Env, args: &LinkArgs) -> anyhow::Result<i32> {
    let server_for = server_finder(&env)?;
    let (files, home) = files(args)?;
    let mut restored = 0;
    let mut refused = 0;
    for (c, format) in files {
        let backup = backup_of(&c.path);
        let shown = sources::display(&c.path, home.as_deref());
        let Ok(original) = fs::read(&backup) else {
            continue;
        };
        let current = fs::read(&c.path).with_context(|| format!("{shown}: cannot read"))?;
        // Changed since `mcpd link`? Then restoring would lose the user's edits.
        let project = c.project_dir.as_ref().map(|p| p.display().to_string());
        let relinked = String::from_utf8(original.clone()).ok().and_then(|t| {
            link::link_text(&t, &shown, format, project.as_deref(), &server_for).ok()
        });
        let untouched = relinked.is_some_and(|l| l.text.as_bytes() == current);
        // Changed since (agents rewrite their own files): put back only the linked entries'
        // commands, keeping the rest as it is now; --force restores the backup whole.
        let merged = match (untouched || args.force, std::str::from_utf8(&current)) {
            (false, Ok(cur)) => {
                let old = String::from_utf8_lossy(&original);
                Some(link::revert::revert(cur, &old, &shown, format))
            }
            _ => None,
        };
        if let Some(Err(why)) = &merged {
            eprintln!(
                "mcpd: {why}; {shown} changed since `mcpd link`, and restoring {} whole would lose \
                 those changes: `mcpd unlink --force` restores it anyway",
                sources::display(&backup, home.as_deref())
            );
            refused += 1;
            continue;
        }
        let restored_text = match merged {
            Some(Ok(text)) => text.into_bytes(),
            _ => original.clone(),
        };
        if args.dry_run {
            let (cur, new) = (
                String::from_utf8_lossy(&current),
                String::from_utf8_lossy(&restored_text),
            );
            print!("{}", diff::unified(&cur, &new, &shown, &shown));
            continue;
        }
        // `mcpd link` only edits UTF-8 text, so its backups are UTF-8.
        let text = std::str::from_utf8(&restored_text)
            .with_context(|| format!("{}: not the backup mcpd wrote", backup.display()))?;
        write_atomically(&c.path, text).with_context(|| format!("{shown}: cannot restore"))?;
        fs::remove_file(&backup).with_context(|| format!("cannot remove {}", backup.display()))?;
        if untouched || args.force {
            println!("{shown}: restored as it was before `mcpd link`");
        } else {
            println!(
                "{shown}: the servers' original commands are back (the file changed since \
                 `mcpd link`: those changes are kept)"
            );
        }
        restored += 1;
    }
    if restored == 0 && refused == 0 && !args.dry_run {
        println!("Nothing to unlink: no config of this agent was linked by mcpd.");
    }
    Ok(if refused > 0 { 1 } else { 0 })
}
