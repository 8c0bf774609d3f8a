//! Adding found servers to mcpd's config as `[servers.NAME]` tables, editing the existing file as a
//! `toml_edit` document so that its comments and layout survive. New tables go at the end of the
//! file, each under a comment saying where it came from. Names already in the config are clashes:
//! left alone, or replaced in place with `force`.

use std::collections::{HashMap, HashSet};

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use super::{Found, Kind};
use crate::config::Scope;

/// The comment line written above each imported table.
pub const IMPORT_MARK: &str = "# Imported by `mcpd import` from ";

/// How to merge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// `scope` written into every added server; `None` leaves it out (the default, global).
    pub scope: Option<Scope>,
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
    let mut seen: HashMap<&str, &Found> = HashMap::new();
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
        if let Some(first) = seen.get(f.name.as_str()) {
            let reason = if first.kind == f.kind {
                format!("same server as {}", first.origin)
            } else {
                format!(
                    "another server of this name was read first, from {}",
                    first.origin
                )
            };
            report
                .skipped
                .push(skip(format!("{reason} (in {})", f.origin)));
            continue;
        }
        seen.insert(&f.name, f);
        let mut table = server_table(f, opts.scope);
        if existing.contains(&f.name) {
            if !opts.force {
                report.clashes.push(f.name.clone());
                continue;
            }
            if let Some(old) = servers.get(&f.name).and_then(Item::as_table) {
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
                    table.set_position(p);
                }
            }
            report.replaced.push(f.name.clone());
        } else {
            table.set_position(next_position);
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
        let mut shown = server_table(f, opts.scope);
        if preview_servers.is_empty() {
            let prefix = shown.decor().prefix().and_then(|p| p.as_str());
            let prefix = prefix.unwrap_or("").trim_start().to_owned();
            shown.decor_mut().set_prefix(prefix);
        }
        preview_servers.insert(&f.name, Item::Table(shown));
        servers.insert(&f.name, Item::Table(table));
        report.added.push(f.name.clone());
        let notes = f.notes.iter().map(|n| format!("{}: {n}", f.name));
        report.notes.extend(notes);
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

/// `[servers.NAME]` for one stdio server, under a comment naming its origin.
fn server_table(f: &Found, scope: Option<Scope>) -> Table {
    let mut t = Table::new();
    let origin: String = f
        .origin
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    t.decor_mut()
        .set_prefix(format!("\n{IMPORT_MARK}{origin}\n"));
    let Kind::Stdio {
        command,
        args,
        env,
        cwd,
    } = &f.kind
    else {
        return t;
    };
    if let Some(scope) = scope {
        t.insert("scope", value(scope.as_str()));
    }
    t.insert("command", value(command));
    if !args.is_empty() {
        t.insert("args", value(args.iter().collect::<Array>()));
    }
    if !env.is_empty() {
        let mut vars = InlineTable::new();
        for (k, v) in env {
            vars.insert(k, v.into());
        }
        t.insert("env", value(vars));
    }
    if let Some(cwd) = cwd {
        t.insert("cwd", value(cwd));
    }
    t
}
