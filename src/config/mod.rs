//! The configuration file: its TOML schema, the built-in defaults and validation.
//!
//! Every key is optional; a missing file means the built-in defaults. Choosing the path (the
//! `--config` flag, `MCPD_CONFIG`, the XDG default) is the caller's job: this module only loads
//! and parses the file it is given.
//!
//! The file is parsed into toml's spanned document, deserialized into the `schema` structs
//! (serde derives, `deny_unknown_fields`), then checked once by `validate` for the rules that
//! span fields. Every error names the file, the line and column, and the dotted key
//! (`servers.fs.max_rss`): `errors` finds the key from toml's span, and says serde's generic
//! wording in the file's terms. Entries are visited in document order (toml's
//! `preserve_order`), so the error reported is the first one in the file.

use std::path::Path;

use serde::Deserialize;
use toml::de::DeTable;

/// Patterns of program names that make a process MCP-like (see DESIGN.md, "Ownership, from
/// evidence"): matched against the program a process runs (executable, script, module, launched
/// package), never its other arguments. A glob (`*`) matches the whole name, a plain word any name
/// containing it, several words the executable and its first arguments. `[match] patterns` adds to
/// these, `replace = true` drops them, `exclude` names programs that never count.
pub const DEFAULT_PATTERNS: &[&str] = &[
    "@modelcontextprotocol/*",
    "mcp-*",
    "mcp_*",
    "*-mcp",
    "*_mcp",
    "*-mcp-server",
    "@*/mcp",
    "@*mcp*/*",
    "serena",
    "sequential-thinking",
    "graphiti",
    "claude mcp serve",
];

/// The launchers mcpd recognises by shape (documentation: the shapes are built in). The orphan walk
/// passes over them; `[match] launchers` adds program names that only launch what follows them.
pub const DEFAULT_LAUNCHERS: &[&str] = &[
    "npx",
    "npm exec",
    "uvx",
    "uv tool run",
    "bunx",
    "bun x",
    "pnpm dlx",
    "yarn dlx",
    "pipx run",
    "sh -c CMD (running the child)",
    "env",
    "node .../npx-cli.js",
];

mod de;
mod errors;
mod schema;
mod template;
#[cfg(test)]
mod tests;
mod validate;

pub use errors::ConfigError;
use errors::{line_col, schema_error, syntax_error};
pub use schema::*;
pub use template::default_config_toml;

impl Config {
    /// Loads the config file at `path`. A missing file gives the built-in defaults (with
    /// `source: None`); an unreadable or invalid one is an error.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    line: None,
                    column: None,
                    key: None,
                    message: format!("cannot read the config file: {e}"),
                });
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let bytes = e.as_bytes();
                let (line, column) = line_col(bytes, e.utf8_error().valid_up_to());
                return Err(ConfigError {
                    path: path.to_path_buf(),
                    line: Some(line),
                    column: Some(column),
                    key: None,
                    message: "the file is not valid UTF-8 text".to_owned(),
                });
            }
        };
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` is only used in errors and as `source`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let root = DeTable::parse(text).map_err(|e| syntax_error(text, path, &e))?;
        let mut config = Config::deserialize(toml::de::Deserializer::from(root.clone()))
            .map_err(|e| schema_error(text, path, root.get_ref(), &e))?;
        validate::validate(&config, text, path, root.get_ref())?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// The effective MCP-like patterns: the built-in ones (unless replaced), then the user's new ones.
    pub fn all_patterns(&self) -> Vec<String> {
        if self.matching.replace {
            return merge(&[], &self.matching.patterns);
        }
        merge(DEFAULT_PATTERNS, &self.matching.patterns)
    }
}

/// `defaults` followed by the `extra` entries not already present, in order.
fn merge(defaults: &[&str], extra: &[String]) -> Vec<String> {
    let mut all: Vec<String> = defaults.iter().map(|s| (*s).to_owned()).collect();
    for item in extra {
        if !all.contains(item) {
            all.push(item.clone());
        }
    }
    all
}
