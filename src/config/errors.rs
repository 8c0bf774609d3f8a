//! Config errors: where in the file (line, column in characters, dotted key) and what is wrong.
//!
//! toml reports a byte span; the dotted key is found by looking that span up in the parsed
//! document, and serde's generic wording (`invalid type: integer `5`, expected struct
//! DaemonConfig`) is said in the file's terms (`expected a table like [daemon] or { ... }, found
//! an integer`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

pub(super) use crate::units::quote;

/// A configuration error, located as precisely as we can.
///
/// Displays as `{path}:{line}:{column}: {key}: {message}`, leaving out the parts that are
/// unknown, e.g. `/home/u/.config/mcpd/config.toml:12:1: servers.fs: missing required key
/// `command``.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("{}", self.render())]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the error has a place in the file.
    pub line: Option<usize>,
    /// 1-based column in characters, when known.
    pub column: Option<usize>,
    /// The dotted key at fault, e.g. `servers.fs.command`.
    pub key: Option<String>,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl ConfigError {
    fn render(&self) -> String {
        let mut out = self.path.display().to_string();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                out.push_str(&format!(":{column}"));
            }
        }
        if let Some(key) = &self.key {
            out.push_str(&format!(": {key}"));
        }
        out.push_str(&format!(": {}", self.message));
        out
    }

    /// An error at byte `span` of `text` (or nowhere in particular).
    pub(super) fn at(
        text: &str,
        path: &Path,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: String,
    ) -> ConfigError {
        let place = span.map(|s| line_col(text.as_bytes(), s.start));
        ConfigError {
            path: path.to_path_buf(),
            line: place.map(|p| p.0),
            column: place.map(|p| p.1),
            key: key.filter(|k| !k.is_empty()),
            message,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `src`. Works on bytes so that an
/// offset that is out of range or inside a character can never panic.
pub(super) fn line_col(src: &[u8], offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    // Count UTF-8 lead bytes only, so a multi-byte character is one column.
    let column = before[line_start..]
        .iter()
        .filter(|b| (**b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, column)
}

/// Appends `name` to a dotted key path, quoting it the way TOML would when it is not a bare key.
pub(super) fn join_key(prefix: &str, name: &str) -> String {
    let bare = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let name = if bare { name.to_owned() } else { quote(name) };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}.{name}")
    }
}

/// "a string", "an integer"...: the TOML type of a value, for "found ..." in messages.
fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date/time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Turns a TOML syntax error into a located [`ConfigError`].
pub(super) fn syntax_error(text: &str, path: &Path, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    let mut message = error.message().trim().to_owned();
    // The text the parser points at, when it is short enough to quote back.
    let culprit = span
        .clone()
        .and_then(|s| text.get(s))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 64 && !t.contains(['\n', '\r']));
    if let Some(culprit) = culprit {
        // toml says only "duplicate key" and, for `stop_grace = 3s`, "string values must be
        // quoted, expected literal string": show the key, and the fix.
        if message == "duplicate key" {
            message = format!("duplicate key `{culprit}`");
        } else if message.starts_with("string values must be quoted") {
            message = format!("string values must be quoted: write {culprit:?}, not {culprit}");
        }
    }
    ConfigError::at(text, path, span, None, format!("invalid TOML: {message}"))
}

/// Turns a deserialization error into a located [`ConfigError`] naming the dotted key.
pub(super) fn schema_error(
    text: &str,
    path: &Path,
    root: &DeTable<'_>,
    error: &toml::de::Error,
) -> ConfigError {
    let span = error.span();
    let found = span.as_ref().and_then(|s| entry_at(root, s));
    let key = found.as_ref().map(|(key, _)| key.clone());
    let value = found.and_then(|(_, value)| value);
    let message = reword(error.message().trim(), key.as_deref().unwrap_or(""), value);
    ConfigError::at(text, path, span, key, message)
}

/// The dotted key of the entry whose key, value or array item stands exactly at `span` (the
/// deepest one), with that value when the span is a value's. Walks with a stack, not recursion:
/// a hostile file may nest ten thousand tables.
fn entry_at<'a, 'i>(
    root: &'a DeTable<'i>,
    span: &Range<usize>,
) -> Option<(String, Option<&'a DeValue<'i>>)> {
    let mut best: Option<(usize, String, Option<&'a DeValue<'i>>)> = None;
    let mut stack = vec![(0usize, String::new(), root)];
    while let Some((depth, prefix, table)) = stack.pop() {
        for (name, value) in table.iter() {
            let key = join_key(&prefix, name.get_ref());
            let mut hit = |v: Option<&'a DeValue<'i>>| {
                if best.as_ref().is_none_or(|b| depth + 1 > b.0) {
                    best = Some((depth + 1, key.clone(), v));
                }
            };
            if name.span() == *span {
                hit(None);
            }
            if value.span() == *span {
                hit(Some(value.get_ref()));
            }
            match value.get_ref() {
                DeValue::Table(inner) => stack.push((depth + 1, key.clone(), inner)),
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if item.span() == *span {
                            hit(Some(item.get_ref()));
                        }
                        if let DeValue::Table(inner) = item.get_ref() {
                            stack.push((depth + 1, key.clone(), inner));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    best.map(|(_, key, value)| (key, value))
}

/// The key and value spans of the entry at `path` (raw, unquoted names).
pub(super) fn spans_of(root: &DeTable<'_>, path: &[&str]) -> Option<(Range<usize>, Range<usize>)> {
    let (last, parents) = path.split_last()?;
    let mut table = root;
    for name in parents {
        match table.get(*name)?.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => return None,
        }
    }
    let (key, value) = table.get_key_value(*last)?;
    Some((key.span(), value.span()))
}

/// Says serde's generic messages in the file's terms; other messages pass unchanged.
fn reword(message: &str, key: &str, value: Option<&DeValue<'_>>) -> String {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let expected: Vec<&str> = rest.split('`').skip(3).step_by(2).collect();
        return if expected.is_empty() {
            "unknown key (this table takes no keys)".to_owned()
        } else {
            format!("unknown key (expected one of: {})", expected.join(", "))
        };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some(at) = rest.rfind(", expected ")
    {
        let expected = &rest[at + ", expected ".len()..];
        // An integer refused by an integer type is out of its range (toml hands over 128 bits).
        if matches!(expected, "u64" | "u32") && rest.starts_with("integer ") {
            return out_of_range(rest);
        }
        let expected = match expected {
            e if e.starts_with("struct ") || e == "a map" => {
                format!("a table like [{key}] or {{ ... }}")
            }
            "a sequence" => "a list of strings like [\"a\", \"b\"]".to_owned(),
            "u64" | "u32" => "a whole number".to_owned(),
            "a boolean" => "true or false".to_owned(),
            e => e.to_owned(),
        };
        let found = match value {
            Some(value) => describe(value),
            None => &rest[..at],
        };
        return format!("expected {expected}, found {found}");
    }
    if let Some(rest) = message.strip_prefix("invalid value: ")
        && rest.starts_with("integer ")
    {
        return out_of_range(rest);
    }
    if message == "integer number overflowed" {
        return "the number is too large".to_owned();
    }
    message.to_owned()
}

/// What an integer out of a field's range is: negative or too large.
fn out_of_range(unexpected: &str) -> String {
    if unexpected.starts_with("integer `-") {
        "must not be negative".to_owned()
    } else {
        "the number is too large".to_owned()
    }
}
