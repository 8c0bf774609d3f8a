//! Config errors: where in the file (line, column in characters, dotted key) and what is wrong.

use std::path::{Path, PathBuf};

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

/// Turns a TOML syntax error into a located [`ConfigError`].
pub(super) fn syntax_error(text: &str, path: &Path, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    let (line, column) = match &span {
        Some(span) => {
            let (line, column) = line_col(text.as_bytes(), span.start);
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    let mut message = error.message().trim().to_owned();
    // The text the parser points at, when it is short enough to quote back.
    let culprit = span
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
    ConfigError {
        path: path.to_path_buf(),
        line,
        column,
        key: None,
        message: format!("invalid TOML: {message}"),
    }
}
