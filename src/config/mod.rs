//! The configuration file: its TOML schema, the built-in defaults and validation.
//!
//! Every key is optional; a missing file means the built-in defaults. Choosing the path (the
//! `--config` flag, `MCPD_CONFIG`, the XDG default) is the caller's job: this module only loads
//! and parses the file it is given.
//!
//! The file is parsed into toml's spanned document tree ([`DeTable`]) and then walked by hand
//! against the schema, rather than deserialized with serde derives. That costs a little code but
//! gives every error the full dotted key (`servers.fs.max_rss`), the line and column of the
//! exact key or value at fault, and a sentence written for this file: serde's messages
//! (`unknown field `x`, expected one of ...`) know neither the key path nor our units.
//! Entries are visited in document order, so the error reported is the first one in the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::DeTable;

use crate::units::{format_duration_config, human_bytes, parse_duration, parse_size};

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

/// The whole configuration. `Config::default()` is the built-in defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `[daemon]`: timing of the supervisor loop.
    pub daemon: DaemonConfig,
    /// `[thresholds]`: health levels.
    pub thresholds: Thresholds,
    /// `[match]`: what counts as MCP-like, in addition to the built-in lists.
    pub matching: MatchConfig,
    /// `[sessions]`: what happens to tmux sessions and their processes.
    pub sessions: SessionsConfig,
    /// `[servers.NAME]`: the servers mcpd runs, by name.
    pub servers: BTreeMap<String, ServerConfig>,
    /// The file this was read from; `None` for the built-in defaults. Not a TOML key.
    pub source: Option<PathBuf>,
}

/// `[daemon]`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonConfig {
    /// How often the daemon reconciles with tmux, adopts, sweeps and samples (default 30 s, at
    /// least 1 s).
    pub sweep_interval: Duration,
    /// How long SIGTERM is given before SIGKILL (default 3 s, at most 5 min).
    pub stop_grace: Duration,
    /// Orphans younger than this are left alone (default 60 s).
    pub orphan_min_age: Duration,
    /// How much RSS history is kept for trends (default 24 h).
    pub history_window: Duration,
    /// Log files are rotated past this many bytes (key `log_max_size`, default 1 MB).
    pub log_max_bytes: u64,
    /// Whether each sweep stops orphans (default true); false leaves that to `mcpd clean`.
    pub sweep_orphans: bool,
    /// Bytes queued for one `mcpd connect` client at most (key `client_buffer`, default 16 MB).
    pub client_buffer: u64,
    /// A client that leaves its queued output unread this long is disconnected (default 30 s).
    pub slow_client_timeout: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            sweep_interval: Duration::from_secs(30),
            stop_grace: Duration::from_secs(3),
            orphan_min_age: Duration::from_secs(60),
            history_window: Duration::from_secs(24 * 3600),
            log_max_bytes: 1_000_000,
            sweep_orphans: true,
            client_buffer: 16_000_000,
            slow_client_timeout: Duration::from_secs(30),
        }
    }
}

/// A warning and a critical level: a value `>= warn` is a warning, `>= crit` is critical.
/// Validation guarantees `warn < crit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// Warning at or above this.
    pub warn: u64,
    /// Critical at or above this.
    pub crit: u64,
}

/// `[thresholds]`, defaults from DESIGN.md "Defaults from the field".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// Number of MCP-like processes (10 / 21).
    pub processes: Threshold,
    /// Their total RSS in bytes (300 MB / 1 GB); the TOML accepts size strings or integers.
    pub rss: Threshold,
    /// Detached tmux sessions (3 / 6).
    pub detached_sessions: Threshold,
    /// Orphaned MCP-like processes (1 / 4).
    pub orphans: Threshold,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            processes: Threshold { warn: 10, crit: 21 },
            rss: Threshold {
                warn: 300_000_000,
                crit: 1_000_000_000,
            },
            detached_sessions: Threshold { warn: 3, crit: 6 },
            orphans: Threshold { warn: 1, crit: 4 },
        }
    }
}

/// `[match]`: the user's additions only (empty by default); see [`Config::all_patterns`] and
/// `launchers` for the extra launcher programs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchConfig {
    /// Extra program-name patterns that make a process MCP-like.
    pub patterns: Vec<String>,
    /// `replace = true`: `patterns` replaces the built-in patterns instead of adding to them.
    pub replace: bool,
    /// Program-name patterns that never make a process MCP-like (wins over `patterns`).
    pub exclude: Vec<String>,
    /// Extra launcher programs.
    pub launchers: Vec<String>,
}

/// `[sessions] on_close`: what closing a tmux session stops.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum OnClose {
    /// `"mcp"`: the MCP-like processes the session owned (default).
    #[default]
    Mcp,
    /// `"all"`: every process that was started in the session.
    All,
}

/// `[sessions]`
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionsConfig {
    /// What closing a session stops.
    pub on_close: OnClose,
    /// Detached sessions idle this long may be closed; `None` (default) never closes them.
    pub detached_ttl: Option<Duration>,
}

/// `scope` of a server.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// `"global"`: one process per user, shared by every session (default).
    #[default]
    Global,
    /// `"session"`: one process per tmux session, stopped with it.
    Session,
}

/// `start` of a server.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum StartMode {
    /// `"eager"`: with the daemon (global) or the session (session scope) (default).
    #[default]
    Eager,
    /// `"on-connect"`: on the first `mcpd connect`.
    OnConnect,
}

/// `share` of a server: which `mcpd connect` clients may use the same process.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Share {
    /// `"auto"`: clients with equal contracts (protocol, capabilities, roots) share (default).
    #[default]
    Auto,
    /// `"always"`: every client of a protocol era shares one process, whatever it declared.
    Always,
    /// `"session"`: one process per tmux session of the client (and per contract).
    Session,
    /// `"never"` (or `false`): one process per connection.
    Never,
}

/// `restart` of a server.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// `"always"`: restart whenever it exits.
    Always,
    /// `"on-failure"`: restart when it exits unsuccessfully or is killed (default).
    #[default]
    OnFailure,
    /// `"never"`.
    Never,
}

/// Implements `ALL`, `as_str` and `Display` for the keyword enums, from one table so the TOML
/// spelling is written down exactly once per variant.
macro_rules! keywords {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in documentation order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The spelling used in the config file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keywords!(OnClose { Mcp => "mcp", All => "all" });
keywords!(Scope { Global => "global", Session => "session" });
keywords!(StartMode { Eager => "eager", OnConnect => "on-connect" });
keywords!(RestartPolicy { Always => "always", OnFailure => "on-failure", Never => "never" });
keywords!(Share { Auto => "auto", Always => "always", Session => "session", Never => "never" });

/// Default `max_instances`: processes of one server at most (different contracts, sessions).
pub const DEFAULT_MAX_INSTANCES: u32 = 4;
/// Default `max_message`: the largest JSON-RPC message mcpd relays (64 MiB).
pub const DEFAULT_MAX_MESSAGE: u64 = 64 << 20;

/// `[servers.NAME]`: one server mcpd runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// One shared process, or one per tmux session.
    pub scope: Scope,
    /// The program (required, non-empty), looked up in `PATH` by the spawner.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Working directory as written (`~` is expanded by the caller); `None`: the daemon's for
    /// global servers, the session's start directory for session servers.
    pub cwd: Option<String>,
    /// When to start it.
    pub start: StartMode,
    /// When to restart it.
    pub restart: RestartPolicy,
    /// Tree RSS limit in bytes (never 0).
    pub max_rss: Option<u64>,
    /// Stop it after this long without a connected client (never zero).
    pub idle_timeout: Option<Duration>,
    /// Which `mcpd connect` clients share a process (default: by contract).
    pub share: Share,
    /// Processes of this server at most (never 0).
    pub max_instances: u32,
    /// The largest JSON-RPC message relayed either way, in bytes (never 0).
    pub max_message: u64,
}

/// An empty command with every other field at its default; handy for building servers in code
/// and tests (`ServerConfig { command: "npx".into(), ..Default::default() }`).
impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            scope: Scope::default(),
            command: String::new(),
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
            start: StartMode::default(),
            restart: RestartPolicy::default(),
            max_rss: None,
            idle_timeout: None,
            share: Share::Auto,
            max_instances: DEFAULT_MAX_INSTANCES,
            max_message: DEFAULT_MAX_MESSAGE,
        }
    }
}

mod errors;
mod template;
#[cfg(test)]
mod tests;
mod walk;

pub use errors::ConfigError;
use errors::*;
pub use template::default_config_toml;
use walk::*;

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
        let walker = Walker { src: text, path };
        let mut config = Config {
            source: Some(path.to_path_buf()),
            ..Config::default()
        };
        walker.root(root.get_ref(), &mut config)?;
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
