//! Adding found servers to mcpd's config as `[servers.NAME]` tables, editing the existing file as a
//! `toml_edit` document so that its comments and layout survive. New tables go at the end of the
//! file, each under a comment saying where it came from. Names already in the config are clashes:
//! left alone, or replaced in place with `force`. Two different servers of one name (a user's
//! and a project's) are both imported, the second renamed. Each table is built by [`super::table`].

use std::collections::{HashMap, HashSet};

use toml_edit::{DocumentMut, Item, Table};

use super::{Found, Kind};
use crate::config::Scope;

/// The comment line written above each imported table.
pub const IMPORT_MARK: &str = "# Imported by `mcpd import` from ";

/// How to merge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// `scope` written into every added server; `None` leaves it out (the default, global).
    pub scope: Option<Scope>,
    /// The user's home directory, for the agents' `${userHome}`.
    pub home: Option<String>,
    /// Replace servers whose names are already in the config.
    pub force: bool,
}

/// A server that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The server's (sanitized) name.
    pub name: String,
    /// Why, as a sentence.
    pub reason: String,
}

/// What a merge did, by server name. `added` includes `replaced`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Servers written to the config.
    pub added: Vec<String>,
    /// Added servers that replaced one of the same name (`force`).
    pub replaced: Vec<String>,
    /// Servers left out: unusable settings, or the same name found twice.
    pub skipped: Vec<Skipped>,
    /// Names already in the config, left as they were (without `force`).
    pub clashes: Vec<String>,
    /// Remote (http, sse) servers: mcpd runs local processes only.
    pub remote: Vec<Skipped>,
    /// `name: note` for added servers: renames, settings not carried over.
    pub notes: Vec<String>,
    /// `name: what to fill in` for added servers whose values only the user knows.
    pub fill_in: Vec<String>,
}

/// The result of a merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    /// The whole new config text.
    pub text: String,
    /// Just the added tables, as TOML (what `--dry-run` shows).
    pub added_toml: String,
    /// What happened to each found server.
    pub report: Report,
}

/// The existing config cannot take new servers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// `servers` is written in a form new tables cannot be added to.
    #[error(
        "`servers` in the config is {0}; write each server as a [servers.NAME] table to import"
    )]
    ServersNotATable(&'static str),
}

/// Merges `found` into `doc` (the existing config, or an empty document).
pub fn merge(
    mut doc: DocumentMut,
    found: &[Found],
    opts: &MergeOptions,
) -> Result<Merged, MergeError> {
    let mut next_position = max_position(doc.as_table()) + 1;
    let trailing = doc.trailing().as_str().unwrap_or_default().to_owned();
    let mut moved_trailing = false;
    let servers = servers_table(&mut doc)?;
    let existing: HashSet<String> = servers.iter().map(|(k, _)| k.to_owned()).collect();
    let mut preview = DocumentMut::new();
    let preview_servers = servers_table(&mut preview)?;
    let mut report = Report::default();
    let mut seen: HashMap<String, &Found> = HashMap::new();
    for f in found {
        let skip = |reason: String| Skipped {
            name: f.name.clone(),
            reason,
        };
        match &f.kind {
            Kind::Remote { url, transport } => {
                report.remote.push(skip(format!(
                    "remote server ({transport} {url}): mcpd runs local (stdio) servers; keep it \
                     in the agent's config"
                )));
                continue;
            }
            Kind::Unusable { reason } => {
                report
                    .skipped
                    .push(skip(format!("{reason} (in {})", f.origin)));
                continue;
            }
            Kind::Stdio { .. } => {}
        }
        let mut name = f.name.clone();
        let mut rename_note = None;
        if let Some(first) = seen.get(&name) {
            if first.kind == f.kind {
                let reason = format!("same server as {} (in {})", first.origin, f.origin);
                report.skipped.push(skip(reason));
                continue;
            }
            // Another server of this name (a project's `.mcp.json` beside the user's): both
            // are imported, this one under a name saying where it is from.
            // Only names taken in this import are avoided: the same import run twice picks
            // the same name, so the second run reports it as already there.
            name = free_name(&f.name, f, |n| seen.contains_key(n));
            rename_note = Some(format!(
                "imported as {name}: {} already names the server from {}",
                f.name, first.origin
            ));
        }
        seen.insert(name.clone(), f);
        let built = super::table::build(f, &name, opts);
        let mut table = built.table.clone();
        if existing.contains(&name) {
            if !opts.force {
                report.clashes.push(name.clone());
                continue;
            }
            if let Some(old) = servers.get(&name).and_then(Item::as_table) {
                let prefix = old.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
                let kept = prefix
                    .split_inclusive('\n')
                    .filter(|l| !l.starts_with(IMPORT_MARK));
                let comment = table
                    .decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .unwrap_or("");
                let prefix = format!("{}{}", kept.collect::<String>(), comment.trim_start());
                table.decor_mut().set_prefix(prefix);
                if let Some(p) = old.position() {
                    table.set_position(Some(p));
                }
            }
            report.replaced.push(name.clone());
        } else {
            table.set_position(Some(next_position));
            next_position += 1;
            if !moved_trailing && !trailing.is_empty() {
                // The file's closing comments stay where they were: before the new tables.
                let comment = table
                    .decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .unwrap_or("");
                let prefix = format!("{trailing}{comment}");
                table.decor_mut().set_prefix(prefix);
                moved_trailing = true;
            }
        }
        let mut shown = built.table;
        if preview_servers.is_empty() {
            let prefix = shown.decor().prefix().and_then(|p| p.as_str());
            let prefix = prefix.unwrap_or("").trim_start().to_owned();
            shown.decor_mut().set_prefix(prefix);
        }
        preview_servers.insert(&name, Item::Table(shown));
        servers.insert(&name, Item::Table(table));
        report.added.push(name.clone());
        let notes = rename_note.iter().chain(&f.notes).chain(&built.notes);
        report.notes.extend(notes.map(|n| format!("{name}: {n}")));
        report
            .fill_in
            .extend(built.fill_in.iter().map(|n| format!("{name}: {n}")));
    }
    if moved_trailing {
        doc.set_trailing("");
    }
    Ok(Merged {
        text: doc.to_string(),
        added_toml: preview.to_string(),
        report,
    })
}

/// The `servers` table of `doc`, created (implicit: no `[servers]` header) when missing.
fn servers_table(doc: &mut DocumentMut) -> Result<&mut Table, MergeError> {
    let item = doc.as_table_mut().entry("servers").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    match item {
        Item::Table(t) if t.is_dotted() => {
            Err(MergeError::ServersNotATable("written as dotted keys"))
        }
        Item::Table(t) => Ok(t),
        Item::Value(v) if v.is_inline_table() => {
            Err(MergeError::ServersNotATable("an inline table"))
        }
        _ => Err(MergeError::ServersNotATable("not a table")),
    }
}

/// The highest document position of any table in `table` (0 when none was parsed).
fn max_position(table: &Table) -> isize {
    let mut max = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => max = max.max(max_position(t)),
            Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    max = max.max(max_position(t));
                }
            }
            _ => {}
        }
    }
    max
}

/// A name for a second server called `base`: `base-PROJECT` for a project's, `base-AGENT`
/// otherwise, then numbered, never one `taken`.
fn free_name(base: &str, f: &Found, taken: impl Fn(&str) -> bool) -> String {
    let from = f
        .project_dir
        .as_deref()
        .and_then(|p| p.trim_end_matches('/').rsplit('/').next())
        .filter(|b| !b.is_empty())
        .map_or_else(
            || super::sources::agent_of(f.format).to_owned(),
            str::to_owned,
        );
    let (stem, _) = super::sanitize_name(&format!("{base}-{from}"));
    let mut stem = stem;
    stem.truncate(super::MAX_NAME_LEN - 4);
    let mut name = stem.clone();
    let mut n = 2;
    while taken(&name) {
        name = format!("{stem}-{n}");
        n += 1;
    }
    name
}
