//! `mcpd import [SOURCE]`: read the MCP server configs agents already have (see
//! [`crate::import`]), add their stdio servers to mcpd's config without touching its comments,
//! and print what to put in each agent's config to use `mcpd connect NAME` instead.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use toml_edit::DocumentMut;

use crate::config::{Config, Scope};
use crate::import::snippet::{Snippet, snippets};
use crate::import::sources::{self, Places};
use crate::import::{self, Format, Kind, MergeOptions, Merged};
use crate::world::Env;

/// The start of a config file `mcpd import` creates.
const NEW_FILE_HEADER: &str = "# mcpd configuration, created by `mcpd import`.\n\
# `mcpd config check` validates it; see DESIGN.md (Configuration) for every key.\n";

pub use crate::cli::ImportArgs;

/// Runs `mcpd import`; 0 when it worked (even if some servers were skipped).
pub fn run(env: Env, args: &ImportArgs) -> anyhow::Result<i32> {
    let scope = match args.scope.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse::<Scope>()
                .map_err(|_| anyhow!("--scope must be `global` or `session`, not {s:?}"))?,
        ),
    };
    let home = non_empty_env("HOME");
    let codex_home = non_empty_env("CODEX_HOME");
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let places = Places {
        home: home.as_deref(),
        cwd: &cwd,
        codex_home: codex_home.as_deref(),
        macos: cfg!(target_os = "macos"),
    };
    let candidates =
        sources::candidates(args.source.as_deref(), &places).map_err(anyhow::Error::msg)?;
    let (mut found, mut read, mut looked) = (Vec::new(), Vec::new(), Vec::new());
    for c in &expand_folders(&candidates) {
        let shown = sources::display(&c.path, home.as_deref());
        let text = match read_config(&c.path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound && !c.required => {
                looked.push(shown);
                continue;
            }
            Err(e) if e.kind() == ErrorKind::NotFound => bail!(
                "{shown}: no such file (SOURCE is a file or one of: {})",
                sources::NAMES.join(", ")
            ),
            Err(e) => bail!("{shown}: cannot read: {e}"),
        };
        let project = c.project_dir.as_ref().map(|p| p.display().to_string());
        let (_, list) = import::parse_source(&text, &shown, c.format, project.as_deref())?;
        found.extend(list);
        read.push(shown);
    }

    let path = &env.paths.config_file;
    let existing = match fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => bail!("{}: cannot read the config: {e}", path.display()),
    };
    if let Some(text) = &existing {
        Config::parse(text, path)
            .map_err(|e| anyhow!("{e}\n(nothing imported: fix the config first)"))?;
    }
    let doc: DocumentMut = existing
        .as_deref()
        .unwrap_or(NEW_FILE_HEADER)
        .parse()
        .with_context(|| format!("{}: cannot edit the config", path.display()))?;
    let merged = import::merge(
        doc,
        &found,
        &MergeOptions {
            scope,
            force: args.force,
            home: home.as_ref().map(|h| h.display().to_string()),
        },
    )?;
    if let Err(e) = Config::parse(&merged.text, path) {
        bail!(
            "the config with the imported servers would not be valid, so nothing was written: {e}"
        );
    }
    if !args.dry_run && !merged.report.added.is_empty() {
        write_atomically(path, &merged.text)?;
    }
    let added: Vec<(Format, String)> = merged
        .report
        .added
        .iter()
        .filter_map(|n| {
            let f = found
                .iter()
                .find(|f| &f.name == n && matches!(f.kind, Kind::Stdio { .. }))?;
            Some((f.format, n.clone()))
        })
        .collect();
    let connect = snippets(&added);
    if args.json {
        let v = serde_json::json!({
            "added": merged.report.added,
            "replaced": merged.report.replaced,
            "skipped": merged.report.skipped,
            "clashes": merged.report.clashes,
            "remote": merged.report.remote,
            "notes": merged.report.notes,
            "fill_in": merged.report.fill_in,
            "dry_run": args.dry_run,
            "config": path,
            "sources": read,
            "added_toml": merged.added_toml,
            "connect": connect,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_human(args, path, &read, &looked, &merged, &connect);
    }
    Ok(0)
}

/// The largest agent config read (a config is a few kilobytes; this bounds memory).
const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// Reads one agent config, refusing what is not a regular file or is too big.
pub(crate) fn read_config(path: &Path) -> std::io::Result<String> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(std::io::Error::other(format!(
            "{} bytes, more than an agent config can be ({MAX_SOURCE_BYTES})",
            meta.len()
        )));
    }
    fs::read_to_string(path)
}

/// Folder candidates (Continue's `.continue/mcpServers/`) become one candidate per config
/// file in them, sorted; a missing folder is nothing found.
pub(crate) fn expand_folders(candidates: &[sources::Candidate]) -> Vec<sources::Candidate> {
    let mut out = Vec::new();
    for c in candidates {
        if !c.folder {
            out.push(c.clone());
            continue;
        }
        let Ok(entries) = fs::read_dir(&c.path) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            })
            .collect();
        files.sort();
        for path in files {
            let json = path.extension().is_some_and(|e| e == "json");
            out.push(sources::Candidate {
                path,
                folder: false,
                // Continue's block folders also take Claude-style JSON files.
                format: if json { None } else { c.format },
                ..c.clone()
            });
        }
    }
    out
}

pub(crate) fn non_empty_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so that a
/// reader sees the old file or the new one. A symlinked config is written where it points.
pub(crate) fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::state::atomic::write(
        &target,
        text.as_bytes(),
        crate::state::atomic::Mode::Like(&target),
    )
    .with_context(|| format!("cannot write {}", target.display()))
}

fn print_human(
    args: &ImportArgs,
    path: &Path,
    read: &[String],
    looked: &[String],
    merged: &Merged,
    connect: &[Snippet],
) {
    let r = &merged.report;
    if read.is_empty() {
        println!(
            "No agent MCP configs found (looked for {}).",
            looked.join(", ")
        );
        return;
    }
    println!("Read {}.", read.join(", "));
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let n = r.added.len();
    match (n, args.dry_run) {
        (0, _) => println!("Nothing to add to {}.", path.display()),
        (_, true) => {
            println!(
                "Would add {n} server{} to {} (dry run: nothing written):\n",
                plural(n),
                path.display()
            );
            print!("{}", merged.added_toml);
        }
        (_, false) => println!(
            "Added {n} server{} to {}: {}",
            plural(n),
            path.display(),
            r.added.join(", ")
        ),
    }
    if !r.replaced.is_empty() {
        println!("Replaced (--force): {}", r.replaced.join(", "));
    }
    if !r.clashes.is_empty() {
        println!(
            "Already in the config, left as they are (--force replaces them): {}",
            r.clashes.join(", ")
        );
    }
    if !r.remote.is_empty() || !r.skipped.is_empty() {
        println!("Not imported:");
        for s in r.remote.iter().chain(&r.skipped) {
            println!("  {}: {}", s.name, s.reason);
        }
    }
    if !r.notes.is_empty() {
        println!("Notes:");
        for note in &r.notes {
            println!("  {note}");
        }
    }
    if !r.fill_in.is_empty() {
        println!("To fill in before these servers can start (also marked FILL IN in the config):");
        for f in &r.fill_in {
            println!("  {f}");
        }
    }
    if !r.added.is_empty() {
        println!(
            "\nImported servers start on their first `mcpd connect` (start = \"on-connect\")."
        );
    }
    if !r.added.is_empty() {
        println!(
            "To share them, let mcpd point your agents at `mcpd connect NAME`: `mcpd link all` \
             (`--dry-run` shows the change; `mcpd unlink all` undoes it)."
        );
    }
    if !connect.is_empty() {
        println!("\nOr edit the agents' configs yourself:");
        for s in connect {
            println!("\n{}:\n{}", s.agent, s.text.trim_end());
        }
    }
}
