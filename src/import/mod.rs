//! `mcpd import`: bring the stdio MCP servers users already configured for their agents (Claude
//! Code, Claude Desktop, Cursor, VS Code, Codex, Gemini CLI, opencode, Zed, Windsurf, Cline, Roo,
//! Kiro, Amp, Goose, Continue, Copilot CLI) into mcpd's config.
//!
//! The work is split into pure steps, each tested on strings:
//! - [`formats`]: a config file's text -> the servers it declares ([`Found`]), the format
//!   detected from the content (with [`jsonc`] tolerating VS Code's comments and trailing commas);
//!   [`agents`] knows the agents whose layout or spelling differs;
//! - [`vars`]: each agent's variables, resolved as the agent would or flagged for the user;
//! - [`merge`]: found servers + the existing mcpd config as a `toml_edit` document (comments and
//!   layout kept) -> the new text and a [`Report`] of what was added, skipped and clashed;
//! - [`snippet`]: the agent config that runs `mcpd connect NAME` instead of each server.
//!
//! [`sources`] turns a SOURCE argument into candidate files (home and current directory are
//! given by the caller); `commands::import` does the reading, validating and writing.

pub mod agents;
pub mod formats;
pub mod jsonc;
pub mod merge;
pub mod snippet;
pub mod sources;
mod stdio;
mod table;
pub mod vars;

#[cfg(test)]
#[path = "formats_tests.rs"]
mod formats_tests;
#[cfg(test)]
#[path = "merge_tests.rs"]
mod merge_tests;

use std::collections::BTreeMap;

pub use formats::{Format, ParseError, parse_source};
pub use merge::{MergeError, MergeOptions, Merged, Report, Skipped, merge};

/// The longest server name mcpd accepts (it is used as a file name).
pub const MAX_NAME_LEN: usize = 64;

/// One server declaration found in an agent's config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The name for mcpd: the source's key, sanitized to `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Where it was declared: the file and the path inside it, e.g.
    /// `~/.claude.json: projects["/home/u/api"].mcpServers.fs`.
    pub origin: String,
    /// What it is.
    pub kind: Kind,
    /// What the user should know: a renamed server, keys mcpd cannot carry over.
    pub notes: Vec<String>,
    /// The format of the file that declared it (which agent config to point at mcpd).
    pub format: Format,
    /// The project the declaring file belongs to: the agent ran the server there (its default
    /// `cwd`, its `${workspaceFolder}`).
    pub project_dir: Option<String>,
    /// The keys from the top of the file to the declaration (a list index as digits), for
    /// `mcpd link` to find it again.
    pub path: Vec<String>,
}

/// What a found declaration is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A local server mcpd can run. Strings are kept as written (variables are resolved by
    /// [`merge`], which knows the scope).
    Stdio {
        /// The program.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Extra environment variables.
        env: BTreeMap<String, String>,
        /// Working directory.
        cwd: Option<String>,
    },
    /// A server reached over the network: not imported, reported by name.
    Remote {
        /// Where it is.
        url: String,
        /// The transport as the source wrote it (`http`, `sse`, ...).
        transport: String,
    },
    /// Declared, but not importable (no command, wrong types, disabled): reported by name.
    Unusable {
        /// Why, as a phrase.
        reason: String,
    },
}

/// True when `name` is a valid mcpd server name: `[A-Za-z0-9_.-]{1,64}`, not `.` or `..`.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name.bytes().all(allowed_byte)
        && name != "."
        && name != ".."
}

fn allowed_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Turns a source's server key into a valid mcpd name: each run of other characters becomes one
/// `-`, dashes at the ends are dropped, the result is cut to 64 bytes (`server` if nothing is
/// left). Returns the name and, when it changed, a note saying so.
pub fn sanitize_name(raw: &str) -> (String, Option<String>) {
    if valid_name(raw) {
        return (raw.to_owned(), None);
    }
    let mut out = String::with_capacity(raw.len());
    let mut in_run = false;
    for c in raw.chars() {
        if c.is_ascii() && allowed_byte(c as u8) {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    let mut name = out.trim_matches('-').to_owned();
    name.truncate(MAX_NAME_LEN);
    if name.is_empty() || name == "." || name == ".." {
        name = "server".to_owned();
    }
    let note = format!(
        "renamed from {raw:?}: mcpd names are 1 to {MAX_NAME_LEN} letters, digits, '_', '.' or '-'"
    );
    (name, Some(note))
}

/// Formats one step of a JSON/TOML path: `.key` for plain keys, `["key"]` otherwise.
pub fn path_segment(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        format!(".{key}")
    } else {
        format!("[{}]", serde_json::Value::String(key.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_pass_unchanged() {
        for n in ["fs", "my_server.v2", "a-b", "X9"] {
            assert_eq!(sanitize_name(n), (n.to_owned(), None));
        }
    }

    #[test]
    fn invalid_names_are_sanitized_with_a_note() {
        let cases = [
            ("my server", "my-server"),
            ("@scope/pkg name", "scope-pkg-name"),
            ("ünï code", "n-code"),
            ("///", "server"),
            ("..", "server"),
            ("", "server"),
        ];
        for (raw, want) in cases {
            let (name, note) = sanitize_name(raw);
            assert_eq!(name, want, "{raw:?}");
            assert!(valid_name(&name), "{name:?}");
            let note = note.unwrap();
            assert!(note.contains(&format!("{raw:?}")), "{note}");
        }
    }

    #[test]
    fn long_names_are_cut_to_64() {
        let (name, note) = sanitize_name(&"a".repeat(100));
        assert_eq!(name.len(), 64);
        assert!(note.is_some());
    }

    #[test]
    fn path_segments_quote_odd_keys() {
        assert_eq!(path_segment("fs"), ".fs");
        assert_eq!(path_segment("/home/u/api"), "[\"/home/u/api\"]");
        assert_eq!(path_segment("a b"), "[\"a b\"]");
    }
}
