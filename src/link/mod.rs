//! `mcpd link`: rewrite an agent's config so that its stdio servers run through
//! `mcpd connect NAME` (one shared server per name instead of one copy per agent session), changing
//! only the command and arguments of each entry: every other byte (layout, comments, key order,
//! other settings) stays as written. Pure: text in, text out; `commands::link` does the files.
//!
//! Every edit is checked by parsing the result: it must equal the original with exactly those
//! entries changed, or the file is refused (with the reason) rather than damaged.

pub mod diff;
pub mod json_span;
pub mod revert;
pub mod yaml_edit;

use serde_json::Value;

use crate::import::{self, Format, Found, Kind};

/// An entry linked, or left alone and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The server's key in the agent's config.
    pub key: String,
    /// The mcpd server it now connects to (`None` when left alone).
    pub server: Option<String>,
    /// Why it was left alone (`None` when linked).
    pub reason: Option<String>,
}

/// The result of linking one file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    /// The new text (equal to the old when nothing was linked).
    pub text: String,
    /// Each stdio entry: linked or not.
    pub entries: Vec<Entry>,
}

/// Links the stdio servers in `text` (the agent config `file`, of `format`). `server_for` gives
/// the mcpd server that runs a found entry (`None`: mcpd does not know it).
pub fn link_text(
    text: &str,
    file: &str,
    format: Format,
    project_dir: Option<&str>,
    server_for: &dyn Fn(&Found) -> Option<String>,
) -> Result<Linked, String> {
    let (_, found) =
        import::parse_source(text, file, Some(format), project_dir).map_err(|e| e.to_string())?;
    let mut out = text.to_owned();
    let mut entries = Vec::new();
    let before = parse_any(text, format)?;
    let mut expected = before.clone();
    // Each edit re-reads the text it edits, so offsets never go stale.
    for f in &found {
        let Kind::Stdio { command, args, .. } = &f.kind else {
            continue;
        };
        let key = f.name.clone();
        let left = |reason: &str| Entry {
            key: key.clone(),
            server: None,
            reason: Some(reason.to_owned()),
        };
        if is_mcpd(command) && args.first().is_some_and(|a| a == "connect") {
            entries.push(left("already runs through `mcpd connect`"));
            continue;
        }
        let Some(server) = server_for(f) else {
            entries.push(left(
                "not in mcpd's config: run `mcpd import` for this agent first",
            ));
            continue;
        };
        let Some(spec) = spec(format, &before, &f.path) else {
            entries.push(left("written in a form `mcpd link` does not edit"));
            continue;
        };
        let edited = match format {
            f if f.is_yaml() => yaml_edit::set_command(
                &out,
                &spec.path,
                spec.cmd_key,
                spec.args_key.unwrap_or("args"),
                &server,
            ),
            Format::Codex => toml_set(&out, &spec, &server),
            _ => json_set(&out, &spec, &server),
        };
        let Some(edited) = edited else {
            entries.push(left("its entry could not be located for editing"));
            continue;
        };
        out = edited;
        apply(&mut expected, &spec, &server);
        entries.push(Entry {
            key,
            server: Some(server),
            reason: None,
        });
    }
    if parse_any(&out, format)? != expected {
        return Err(format!(
            "{file}: editing it would change more than the servers' commands; \
             nothing was changed (edit it by hand, see `mcpd import`'s snippets)"
        ));
    }
    Ok(Linked { text: out, entries })
}

/// True for a command that runs mcpd.
pub fn is_mcpd(command: &str) -> bool {
    command == "mcpd" || command.ends_with("/mcpd")
}

/// Where one entry's command and arguments are.
struct Spec {
    /// The object holding them.
    path: Vec<String>,
    /// The key of the program (`command`, Goose's `cmd`, old Zed's `path`).
    cmd_key: &'static str,
    /// The key of the arguments; `None`: the program and its arguments are one list (opencode).
    args_key: Option<&'static str>,
}

fn spec(format: Format, root: &Value, path: &[String]) -> Option<Spec> {
    let entry = path.iter().try_fold(root, |v, k| match v {
        Value::Array(items) => items.get(k.parse::<usize>().ok()?),
        _ => v.get(k),
    })?;
    let mut path = path.to_vec();
    Some(match format {
        Format::Opencode => Spec {
            path,
            cmd_key: "command",
            args_key: None,
        },
        Format::Goose if entry.get("config").is_some() => return None,
        Format::Goose => Spec {
            path,
            cmd_key: "cmd",
            args_key: Some("args"),
        },
        Format::Zed if entry.get("command").is_some_and(Value::is_object) => {
            path.push("command".into());
            Spec {
                path,
                cmd_key: "path",
                args_key: Some("args"),
            }
        }
        _ => Spec {
            path,
            cmd_key: "command",
            args_key: Some("args"),
        },
    })
}

/// What the entry must hold after linking, applied to the parsed file.
fn apply(root: &mut Value, spec: &Spec, server: &str) {
    let Some(obj) = spec
        .path
        .iter()
        .try_fold(root, |v, k| match v {
            Value::Array(items) => items.get_mut(k.parse::<usize>().ok()?),
            _ => v.get_mut(k),
        })
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    match spec.args_key {
        None => {
            obj.insert(
                spec.cmd_key.into(),
                serde_json::json!(["mcpd", "connect", server]),
            );
        }
        Some(args) => {
            obj.insert(spec.cmd_key.into(), "mcpd".into());
            obj.insert(args.into(), serde_json::json!(["connect", server]));
        }
    }
}

fn parse_any(text: &str, format: Format) -> Result<Value, String> {
    if format.is_yaml() {
        return import::agents::parse_yaml(text, "").map_err(|e| e.to_string());
    }
    if format == Format::Codex {
        let t: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        return serde_json::to_value(t).map_err(|e| e.to_string());
    }
    serde_json::from_str(&import::jsonc::strip(text)).map_err(|e| e.to_string())
}

/// JSON(C): replaces the command and arguments values in place (or adds the arguments after
/// the command).
fn json_set(text: &str, spec: &Spec, server: &str) -> Option<String> {
    let root = json_span::parse(text)?;
    let entry = root.at(&spec.path)?;
    let q = |s: &str| Value::from(s).to_string();
    let cmd = entry.get(spec.cmd_key)?;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    match spec.args_key {
        None => edits.push((
            cmd.start,
            cmd.end,
            format!("[\"mcpd\", \"connect\", {}]", q(server)),
        )),
        Some(args_key) => {
            let args = format!("[\"connect\", {}]", q(server));
            edits.push((cmd.start, cmd.end, "\"mcpd\"".into()));
            match entry.get(args_key) {
                Some(a) => edits.push((a.start, a.end, args)),
                None => edits.push((cmd.end, cmd.end, format!(", {}: {args}", q(args_key)))),
            }
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_owned();
    for (start, end, with) in edits {
        out.replace_range(start..end, &with);
    }
    Some(out)
}

/// Codex's TOML: the values are replaced through `toml_edit`, which keeps the rest as written.
fn toml_set(text: &str, spec: &Spec, server: &str) -> Option<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().ok()?;
    let mut item = doc.as_item_mut();
    for k in &spec.path {
        item = item.get_mut(k.as_str())?;
    }
    let table = item.as_table_like_mut()?;
    let keep = |old: Option<&toml_edit::Item>, mut new: toml_edit::Value| {
        if let Some(d) = old.and_then(|o| o.as_value()).map(|v| v.decor().clone()) {
            *new.decor_mut() = d;
        }
        toml_edit::Item::Value(new)
    };
    let cmd = keep(table.get(spec.cmd_key), "mcpd".into());
    table.insert(spec.cmd_key, cmd);
    let args_key = spec.args_key?;
    let list: toml_edit::Array = ["connect", server].into_iter().collect();
    let args = keep(table.get(args_key), list.into());
    table.insert(args_key, args);
    Some(doc.to_string())
}
