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
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeInteger, DeTable, DeValue};

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

/// 1-based line and column (in characters) of byte `offset` in `src`. Works on bytes so that an
/// offset that is out of range or inside a character can never panic.
fn line_col(src: &[u8], offset: usize) -> (usize, usize) {
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
fn syntax_error(text: &str, path: &Path, error: &toml::de::Error) -> ConfigError {
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

/// One `key = value` of a table, with its dotted path and where it was written.
struct Entry<'t, 'i> {
    /// The key as written (unquoted).
    name: &'t str,
    /// The full dotted path, e.g. `servers.fs.command`.
    key: String,
    key_span: Range<usize>,
    value: &'t Spanned<DeValue<'i>>,
}

impl Entry<'_, '_> {
    fn span(&self) -> Range<usize> {
        self.value.span()
    }
}

/// Appends `name` to a dotted key path, quoting it the way TOML would when it is not a bare key.
fn join_key(prefix: &str, name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let name = if bare && name.len() <= 64 {
        name.to_owned()
    } else {
        quote(name)
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}.{name}")
    }
}

/// Quotes a name or value for a message, escaping control characters and cutting very long
/// text short, so that a hostile file cannot produce a megabyte-long error.
fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    if text.chars().count() <= MAX_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX_CHARS).collect();
        format!("{head:?}…")
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

/// The value of a TOML integer, or `None` if it does not fit an `i128` (toml hands us the
/// digits unchecked, so `99999999999999999999999` reaches us and must be reported, not wrapped).
fn integer_value(int: &DeInteger<'_>) -> Option<i128> {
    i128::from_str_radix(int.as_str(), int.radix()).ok()
}

const TOP_KEYS: &[&str] = &["daemon", "thresholds", "match", "sessions", "servers"];
const DAEMON_KEYS: &[&str] = &[
    "sweep_interval",
    "stop_grace",
    "orphan_min_age",
    "history_window",
    "log_max_size",
    "sweep_orphans",
];
const THRESHOLD_KEYS: &[&str] = &["processes", "rss", "detached_sessions", "orphans"];
const WARN_CRIT_KEYS: &[&str] = &["warn", "crit"];
const MATCH_KEYS: &[&str] = &["patterns", "replace", "exclude", "launchers"];
const SESSION_KEYS: &[&str] = &["on_close", "detached_ttl"];
const SERVER_KEYS: &[&str] = &[
    "scope",
    "command",
    "args",
    "env",
    "cwd",
    "start",
    "restart",
    "max_rss",
    "idle_timeout",
    "share",
    "max_instances",
    "max_message",
];

const MIN_SWEEP_INTERVAL: Duration = Duration::from_secs(1);
const MAX_STOP_GRACE: Duration = Duration::from_secs(5 * 60);
const MAX_SERVER_NAME_LEN: usize = 64;

type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// Walks the parsed document against the schema. Holds the source text to turn byte spans into
/// lines and columns.
struct Walker<'a> {
    src: &'a str,
    path: &'a Path,
}

impl Walker<'_> {
    fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_col(self.src.as_bytes(), span.start);
        ConfigError {
            path: self.path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            key: (!key.is_empty()).then(|| key.to_owned()),
            message: message.into(),
        }
    }

    fn unknown_key(&self, entry: &Entry<'_, '_>, expected: &[&str]) -> ConfigError {
        let message = format!("unknown key (expected one of: {})", expected.join(", "));
        self.error(entry.key_span.clone(), &entry.key, message)
    }

    fn type_error(&self, entry: &Entry<'_, '_>, expected: &str) -> ConfigError {
        let found = describe(entry.value.get_ref());
        self.error(
            entry.span(),
            &entry.key,
            format!("expected {expected}, found {found}"),
        )
    }

    /// The entries of `table` in document order (toml's map is sorted by key, and the first
    /// error in the file is the one worth reporting).
    fn entries<'t, 'i>(&self, table: &'t DeTable<'i>, prefix: &str) -> Vec<Entry<'t, 'i>> {
        let mut entries: Vec<Entry<'t, 'i>> = table
            .iter()
            .map(|(name, value)| Entry {
                name: name.get_ref().as_ref(),
                key: join_key(prefix, name.get_ref()),
                key_span: name.span(),
                value,
            })
            .collect();
        entries.sort_by_key(|e| (e.key_span.start, e.span().start));
        entries
    }

    fn table<'t, 'i>(&self, entry: &Entry<'t, 'i>) -> Result<&'t DeTable<'i>> {
        match entry.value.get_ref() {
            DeValue::Table(table) => Ok(table),
            _ => Err(self.type_error(entry, &format!("a table like [{}] or {{ ... }}", entry.key))),
        }
    }

    fn duration(&self, entry: &Entry<'_, '_>) -> Result<Duration> {
        match entry.value.get_ref() {
            DeValue::String(text) => {
                parse_duration(text).map_err(|e| self.error(entry.span(), &entry.key, e))
            }
            DeValue::Integer(int) => self.non_negative(entry, int).map(Duration::from_secs),
            _ => Err(self.type_error(entry, "a duration string like \"30s\"")),
        }
    }

    fn size(&self, entry: &Entry<'_, '_>) -> Result<u64> {
        match entry.value.get_ref() {
            DeValue::String(text) => {
                parse_size(text).map_err(|e| self.error(entry.span(), &entry.key, e))
            }
            DeValue::Integer(int) => self.non_negative(entry, int),
            _ => Err(self.type_error(entry, "a size string like \"300MB\" or a number of bytes")),
        }
    }

    fn count(&self, entry: &Entry<'_, '_>) -> Result<u64> {
        match entry.value.get_ref() {
            DeValue::Integer(int) => self.non_negative(entry, int),
            _ => Err(self.type_error(entry, "a whole number")),
        }
    }

    fn non_negative(&self, entry: &Entry<'_, '_>, int: &DeInteger<'_>) -> Result<u64> {
        match integer_value(int) {
            Some(n) if n < 0 => Err(self.error(entry.span(), &entry.key, "must not be negative")),
            Some(n) => u64::try_from(n)
                .map_err(|_| self.error(entry.span(), &entry.key, "the number is too large")),
            None => Err(self.error(entry.span(), &entry.key, "the number is too large")),
        }
    }

    fn boolean(&self, entry: &Entry<'_, '_>) -> Result<bool> {
        match entry.value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.type_error(entry, "true or false")),
        }
    }

    /// A string that will be handed to the OS (program, argument, path, environment), where a
    /// NUL byte cannot be represented.
    fn string(&self, entry: &Entry<'_, '_>) -> Result<String> {
        match entry.value.get_ref() {
            DeValue::String(text) => self.no_nul(entry.span(), &entry.key, text),
            _ => Err(self.type_error(entry, "a string")),
        }
    }

    fn no_nul(&self, span: Range<usize>, key: &str, text: &str) -> Result<String> {
        if text.contains('\0') {
            Err(self.error(span, key, "must not contain a NUL character"))
        } else {
            Ok(text.to_owned())
        }
    }

    fn string_list(&self, entry: &Entry<'_, '_>) -> Result<Vec<String>> {
        let DeValue::Array(items) = entry.value.get_ref() else {
            return Err(self.type_error(entry, "a list of strings like [\"a\", \"b\"]"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item.get_ref() {
                DeValue::String(text) => self.no_nul(item.span(), &entry.key, text),
                other => Err(self.error(
                    item.span(),
                    &entry.key,
                    format!(
                        "item {} is {}; expected a list of strings",
                        i + 1,
                        describe(other)
                    ),
                )),
            })
            .collect()
    }

    /// One of a keyword enum's spellings.
    /// `share`: a keyword, or the older boolean (`false` is `"never"`, `true` is `"auto"`).
    fn share(&self, entry: &Entry<'_, '_>) -> Result<Share> {
        match entry.value.get_ref() {
            DeValue::Boolean(true) => Ok(Share::Auto),
            DeValue::Boolean(false) => Ok(Share::Never),
            _ => self.keyword(entry, Share::ALL, Share::as_str),
        }
    }

    fn keyword<T: Copy>(
        &self,
        entry: &Entry<'_, '_>,
        all: &[T],
        as_str: fn(T) -> &'static str,
    ) -> Result<T> {
        let choices = all
            .iter()
            .map(|v| format!("\"{}\"", as_str(*v)))
            .collect::<Vec<_>>()
            .join(", ");
        match entry.value.get_ref() {
            DeValue::String(text) => all
                .iter()
                .copied()
                .find(|v| as_str(*v) == text.as_ref())
                .ok_or_else(|| {
                    self.error(
                        entry.span(),
                        &entry.key,
                        format!("expected one of {choices}, found {}", quote(text)),
                    )
                }),
            _ => Err(self.type_error(entry, &format!("one of {choices}"))),
        }
    }

    fn root(&self, root: &DeTable<'_>, config: &mut Config) -> Result<()> {
        for entry in self.entries(root, "") {
            match entry.name {
                "daemon" => self.daemon(&entry, &mut config.daemon)?,
                "thresholds" => self.thresholds(&entry, &mut config.thresholds)?,
                "match" => self.matching(&entry, &mut config.matching)?,
                "sessions" => self.sessions(&entry, &mut config.sessions)?,
                "servers" => self.servers(&entry, &mut config.servers)?,
                _ => return Err(self.unknown_key(&entry, TOP_KEYS)),
            }
        }
        Ok(())
    }

    fn daemon(&self, section: &Entry<'_, '_>, out: &mut DaemonConfig) -> Result<()> {
        for entry in self.entries(self.table(section)?, &section.key) {
            match entry.name {
                "sweep_interval" => {
                    let value = self.duration(&entry)?;
                    if value < MIN_SWEEP_INTERVAL {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            format!(
                                "must be at least 1s (found {})",
                                format_duration_config(value)
                            ),
                        ));
                    }
                    out.sweep_interval = value;
                }
                "stop_grace" => {
                    let value = self.duration(&entry)?;
                    if value > MAX_STOP_GRACE {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            format!(
                                "must be at most 5m (found {})",
                                format_duration_config(value)
                            ),
                        ));
                    }
                    out.stop_grace = value;
                }
                "orphan_min_age" => out.orphan_min_age = self.duration(&entry)?,
                "history_window" => out.history_window = self.duration(&entry)?,
                "log_max_size" => {
                    let value = self.size(&entry)?;
                    if value == 0 {
                        return Err(self.error(entry.span(), &entry.key, "must be greater than 0"));
                    }
                    out.log_max_bytes = value;
                }
                "sweep_orphans" => out.sweep_orphans = self.boolean(&entry)?,
                _ => return Err(self.unknown_key(&entry, DAEMON_KEYS)),
            }
        }
        Ok(())
    }

    fn thresholds(&self, section: &Entry<'_, '_>, out: &mut Thresholds) -> Result<()> {
        for entry in self.entries(self.table(section)?, &section.key) {
            match entry.name {
                "processes" => self.threshold(&entry, &mut out.processes, false)?,
                "rss" => self.threshold(&entry, &mut out.rss, true)?,
                "detached_sessions" => self.threshold(&entry, &mut out.detached_sessions, false)?,
                "orphans" => self.threshold(&entry, &mut out.orphans, false)?,
                _ => return Err(self.unknown_key(&entry, THRESHOLD_KEYS)),
            }
        }
        Ok(())
    }

    /// `{ warn = N, crit = N }`; either may be left out and keeps its default, but the pair
    /// must still satisfy `warn < crit`.
    fn threshold(&self, section: &Entry<'_, '_>, out: &mut Threshold, bytes: bool) -> Result<()> {
        let (mut warn_given, mut crit_given) = (false, false);
        for entry in self.entries(self.table(section)?, &section.key) {
            let (slot, given) = match entry.name {
                "warn" => (&mut out.warn, &mut warn_given),
                "crit" => (&mut out.crit, &mut crit_given),
                _ => return Err(self.unknown_key(&entry, WARN_CRIT_KEYS)),
            };
            *slot = if bytes {
                self.size(&entry)?
            } else {
                self.count(&entry)?
            };
            *given = true;
        }
        if out.warn >= out.crit {
            // Say which side was left at its default: `{ warn = 30 }` alone fails against the
            // default crit of 21, which the user may not have in mind.
            let show = |n: u64, given: bool| {
                let n = if bytes { human_bytes(n) } else { n.to_string() };
                if given {
                    n
                } else {
                    format!("{n}, the default")
                }
            };
            let message = format!(
                "warn ({}) must be below crit ({})",
                show(out.warn, warn_given),
                show(out.crit, crit_given)
            );
            return Err(self.error(section.span(), &section.key, message));
        }
        Ok(())
    }

    fn matching(&self, section: &Entry<'_, '_>, out: &mut MatchConfig) -> Result<()> {
        for entry in self.entries(self.table(section)?, &section.key) {
            let list = match entry.name {
                "patterns" => &mut out.patterns,
                "exclude" => &mut out.exclude,
                "launchers" => &mut out.launchers,
                "replace" => {
                    out.replace = self.boolean(&entry)?;
                    continue;
                }
                _ => return Err(self.unknown_key(&entry, MATCH_KEYS)),
            };
            let items = self.string_list(&entry)?;
            // An empty pattern is a substring of every command line: it would make every
            // process of the user MCP-like, and so a candidate for the orphan sweep.
            if items.iter().any(|item| item.trim().is_empty()) {
                return Err(self.error(entry.span(), &entry.key, "entries must not be empty"));
            }
            *list = items;
        }
        Ok(())
    }

    fn sessions(&self, section: &Entry<'_, '_>, out: &mut SessionsConfig) -> Result<()> {
        for entry in self.entries(self.table(section)?, &section.key) {
            match entry.name {
                "on_close" => out.on_close = self.keyword(&entry, OnClose::ALL, OnClose::as_str)?,
                "detached_ttl" => {
                    let ttl = self.duration(&entry)?;
                    if ttl.is_zero() {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            "must be greater than 0 (leave it out to never close detached sessions)",
                        ));
                    }
                    out.detached_ttl = Some(ttl);
                }
                _ => return Err(self.unknown_key(&entry, SESSION_KEYS)),
            }
        }
        Ok(())
    }

    fn servers(
        &self,
        section: &Entry<'_, '_>,
        out: &mut BTreeMap<String, ServerConfig>,
    ) -> Result<()> {
        for entry in self.entries(self.table(section)?, &section.key) {
            if !valid_server_name(entry.name) {
                let message = format!(
                    "invalid server name {}: use 1 to {MAX_SERVER_NAME_LEN} of the characters \
                     A-Z a-z 0-9 _ . - (the name becomes a file name)",
                    quote(entry.name)
                );
                return Err(self.error(entry.key_span.clone(), &entry.key, message));
            }
            let server = self.server(&entry)?;
            out.insert(entry.name.to_owned(), server);
        }
        Ok(())
    }

    fn server(&self, section: &Entry<'_, '_>) -> Result<ServerConfig> {
        let mut server = ServerConfig::default();
        let mut command = None;
        for entry in self.entries(self.table(section)?, &section.key) {
            match entry.name {
                "scope" => server.scope = self.keyword(&entry, Scope::ALL, Scope::as_str)?,
                "command" => {
                    let text = self.string(&entry)?;
                    if text.trim().is_empty() {
                        return Err(self.error(entry.span(), &entry.key, "must not be empty"));
                    }
                    command = Some(text);
                }
                "args" => server.args = self.string_list(&entry)?,
                "env" => server.env = self.env(&entry)?,
                "cwd" => {
                    let cwd = self.string(&entry)?;
                    if cwd.is_empty() {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            "must not be empty (leave it out for the default)",
                        ));
                    }
                    server.cwd = Some(cwd);
                }
                "start" => {
                    server.start = self.keyword(&entry, StartMode::ALL, StartMode::as_str)?
                }
                "restart" => {
                    server.restart =
                        self.keyword(&entry, RestartPolicy::ALL, RestartPolicy::as_str)?
                }
                "max_rss" => {
                    let limit = self.size(&entry)?;
                    if limit == 0 {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            "must be greater than 0 (leave it out for no limit)",
                        ));
                    }
                    server.max_rss = Some(limit);
                }
                "idle_timeout" => {
                    let timeout = self.duration(&entry)?;
                    if timeout.is_zero() {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            "must be greater than 0 (leave it out to never stop an idle server)",
                        ));
                    }
                    server.idle_timeout = Some(timeout);
                }
                "share" => server.share = self.share(&entry)?,
                "max_instances" => {
                    let n = self.count(&entry)?;
                    if n == 0 || n > 1000 {
                        return Err(self.error(
                            entry.span(),
                            &entry.key,
                            "must be between 1 and 1000",
                        ));
                    }
                    server.max_instances = n as u32;
                }
                "max_message" => {
                    let n = self.size(&entry)?;
                    if n < 1024 {
                        return Err(self.error(entry.span(), &entry.key, "must be at least 1KB"));
                    }
                    server.max_message = n;
                }
                _ => return Err(self.unknown_key(&entry, SERVER_KEYS)),
            }
        }
        match command {
            Some(command) => server.command = command,
            None => {
                return Err(self.error(
                    section.span(),
                    &section.key,
                    "missing required key `command`",
                ));
            }
        }
        Ok(server)
    }

    fn env(&self, section: &Entry<'_, '_>) -> Result<BTreeMap<String, String>> {
        let mut env = BTreeMap::new();
        for entry in self.entries(self.table(section)?, &section.key) {
            // The kernel's environment block is `NAME=value\0`: neither may hold NUL, and a name
            // with `=` would be split differently by whoever reads it back.
            if entry.name.is_empty() || entry.name.contains(['=', '\0']) {
                return Err(self.error(
                    entry.key_span.clone(),
                    &entry.key,
                    "environment variable names must not be empty or contain `=` or NUL",
                ));
            }
            let value = self.string(&entry)?;
            env.insert(entry.name.to_owned(), value);
        }
        Ok(env)
    }
}

/// `[A-Za-z0-9_.-]{1,64}`, and not `.` or `..`: the name is used as a file name.
fn valid_server_name(name: &str) -> bool {
    (1..=MAX_SERVER_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && name != "."
        && name != ".."
}

/// The text of a config file with every option commented out at its default value, each with a
/// line saying what it does, and two commented example servers. Written by `mcpd init`.
///
/// As written it parses to exactly [`Config::default()`]; so does uncommenting every option
/// above the servers section (both are tested).
pub fn default_config_toml() -> String {
    DEFAULT_CONFIG_TEMPLATE
        .replace("{patterns}", &comment_list(DEFAULT_PATTERNS))
        .replace("{launchers}", &comment_list(DEFAULT_LAUNCHERS))
}

/// `"a", "b", ...` wrapped into `#   ` comment lines of at most 100 columns (the first line's
/// `#   ` is in the template).
fn comment_list(items: &[&str]) -> String {
    let mut out = String::new();
    let mut width = 4;
    for (i, item) in items.iter().enumerate() {
        let word = format!("{item:?}{}", if i + 1 < items.len() { "," } else { "" });
        if i > 0 {
            if width + 1 + word.len() > 100 {
                out.push_str("\n#   ");
                width = 4;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        width += word.len();
        out.push_str(&word);
    }
    out
}

/// Kept as literal text (not generated from `Default`) so that it reads like a hand-written
/// file; the tests check that its values are the defaults.
const DEFAULT_CONFIG_TEMPLATE: &str = r#"# mcpd configuration.
#
# Every key is optional: each is shown commented out at its built-in default.
# Durations are strings like "500ms", "30s", "5m", "2h", "1d", "1h30m" (a bare number is seconds).
# Sizes are strings like "512KB", "300MB", "1.5GB", "2GiB" (a bare number is bytes).
# Check this file with `mcpd config check`.

# [daemon]
# How often the daemon reconciles with tmux, adopts new processes, sweeps orphans and samples
# memory (at least 1s).
# sweep_interval = "30s"
# How long a stopping process gets between SIGTERM and SIGKILL (at most 5m).
# stop_grace = "3s"
# Orphans younger than this are left alone: they may still be starting up.
# orphan_min_age = "60s"
# How much memory history is kept to spot servers that leak.
# history_window = "24h"
# Log files are rotated when they grow past this size.
# log_max_size = "1MB"
# Whether every sweep stops orphaned MCP processes (false: only `mcpd clean` does).
# sweep_orphans = true

# [thresholds]
# Health levels for `mcpd status`: a value >= warn is a warning, >= crit is critical
# (warn must be below crit).
# Number of MCP-like processes (servers, their launchers and their children).
# processes = { warn = 10, crit = 21 }
# Total resident memory (RSS) of those processes.
# rss = { warn = "300MB", crit = "1GB" }
# tmux sessions with no client attached.
# detached_sessions = { warn = 3, crit = 6 }
# MCP-like processes whose owner is gone.
# orphans = { warn = 1, crit = 4 }

# [match]
# Patterns of program names that make a process MCP-like. Only the program counts (its executable,
# the script or module an interpreter runs, the package a launcher runs), never other arguments:
# `vim mcp-server-notes.md` is not MCP-like. `*` is a wildcard over the whole name; a plain word
# matches any name containing it; several words match the executable and its first arguments.
# Added to the built-in list:
#   {patterns}
# patterns = []
# Drop the built-in patterns and use only `patterns`.
# replace = false
# Programs never treated as MCP-like, even when a pattern matches them.
# exclude = []
# Extra launcher programs (optionally with a sub-command, "rye run"), passed over when looking for
# the process that really owns a server. Built in, by shape:
#   {launchers}
# launchers = []

# [sessions]
# What closing a tmux session stops: "mcp" (the MCP processes it owned) or "all" (every process
# started in it).
# on_close = "mcp"
# Detached sessions idle for longer than this may be closed. Not set by default (never), e.g.:
#   detached_ttl = "12h"

# ----------------------------------------------------------------------------------------------
# Servers. Each [servers.NAME] table is an MCP server that mcpd runs. NAME (1 to 64 letters,
# digits, '_', '.' or '-') is what `mcpd start NAME` and `mcpd connect NAME` use. Only `command`
# is required. Two examples:
#
# A global server: one process, shared by every tmux session.
# [servers.filesystem]
# scope = "global"              # "global" (one, shared) or "session" (one per tmux session)
# command = "npx"               # the program, looked up in PATH
# args = ["-y", "@modelcontextprotocol/server-filesystem", "~/Projects"]
# env = { LOG_LEVEL = "warn" }  # extra environment variables
# cwd = "~"                     # working directory (session servers: the session's directory)
# start = "eager"               # "eager" (with the daemon/session) or "on-connect" (first connect)
# restart = "on-failure"        # "always", "on-failure" or "never"; backoff, stops on a crash loop
# max_rss = "500MB"             # tree memory limit; over it twice: restart (global), stop (session)
# idle_timeout = "10m"          # no client for this long: stop (started again on the next connect)
# share = "auto"                # "auto": clients with equal contracts share a process; "always",
#                               #   "session" (one per tmux session), "never" (one per connection)
# max_instances = 4             # processes of this server at most (contracts, sessions)
# max_message = "64MB"          # largest JSON-RPC message relayed; larger gets a JSON-RPC error
#
# A per-session server: one process per tmux session, stopped when the session closes.
# [servers.serena]
# scope = "session"
# command = "uvx"
# args = ["--from", "git+https://github.com/oraios/serena", "serena", "start-mcp-server"]
# start = "on-connect"
# restart = "never"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/home/u/.config/mcpd/config.toml";

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new(PATH))
    }

    fn parse_ok(text: &str) -> Config {
        parse(text).unwrap_or_else(|e| panic!("unexpected error: {e}\n--- input ---\n{text}"))
    }

    /// Parses text that must fail and returns the error, checking it always names the file.
    fn parse_err(text: &str) -> ConfigError {
        match parse(text) {
            Ok(config) => panic!("expected an error, got {config:?}\n--- input ---\n{text}"),
            Err(e) => {
                assert_eq!(e.path, Path::new(PATH));
                assert!(e.to_string().starts_with(PATH), "{e}");
                e
            }
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn defaults_match_the_design() {
        let c = Config::default();
        assert_eq!(c.daemon.sweep_interval, secs(30));
        assert_eq!(c.daemon.stop_grace, secs(3));
        assert_eq!(c.daemon.orphan_min_age, secs(60));
        assert_eq!(c.daemon.history_window, secs(24 * 3600));
        assert_eq!(c.daemon.log_max_bytes, 1_000_000);
        assert_eq!(c.thresholds.processes, Threshold { warn: 10, crit: 21 });
        assert_eq!(
            c.thresholds.rss,
            Threshold {
                warn: 300_000_000,
                crit: 1_000_000_000
            }
        );
        assert_eq!(
            c.thresholds.detached_sessions,
            Threshold { warn: 3, crit: 6 }
        );
        assert_eq!(c.thresholds.orphans, Threshold { warn: 1, crit: 4 });
        assert!(c.matching.patterns.is_empty() && c.matching.launchers.is_empty());
        assert_eq!(c.sessions.on_close, OnClose::Mcp);
        assert_eq!(c.sessions.detached_ttl, None);
        assert!(c.servers.is_empty());
        assert_eq!(c.source, None);
        let s = ServerConfig::default();
        assert_eq!(
            (s.scope, s.start, s.restart, s.share),
            (
                Scope::Global,
                StartMode::Eager,
                RestartPolicy::OnFailure,
                Share::Auto
            )
        );
    }

    #[test]
    fn empty_and_comment_only_files_are_the_defaults() {
        for text in ["", "\n\n", "# nothing here\n", "  \t\n# x\n\r\n"] {
            let c = parse_ok(text);
            assert_eq!(c.source.as_deref(), Some(Path::new(PATH)));
            assert_eq!(Config { source: None, ..c }, Config::default());
        }
    }

    #[test]
    fn the_design_example_parses() {
        let c = parse_ok(
            r#"
[daemon]
sweep_interval = "30s"     # reconcile, adopt, sweep, sample history
stop_grace = "3s"          # SIGTERM -> SIGKILL
orphan_min_age = "60s"
history_window = "2h"
log_max_size = "5MiB"

[thresholds]               # value >= warn is a warning, >= crit is critical
processes = { warn = 10, crit = 21 }
rss = { warn = "300MB", crit = "1GB" }
detached_sessions = { warn = 3, crit = 6 }
orphans = { warn = 1, crit = 4 }

[match]                    # added to the built-in lists
patterns = ["my-internal-mcp"]
launchers = ["pnpm", "rye"]

[sessions]
on_close = "all"
detached_ttl = "12h"

[servers.filesystem]
scope = "global"
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "~/Projects"]
env = { LOG_LEVEL = "warn" }
cwd = "~"
start = "eager"
restart = "on-failure"
max_rss = "500MB"
idle_timeout = "10m"

[servers."serena.v2"]
scope = "session"
command = "uvx"
start = "on-connect"
restart = "never"
share = false
"#,
        );
        assert_eq!(c.daemon.history_window, secs(7200));
        assert_eq!(c.daemon.log_max_bytes, 5 << 20);
        assert_eq!(c.thresholds, Thresholds::default());
        assert_eq!(c.matching.patterns, ["my-internal-mcp"]);
        assert_eq!(c.sessions.on_close, OnClose::All);
        assert_eq!(c.sessions.detached_ttl, Some(secs(12 * 3600)));
        let fs = &c.servers["filesystem"];
        assert_eq!(fs.command, "npx");
        assert_eq!(fs.args.len(), 3);
        assert_eq!(fs.env["LOG_LEVEL"], "warn");
        assert_eq!(fs.cwd.as_deref(), Some("~"));
        assert_eq!(fs.max_rss, Some(500_000_000));
        assert_eq!(fs.idle_timeout, Some(secs(600)));
        assert_eq!(fs.share, Share::Auto);
        let serena = &c.servers["serena.v2"];
        assert_eq!(serena.scope, Scope::Session);
        assert_eq!(serena.start, StartMode::OnConnect);
        assert_eq!(serena.restart, RestartPolicy::Never);
        assert_eq!(serena.share, Share::Never);
        assert!(serena.args.is_empty() && serena.env.is_empty() && serena.cwd.is_none());
    }

    #[test]
    fn alternative_spellings_of_the_same_values() {
        let c = parse_ok(
            "daemon.sweep_interval = 45\n\
             [thresholds.rss]\nwarn = 1000\ncrit = 2000\n\
             [thresholds.processes]\ncrit = 50\n\
             [servers]\nfs = { command = \"x\", max_rss = 1024 }\n",
        );
        assert_eq!(c.daemon.sweep_interval, secs(45));
        assert_eq!(
            c.thresholds.rss,
            Threshold {
                warn: 1000,
                crit: 2000
            }
        );
        assert_eq!(c.thresholds.processes, Threshold { warn: 10, crit: 50 });
        assert_eq!(c.servers["fs"].max_rss, Some(1024));
    }

    #[test]
    fn errors_display_as_path_line_column_key_message() {
        let e = parse_err("\n\n[servers.fs]\nargs = []\n");
        assert_eq!(
            e.to_string(),
            format!("{PATH}:3:1: servers.fs: missing required key `command`")
        );
        assert_eq!(
            (e.line, e.column, e.key.as_deref()),
            (Some(3), Some(1), Some("servers.fs"))
        );

        let e = ConfigError {
            path: PathBuf::from("/x/config.toml"),
            line: None,
            column: None,
            key: None,
            message: "cannot read".into(),
        };
        assert_eq!(e.to_string(), "/x/config.toml: cannot read");
        let e = ConfigError {
            line: Some(4),
            key: Some("daemon".into()),
            ..e
        };
        assert_eq!(e.to_string(), "/x/config.toml:4: daemon: cannot read");
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let e = parse_err("[daemon]\nstop_grace = \"3s\"\nsweep_intervall = \"30s\"\n");
        assert_eq!(
            e.to_string(),
            format!(
                "{PATH}:3:1: daemon.sweep_intervall: unknown key (expected one of: \
                 sweep_interval, stop_grace, orphan_min_age, history_window, log_max_size, sweep_orphans)"
            )
        );
        let cases: &[(&str, &str, usize, usize)] = &[
            ("colour = 1\n", "colour", 1, 1),
            (
                "[thresholds]\ncpu = { warn = 1, crit = 2 }\n",
                "thresholds.cpu",
                2,
                1,
            ),
            (
                "[thresholds]\nprocesses = { warn = 1, critt = 2 }\n",
                "thresholds.processes.critt",
                2,
                25,
            ),
            ("[match]\npattern = [\"x\"]\n", "match.pattern", 2, 1),
            ("[sessions]\nttl = \"1h\"\n", "sessions.ttl", 2, 1),
            (
                "[servers.fs]\ncommand = \"x\"\nargv = []\n",
                "servers.fs.argv",
                3,
                1,
            ),
            (
                "[servers.fs]\ncommand = \"x\"\n  \"odd key\" = 1\n",
                "servers.fs.\"odd key\"",
                3,
                3,
            ),
            ("[daemon.sub]\nx = 1\n", "daemon.sub", 1, 9),
        ];
        for (text, key, line, column) in cases {
            let e = parse_err(text);
            assert_eq!(e.key.as_deref(), Some(*key), "{e}");
            assert_eq!((e.line, e.column), (Some(*line), Some(*column)), "{e}");
            assert!(
                e.message.starts_with("unknown key (expected one of: "),
                "{e}"
            );
        }
        let e = parse_err("[servers.fs]\ncommand = \"x\"\nsharing = true\n");
        assert!(
            e.message.contains("scope, command, args, env, cwd, start"),
            "{e}"
        );
    }

    #[test]
    fn the_first_error_in_the_file_is_reported() {
        // toml stores keys sorted; we must still report in document order.
        let e = parse_err("zzz = 1\naaa = 2\n");
        assert_eq!(e.key.as_deref(), Some("zzz"));
        let e = parse_err("[servers.b]\nargs = []\n[servers.a]\nargs = []\n");
        assert_eq!(e.key.as_deref(), Some("servers.b"));
    }

    #[test]
    fn wrong_types_say_what_was_expected() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "daemon = 5",
                "daemon",
                "expected a table like [daemon] or { ... }, found an integer",
            ),
            (
                "[daemon]\nsweep_interval = true",
                "daemon.sweep_interval",
                "expected a duration string like \"30s\", found a boolean",
            ),
            (
                "[daemon]\nstop_grace = 1.5",
                "daemon.stop_grace",
                "expected a duration string like \"30s\", found a float",
            ),
            (
                "[daemon]\nlog_max_size = []",
                "daemon.log_max_size",
                "expected a size string like \"300MB\" or a number of bytes, found an array",
            ),
            (
                "[thresholds]\norphans = { warn = \"1\" }",
                "thresholds.orphans.warn",
                "expected a whole number, found a string",
            ),
            (
                "[thresholds]\nrss = 5",
                "thresholds.rss",
                "expected a table like [thresholds.rss] or { ... }, found an integer",
            ),
            (
                "[match]\npatterns = \"x\"",
                "match.patterns",
                "expected a list of strings like [\"a\", \"b\"], found a string",
            ),
            (
                "[match]\nlaunchers = [\"a\", 2]",
                "match.launchers",
                "item 2 is an integer; expected a list of strings",
            ),
            (
                "[sessions]\non_close = \"everything\"",
                "sessions.on_close",
                "expected one of \"mcp\", \"all\", found \"everything\"",
            ),
            (
                "[sessions]\non_close = 1",
                "sessions.on_close",
                "expected one of \"mcp\", \"all\", found an integer",
            ),
            (
                "[servers.a]\ncommand = [\"npx\"]",
                "servers.a.command",
                "expected a string, found an array",
            ),
            (
                "[servers.a]\ncommand = \"x\"\nscope = \"globl\"",
                "servers.a.scope",
                "expected one of \"global\", \"session\", found \"globl\"",
            ),
            (
                "[servers.a]\ncommand = \"x\"\nstart = \"lazy\"",
                "servers.a.start",
                "expected one of \"eager\", \"on-connect\", found \"lazy\"",
            ),
            (
                "[servers.a]\ncommand = \"x\"\nrestart = \"on_failure\"",
                "servers.a.restart",
                "expected one of \"always\", \"on-failure\", \"never\", found \"on_failure\"",
            ),
            (
                "[servers.a]\ncommand = \"x\"\nshare = \"yes\"",
                "servers.a.share",
                "expected one of \"auto\", \"always\", \"session\", \"never\", found \"yes\"",
            ),
            (
                "[servers.a]\ncommand = \"x\"\nenv = { A = 1 }",
                "servers.a.env.A",
                "expected a string, found an integer",
            ),
            (
                "[servers.a]\ncommand = \"x\"\nenv = [\"A=1\"]",
                "servers.a.env",
                "expected a table like [servers.a.env] or { ... }, found an array",
            ),
            (
                "[servers.a]\ncommand = \"x\"\ncwd = 1979-05-27",
                "servers.a.cwd",
                "expected a string, found a date/time",
            ),
            (
                "servers = [1]",
                "servers",
                "expected a table like [servers] or { ... }, found an array",
            ),
            (
                "[[servers]]\ncommand = \"x\"",
                "servers",
                "expected a table like [servers] or { ... }, found an array",
            ),
            (
                "[servers]\nfs = \"npx\"",
                "servers.fs",
                "expected a table like [servers.fs] or { ... }, found a string",
            ),
        ];
        for (text, key, message) in cases {
            let e = parse_err(text);
            assert_eq!(e.key.as_deref(), Some(*key), "{e}");
            assert_eq!(e.message, *message, "{e}");
            assert!(e.line.is_some() && e.column.is_some(), "{e}");
        }
    }

    #[test]
    fn bad_durations_and_sizes_are_located() {
        let e = parse_err("[daemon]\n\norphan_min_age = \"5x\"\n");
        assert_eq!(
            e.to_string(),
            format!(
                "{PATH}:3:18: daemon.orphan_min_age: invalid duration \"5x\": expected a number \
                 followed by ms, s, m, h or d (e.g. \"30s\", \"5m\")"
            )
        );
        let e = parse_err("[servers.fs]\ncommand = \"x\"\nmax_rss = \"lots\"\n");
        assert_eq!(e.key.as_deref(), Some("servers.fs.max_rss"));
        assert_eq!((e.line, e.column), (Some(3), Some(11)));
        assert!(e.message.starts_with("invalid size \"lots\""), "{e}");
        let e = parse_err("[daemon]\nhistory_window = -5\n");
        assert_eq!(e.message, "must not be negative");
        let e = parse_err("[daemon]\nhistory_window = \"-5m\"\n");
        assert!(e.message.contains("negative"), "{e}");
        let e = parse_err("[thresholds]\nrss = { warn = \"1ZB\", crit = \"2GB\" }\n");
        assert_eq!(e.key.as_deref(), Some("thresholds.rss.warn"));
    }

    #[test]
    fn thresholds_need_warn_below_crit() {
        let e = parse_err("[thresholds]\nrss = { warn = \"1GB\", crit = \"300MB\" }\n");
        assert_eq!(
            e.to_string(),
            format!("{PATH}:2:7: thresholds.rss: warn (1 GB) must be below crit (300 MB)")
        );
        let e = parse_err("[thresholds]\nprocesses = { warn = 5, crit = 5 }\n");
        assert_eq!(e.message, "warn (5) must be below crit (5)");
        let e = parse_err("[thresholds.orphans]\nwarn = 30\n");
        assert_eq!(e.message, "warn (30) must be below crit (4, the default)");
        assert_eq!((e.line, e.column), (Some(1), Some(1)));
        let e = parse_err("[thresholds]\ndetached_sessions = { crit = 2 }\n");
        assert_eq!(e.message, "warn (3, the default) must be below crit (2)");
        // warn = 0 (always at least a warning) is odd but consistent.
        let c = parse_ok("[thresholds]\norphans = { warn = 0, crit = 1 }\n");
        assert_eq!(c.thresholds.orphans, Threshold { warn: 0, crit: 1 });
    }

    #[test]
    fn servers_need_a_non_empty_command() {
        let e = parse_err("[servers.fs]\n");
        assert_eq!(e.message, "missing required key `command`");
        assert_eq!(e.key.as_deref(), Some("servers.fs"));
        let e = parse_err("servers.fs.args = [\"a\"]\n");
        assert_eq!(e.message, "missing required key `command`");
        assert_eq!(e.line, Some(1));
        let e = parse_err("[servers]\nfs = {}\n");
        assert_eq!(e.message, "missing required key `command`");
        let e = parse_err("[servers.fs]\ncommand = \"  \"\n");
        assert_eq!(
            e.to_string(),
            format!("{PATH}:2:11: servers.fs.command: must not be empty")
        );
    }

    #[test]
    fn server_names_must_be_usable_as_file_names() {
        for good in ["fs", "a", "my-server_2.v1", "A.B", &"x".repeat(64)] {
            let c = parse_ok(&format!("[servers.\"{good}\"]\ncommand = \"x\"\n"));
            assert!(c.servers.contains_key(good));
        }
        for bad in [
            "my server",
            "a/b",
            "..",
            ".",
            "ü",
            "a\\u0000b",
            "",
            "a:b",
            &"x".repeat(65),
        ] {
            let e = parse_err(&format!("\n[servers.\"{bad}\"]\ncommand = \"x\"\n"));
            assert!(e.message.starts_with("invalid server name "), "{e}");
            assert!(e.message.contains("the name becomes a file name"), "{e}");
            assert_eq!(e.line, Some(2), "{e}");
            assert!(e.key.as_deref().unwrap().starts_with("servers."), "{e}");
        }
        let e = parse_err("[servers.\"my server\"]\ncommand = \"x\"\n");
        assert_eq!(e.key.as_deref(), Some("servers.\"my server\""));
    }

    #[test]
    fn range_rules() {
        let e = parse_err("[daemon]\nsweep_interval = \"500ms\"\n");
        assert_eq!(e.message, "must be at least 1s (found 500ms)");
        assert_eq!(
            parse_ok("daemon.sweep_interval = \"1s\"")
                .daemon
                .sweep_interval,
            secs(1)
        );
        let e = parse_err("[daemon]\nstop_grace = \"10m\"\n");
        assert_eq!(e.message, "must be at most 5m (found 10m)");
        assert_eq!(
            parse_ok("daemon.stop_grace = \"5m\"").daemon.stop_grace,
            secs(300)
        );
        assert_eq!(
            parse_ok("daemon.stop_grace = 0").daemon.stop_grace,
            Duration::ZERO
        );
        let e = parse_err("[servers.fs]\ncommand = \"x\"\nmax_rss = 0\n");
        assert_eq!(e.key.as_deref(), Some("servers.fs.max_rss"));
        assert!(e.message.starts_with("must be greater than 0"), "{e}");
        let e = parse_err("[servers.fs]\ncommand = \"x\"\nmax_rss = \"0MB\"\n");
        assert!(e.message.starts_with("must be greater than 0"), "{e}");
        let e = parse_err("[servers.fs]\ncommand = \"x\"\nidle_timeout = \"0s\"\n");
        assert!(e.message.starts_with("must be greater than 0"), "{e}");
        let e = parse_err("sessions.detached_ttl = \"0m\"\n");
        assert!(e.message.starts_with("must be greater than 0"), "{e}");
        let e = parse_err("daemon.log_max_size = 0\n");
        assert!(e.message.starts_with("must be greater than 0"), "{e}");
    }

    #[test]
    fn strings_for_the_os_reject_nul_and_empty_entries() {
        let e = parse_err("[servers.a]\ncommand = \"np\\u0000x\"\n");
        assert_eq!(e.message, "must not contain a NUL character");
        let e = parse_err("[servers.a]\ncommand = \"x\"\nargs = [\"ok\", \"b\\u0000\"]\n");
        assert_eq!(
            (e.key.as_deref(), e.column),
            (Some("servers.a.args"), Some(15))
        );
        let e = parse_err("[servers.a]\ncommand = \"x\"\nenv = { \"A=B\" = \"1\" }\n");
        assert!(
            e.message.contains("must not be empty or contain `=`"),
            "{e}"
        );
        let e = parse_err("[servers.a]\ncommand = \"x\"\nenv = { \"\" = \"1\" }\n");
        assert!(e.message.contains("must not be empty"), "{e}");
        let e = parse_err("[servers.a]\ncommand = \"x\"\ncwd = \"\"\n");
        assert!(e.message.starts_with("must not be empty"), "{e}");
        let e = parse_err("[match]\npatterns = [\"ok\", \" \"]\n");
        assert_eq!(e.message, "entries must not be empty");
    }

    #[test]
    fn integers_out_of_range_are_errors_not_wraps() {
        for text in [
            "daemon.history_window = 99999999999999999999999999999999999999999999",
            "daemon.history_window = 18446744073709551616",
            "thresholds.processes = { warn = 1, crit = 0xffffffffffffffffffffffff }",
            "daemon.log_max_size = 9223372036854775807000",
        ] {
            let e = parse_err(text);
            assert!(
                e.message.contains("too large") || e.message.starts_with("invalid TOML"),
                "{e}"
            );
        }
        let c = parse_ok("thresholds.processes = { warn = 0x10, crit = 0o77 }");
        assert_eq!(c.thresholds.processes, Threshold { warn: 16, crit: 63 });
        let c = parse_ok("daemon.orphan_min_age = 1_000");
        assert_eq!(c.daemon.orphan_min_age, secs(1000));
    }

    #[test]
    fn syntax_errors_carry_the_parser_position() {
        let e = parse_err("[daemon]\nsweep_interval = 30s\n");
        assert_eq!((e.line, e.column), (Some(2), Some(18)));
        assert_eq!(
            e.message,
            "invalid TOML: string values must be quoted: write \"30s\", not 30s"
        );
        assert_eq!(e.key, None);
        assert!(e.message.starts_with("invalid TOML: "), "{e}");
        let e = parse_err("[daemon]\n[daemon]\n");
        assert_eq!(e.message, "invalid TOML: duplicate key `daemon`");
        assert_eq!((e.line, e.column), (Some(2), Some(2)));
        let e = parse_err("a = \"unterminated\n");
        assert_eq!(e.line, Some(1));
        let e = parse_err("[servers.fs\ncommand = \"x\"\n");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = parse_err("# é\n[servers.fs]\ncommand = \"ü\" \ncwd = 5\n");
        assert_eq!((e.line, e.column), (Some(4), Some(7)));
        let e = parse_err("env_note = \"ééé\"\nx = 1\n");
        assert_eq!((e.line, e.column), (Some(1), Some(1)));
        assert_eq!(line_col("éa\nb".as_bytes(), 3), (1, 3));
        assert_eq!(line_col(b"ab", 100), (1, 3));
        assert_eq!(line_col("é".as_bytes(), 1), (1, 2));
    }

    #[test]
    fn patterns_and_launchers_are_defaults_plus_user() {
        let c = parse_ok("[match]\npatterns = [\"my-mcp\", \"serena\"]\nlaunchers = [\"rye\"]\n");
        let patterns = c.all_patterns();
        assert_eq!(patterns.len(), DEFAULT_PATTERNS.len() + 1);
        assert_eq!(patterns[..DEFAULT_PATTERNS.len()], *DEFAULT_PATTERNS);
        assert_eq!(patterns.last().map(String::as_str), Some("my-mcp"));
        assert_eq!(c.matching.launchers, ["rye"]);
        assert_eq!(Config::default().all_patterns(), DEFAULT_PATTERNS);
        let c = parse_ok(
            "[match]\npatterns = [\"mine\"]\nreplace = true\nexclude = [\"serena-notes\"]\n",
        );
        assert_eq!(c.all_patterns(), ["mine"]);
        assert_eq!(c.matching.exclude, ["serena-notes"]);
        let e = parse_err("[match]\nreplace = \"yes\"\n");
        assert!(e.to_string().contains("match.replace"), "{e}");
    }

    #[test]
    fn share_takes_keywords_and_the_old_booleans() {
        for (text, want) in [
            ("\"auto\"", Share::Auto),
            ("\"always\"", Share::Always),
            ("\"session\"", Share::Session),
            ("\"never\"", Share::Never),
            ("false", Share::Never),
            ("true", Share::Auto),
        ] {
            let c = parse_ok(&format!("[servers.a]\ncommand = \"x\"\nshare = {text}"));
            assert_eq!(c.servers["a"].share, want, "{text}");
        }
        let c = parse_ok("[servers.a]\ncommand = \"x\"\nmax_instances = 2\nmax_message = \"1MB\"");
        assert_eq!(
            (c.servers["a"].max_instances, c.servers["a"].max_message),
            (2, 1_000_000)
        );
        let e = parse_err("[servers.a]\ncommand = \"x\"\nmax_instances = 0").to_string();
        assert!(
            e.contains("servers.a.max_instances") && e.contains("between 1 and 1000"),
            "{e}"
        );
        let e = parse_err("[servers.a]\ncommand = \"x\"\nmax_message = 10").to_string();
        assert!(
            e.contains("servers.a.max_message") && e.contains("at least 1KB"),
            "{e}"
        );
    }

    #[test]
    fn keyword_enums_spell_like_the_file() {
        assert_eq!(
            Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["global", "session"]
        );
        assert_eq!(StartMode::OnConnect.to_string(), "on-connect");
        assert_eq!(RestartPolicy::OnFailure.to_string(), "on-failure");
        assert_eq!(OnClose::All.to_string(), "all");
        // serde uses the same spelling (for `status --json`).
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Wrap {
            s: StartMode,
            r: RestartPolicy,
        }
        let text = toml::to_string(&Wrap {
            s: StartMode::OnConnect,
            r: RestartPolicy::OnFailure,
        })
        .unwrap();
        assert_eq!(text, "s = \"on-connect\"\nr = \"on-failure\"\n");
        let back: Wrap = toml::from_str(&text).unwrap();
        assert_eq!(
            (back.s, back.r),
            (StartMode::OnConnect, RestartPolicy::OnFailure)
        );
    }

    #[test]
    fn load_missing_file_gives_defaults_without_source() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&dir.path().join("nope.toml")).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.source, None);
    }

    #[test]
    fn load_reads_and_records_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[servers.fs]\ncommand = \"npx\"\n").unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.source.as_deref(), Some(path.as_path()));
        assert_eq!(c.servers["fs"].command, "npx");
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory cannot be read as a file.
        let e = Config::load(dir.path()).unwrap_err();
        assert_eq!(e.path, dir.path());
        assert!(
            e.message.starts_with("cannot read the config file: "),
            "{e}"
        );
        assert_eq!(e.line, None);

        let path = dir.path().join("config.toml");
        std::fs::write(&path, b"[daemon]\nstop_grace = \"3\xff\xfes\"\n").unwrap();
        let e = Config::load(&path).unwrap_err();
        assert_eq!(e.message, "the file is not valid UTF-8 text");
        assert_eq!((e.line, e.column), (Some(2), Some(16)));
        assert!(
            e.to_string()
                .starts_with(&format!("{}:2:16: ", path.display())),
            "{e}"
        );

        std::fs::write(&path, "[daemon]\nbogus = 1\n").unwrap();
        let e = Config::load(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2:1: daemon.bogus: unknown key (expected one of: sweep_interval, stop_grace, orphan_min_age, history_window, log_max_size, sweep_orphans)",
                path.display()
            )
        );
    }

    #[test]
    fn default_config_toml_parses_to_the_defaults() {
        let text = default_config_toml();
        assert_eq!(
            Config {
                source: None,
                ..parse_ok(&text)
            },
            Config::default()
        );
        assert!(
            text.contains("\"@modelcontextprotocol/*\", \"mcp-*\""),
            "{text}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(!text.contains("{patterns}") && !text.contains("{launchers}"));
        // Every option of every section is documented.
        for key in DAEMON_KEYS
            .iter()
            .chain(THRESHOLD_KEYS)
            .chain(MATCH_KEYS)
            .chain(SESSION_KEYS)
            .chain(SERVER_KEYS)
        {
            assert!(
                text.contains(&format!("# {key} = ")) || text.contains(&format!("#   {key} = ")),
                "{key} missing"
            );
        }
        for section in TOP_KEYS.iter().filter(|s| **s != "servers") {
            assert!(
                text.contains(&format!("# [{section}]")),
                "[{section}] missing"
            );
        }
    }

    /// Uncomments `# key = value` and `# [table]` lines (but not prose or indented examples).
    fn uncomment(text: &str) -> String {
        text.lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest.split_once(" = ").is_some_and(|(key, _)| {
                            !key.is_empty()
                                && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                        }) =>
                {
                    rest
                }
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn default_config_toml_shows_the_real_defaults() {
        let text = default_config_toml();
        let (settings, examples) = text.split_at(text.find("\n# -----").unwrap());
        let uncommented = uncomment(settings);
        assert!(
            uncommented.contains("\n[daemon]\n# How often")
                && uncommented.contains("\nsweep_interval = \"30s\"\n"),
            "{uncommented}"
        );
        assert_eq!(
            Config {
                source: None,
                ..parse_ok(&uncommented)
            },
            Config::default()
        );

        // The examples are valid too, and say what they claim.
        let c = parse_ok(&format!("{uncommented}\n{}", uncomment(examples)));
        let fs = &c.servers["filesystem"];
        assert_eq!(
            (fs.scope, fs.command.as_str(), fs.share),
            (Scope::Global, "npx", Share::Auto)
        );
        assert_eq!(fs.env["LOG_LEVEL"], "warn");
        assert_eq!(fs.max_rss, Some(500_000_000));
        let serena = &c.servers["serena"];
        assert_eq!(
            (serena.scope, serena.start),
            (Scope::Session, StartMode::OnConnect)
        );
    }

    /// A small deterministic generator, so the garbage test needs no extra dependency.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut inputs: Vec<String> = vec![
            String::from_utf8_lossy(&[0, 159, 146, 150, 255, 10, 91, 93, 61, 0]).into_owned(),
            "\u{feff}[daemon]\nstop_grace = \"1s\"".into(),
            "[".repeat(100_000),
            "a = ".to_owned() + &"[".repeat(100_000),
            "a = ".to_owned() + &"{ b = ".repeat(10_000),
            "a".to_owned() + &".a".repeat(10_000) + " = 1",
            "[".to_owned() + &"a.".repeat(10_000) + "a]",
            "[[servers]]\n".repeat(1000),
            "servers.x.env.".to_owned() + &"a.".repeat(70) + "b = 1",
            "daemon.sweep_interval = 1e400".into(),
            "daemon.sweep_interval = nan".into(),
            "daemon.sweep_interval = -inf".into(),
            format!("daemon.sweep_interval = \"{}\"", "9".repeat(100_000)),
            format!("[servers.\"{}\"]\ncommand = \"x\"", "n".repeat(100_000)),
            "=".into(),
            "\"\" = 1".into(),
            "[servers.\"\"]".into(),
            "\r\r\r".into(),
            "\\".into(),
            "a = \"\\uD800\"".into(),
            "a = 1979-05-27T07:32:00Z".into(),
            "x".repeat(1_000_000),
        ];
        // Random mixtures of plausible and implausible fragments.
        let fragments = [
            "[daemon]",
            "[servers.a]",
            "[thresholds]",
            "[match]",
            "[sessions]",
            "[servers]",
            "sweep_interval",
            "stop_grace",
            "command",
            "args",
            "env",
            "rss",
            "processes",
            "warn",
            "crit",
            "max_rss",
            "scope",
            "x",
            " = ",
            "=",
            "\n",
            "\"30s\"",
            "\"1GB\"",
            "0",
            "-1",
            "99999999999999999999",
            "1.5",
            "true",
            "[",
            "]",
            "{",
            "}",
            ",",
            "\"",
            "'",
            "#",
            ".",
            " ",
            "\u{0}",
            "é",
            "\"\\u0000\"",
            "[[",
            "]]",
            "0x",
            "1979-05-27",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let len = (rng.next() % 40) as usize;
            inputs.push((0..len).map(|_| rng.pick(&fragments)).collect());
        }
        for input in &inputs {
            match parse(input) {
                Ok(config) => assert_eq!(config.source.as_deref(), Some(Path::new(PATH))),
                Err(e) => {
                    let shown = e.to_string();
                    assert!(shown.starts_with(PATH));
                    // Messages quote values, but never echo a megabyte of input.
                    assert!(
                        shown.len() < 2_000,
                        "message too long: {}",
                        shown.chars().take(300).collect::<String>()
                    );
                }
            }
        }
    }
}
