//! The schema: the types a config file deserializes into, with their built-in defaults.
//!
//! Every section is a serde struct with `deny_unknown_fields` and `default`, so a key left out
//! keeps its default and an unknown key is an error naming it. Durations and sizes go through
//! the [`Dur`]/[`Size`] newtypes of `units`; strings handed to the OS go through [`de`] helpers
//! that refuse NUL. Rules that span several fields or need the document (warn below crit, a
//! required `command`, ranges) are checked after deserializing, in `validate`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::de;

/// The whole configuration. `Config::default()` is the built-in defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[daemon]`: timing of the supervisor loop.
    pub daemon: DaemonConfig,
    /// `[thresholds]`: health levels.
    pub thresholds: Thresholds,
    /// `[match]`: what counts as MCP-like, in addition to the built-in lists.
    #[serde(rename = "match")]
    pub matching: MatchConfig,
    /// `[sessions]`: what happens to tmux sessions and their processes.
    pub sessions: SessionsConfig,
    /// `[servers.NAME]`: the servers mcpd runs, by name.
    #[serde(deserialize_with = "de::servers")]
    pub servers: BTreeMap<String, ServerConfig>,
    /// The file this was read from; `None` for the built-in defaults. Not a TOML key.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// `[daemon]`
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// How often the daemon reconciles with tmux, adopts, sweeps and samples (default 30 s, at
    /// least 1 s).
    #[serde(deserialize_with = "de::duration")]
    pub sweep_interval: Duration,
    /// How long SIGTERM is given before SIGKILL (default 3 s, at most 5 min).
    #[serde(deserialize_with = "de::duration")]
    pub stop_grace: Duration,
    /// Orphans younger than this are left alone (default 60 s).
    #[serde(deserialize_with = "de::duration")]
    pub orphan_min_age: Duration,
    /// How much RSS history is kept for trends (default 24 h).
    #[serde(deserialize_with = "de::duration")]
    pub history_window: Duration,
    /// Log files are rotated past this many bytes (key `log_max_size`, default 1 MB).
    #[serde(rename = "log_max_size", deserialize_with = "de::size")]
    pub log_max_bytes: u64,
    /// Whether each sweep stops orphans (default true); false leaves that to `mcpd clean`.
    pub sweep_orphans: bool,
    /// Bytes queued for one `mcpd connect` client at most (key `client_buffer`, default 16 MB, at
    /// least 64 KB).
    #[serde(deserialize_with = "de::size")]
    pub client_buffer: u64,
    /// A client that leaves its queued output unread this long is disconnected (default 30 s).
    #[serde(deserialize_with = "de::duration")]
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

/// `[thresholds]`, defaults from DESIGN.md "Defaults from the field". Either side of a pair
/// may be left out and keeps its own default, so the sections are read as partial
/// pairs and completed from [`Thresholds::default`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "de::PartialThresholds")]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchConfig {
    /// Extra program-name patterns that make a process MCP-like.
    #[serde(deserialize_with = "de::os_strings")]
    pub patterns: Vec<String>,
    /// `replace = true`: `patterns` replaces the built-in patterns instead of adding to them.
    pub replace: bool,
    /// Program-name patterns that never make a process MCP-like (wins over `patterns`).
    #[serde(deserialize_with = "de::os_strings")]
    pub exclude: Vec<String>,
    /// Extra launcher programs.
    #[serde(deserialize_with = "de::os_strings")]
    pub launchers: Vec<String>,
}

/// `[sessions] on_close`: what closing a tmux session stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnClose {
    /// `"mcp"`: the MCP-like processes the session owned (default).
    #[default]
    Mcp,
    /// `"all"`: every process that was started in the session.
    All,
}

/// `[sessions]`
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionsConfig {
    /// What closing a session stops.
    #[serde(deserialize_with = "de::keyword")]
    pub on_close: OnClose,
    /// Detached sessions idle this long may be closed; `None` (default) never closes them.
    #[serde(deserialize_with = "de::some_duration")]
    pub detached_ttl: Option<Duration>,
}

/// `scope` of a server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// `"global"`: one process per user, shared by every session (default).
    #[default]
    Global,
    /// `"session"`: one process per tmux session, stopped with it.
    Session,
}

/// `start` of a server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartMode {
    /// `"eager"`: with the daemon (global) or the session (session scope) (default).
    #[default]
    Eager,
    /// `"on-connect"`: on the first `mcpd connect`.
    OnConnect,
}

/// `share` of a server: which `mcpd connect` clients may use the same process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

de::keywords!(OnClose, Scope, StartMode, RestartPolicy, Share);

/// Default `max_instances`: processes of one server at most (different contracts, sessions).
pub const DEFAULT_MAX_INSTANCES: u32 = 4;
/// Default `max_message`: the largest JSON-RPC message mcpd relays (64 MiB).
pub const DEFAULT_MAX_MESSAGE: u64 = 64 << 20;

/// `[servers.NAME]`: one server mcpd runs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// One shared process, or one per tmux session.
    #[serde(deserialize_with = "de::keyword")]
    pub scope: Scope,
    /// The program (required, non-empty), looked up in `PATH` by the spawner.
    #[serde(deserialize_with = "de::os_string")]
    pub command: String,
    /// Its arguments.
    #[serde(deserialize_with = "de::os_strings")]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(deserialize_with = "de::env")]
    pub env: BTreeMap<String, String>,
    /// Working directory as written (`~` is expanded by the caller); `None`: the daemon's for
    /// global servers, the session's start directory for session servers.
    #[serde(deserialize_with = "de::some_os_string")]
    pub cwd: Option<String>,
    /// When to start it.
    #[serde(deserialize_with = "de::keyword")]
    pub start: StartMode,
    /// When to restart it.
    #[serde(deserialize_with = "de::keyword")]
    pub restart: RestartPolicy,
    /// Tree RSS limit in bytes (never 0).
    #[serde(deserialize_with = "de::some_size")]
    pub max_rss: Option<u64>,
    /// Stop it after this long without a connected client (never zero).
    #[serde(deserialize_with = "de::some_duration")]
    pub idle_timeout: Option<Duration>,
    /// Which `mcpd connect` clients share a process (default: by contract).
    #[serde(deserialize_with = "de::share")]
    pub share: Share,
    /// Processes of this server at most (never 0).
    pub max_instances: u32,
    /// The largest JSON-RPC message relayed either way, in bytes (never 0).
    #[serde(deserialize_with = "de::size")]
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
