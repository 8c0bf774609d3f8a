//! `mcpd unlink` on a file that changed since it was linked (agents rewrite their own configs:
//! `~/.claude.json` holds Claude Code's state): restoring the backup whole would lose those
//! changes, so each entry that still runs `mcpd connect` gets its original command and arguments
//! back, copied byte for byte from the backup, and the rest of the file stays as it is now.

use serde_json::Value;

use super::{Spec, is_mcpd, json_span, parse_any, spec};
use crate::import::{self, Format, Kind};

/// The current text with every linked entry's command and arguments as they are in `backup`;
/// `Err` when an entry cannot be put back this way (the caller then offers `--force`).
pub fn revert(current: &str, backup: &str, file: &str, format: Format) -> Result<String, String> {
    let (_, now) =
        import::parse_source(current, file, Some(format), None).map_err(|e| e.to_string())?;
    let old_root = parse_any(backup, format)?;
    let mut expected = parse_any(current, format)?;
    let mut out = current.to_owned();
    for f in &now {
        let Kind::Stdio { command, args, .. } = &f.kind else {
            continue;
        };
        if !(is_mcpd(command) && args.first().is_some_and(|a| a == "connect")) {
            continue;
        }
        // Only entries the backup had as something else were linked by mcpd.
        let Some(sp) = spec(format, &old_root, &f.path) else {
            continue;
        };
        let Some(old) = at(&old_root, &sp.path) else {
            continue;
        };
        let old_cmd = old.get(sp.cmd_key);
        if old_cmd.and_then(Value::as_str).is_some_and(is_mcpd) || old_cmd.is_none() {
            continue;
        }
        out = match format {
            f if f.is_yaml() => None,
            Format::Codex => toml_copy(&out, backup, &sp),
            _ => json_copy(&out, backup, &sp),
        }
        .ok_or_else(|| {
            format!(
                "{file}: the entry {} cannot be put back in place (it changed shape)",
                f.name
            )
        })?;
        if let Some(obj) = at_mut(&mut expected, &sp.path).and_then(Value::as_object_mut) {
            for key in std::iter::once(sp.cmd_key).chain(sp.args_key) {
                match old.get(key) {
                    Some(v) => obj.insert(key.to_owned(), v.clone()),
                    None => obj.remove(key),
                };
            }
        }
    }
    if parse_any(&out, format)? != expected {
        return Err(format!(
            "{file}: putting the entries back would change more than them"
        ));
    }
    Ok(out)
}

fn at<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, k| match v {
        Value::Array(items) => items.get(k.parse::<usize>().ok()?),
        _ => v.get(k),
    })
}

fn at_mut<'a>(root: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |v, k| match v {
        Value::Array(items) => items.get_mut(k.parse::<usize>().ok()?),
        _ => v.get_mut(k),
    })
}

/// JSON: the command and arguments values copied from the backup's text. An entry whose
/// arguments `mcpd link` added (none in the backup) cannot be put back this way.
fn json_copy(current: &str, backup: &str, sp: &Spec) -> Option<String> {
    let (now, old) = (json_span::parse(current)?, json_span::parse(backup)?);
    let (now, old) = (now.at(&sp.path)?, old.at(&sp.path)?);
    let mut edits = Vec::new();
    for key in std::iter::once(sp.cmd_key).chain(sp.args_key) {
        match (now.get(key), old.get(key)) {
            (Some(n), Some(o)) => edits.push((n.start, n.end, &backup[o.start..o.end])),
            (None, None) => {}
            _ => return None,
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = current.to_owned();
    for (start, end, with) in edits {
        out.replace_range(start..end, with);
    }
    Some(out)
}

/// Codex's TOML: the backup's values, decor included.
fn toml_copy(current: &str, backup: &str, sp: &Spec) -> Option<String> {
    let mut doc: toml_edit::DocumentMut = current.parse().ok()?;
    let old: toml_edit::DocumentMut = backup.parse().ok()?;
    let (mut item, mut old_item) = (doc.as_item_mut(), old.as_item());
    for k in &sp.path {
        item = item.get_mut(k.as_str())?;
        old_item = old_item.get(k.as_str())?;
    }
    let (table, old_table) = (item.as_table_like_mut()?, old_item.as_table_like()?);
    for key in std::iter::once(sp.cmd_key).chain(sp.args_key) {
        match old_table.get(key) {
            Some(v) => {
                table.insert(key, v.clone());
            }
            None => {
                table.remove(key);
            }
        }
    }
    Some(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_entries_get_their_commands_back_and_later_changes_stay() {
        let original = "{\n  \"numStartups\": 1,\n  \"mcpServers\": {\n    \"fs\": {\"command\": \"npx\", \"args\": [\"-y\",  \"srv\"]}\n  }\n}\n";
        let linked = super::super::link_text(original, "f", Format::ClaudeCode, None, &|f| {
            Some(f.name.clone())
        })
        .unwrap()
        .text;
        // The agent rewrote its file since.
        let changed = linked.replace("\"numStartups\": 1", "\"numStartups\": 7");
        let back = revert(&changed, original, "f", Format::ClaudeCode).unwrap();
        assert_eq!(
            back,
            original.replace("\"numStartups\": 1", "\"numStartups\": 7")
        );
    }

    #[test]
    fn codex_toml_entries_come_back_with_their_layout() {
        let original = "model = \"x\"\n\n[mcp_servers.fs]\ncommand = \"npx\"   # launcher\nargs = [\"-y\", \"srv\"]\n";
        let linked = super::super::link_text(original, "f", Format::Codex, None, &|f| {
            Some(f.name.clone())
        })
        .unwrap()
        .text;
        let changed = linked.replace("model = \"x\"", "model = \"y\"");
        let back = revert(&changed, original, "f", Format::Codex).unwrap();
        assert_eq!(back, original.replace("model = \"x\"", "model = \"y\""));
    }
}
