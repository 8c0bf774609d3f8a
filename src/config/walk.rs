//! The hand-written walk of toml's spanned tree against the schema: every error names its file,
//! line, column and dotted key, and the first error in document order wins.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeInteger, DeTable, DeValue};

use super::*;

/// One `key = value` of a table, with its dotted path and where it was written.
pub(super) struct Entry<'t, 'i> {
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
pub(super) fn join_key(prefix: &str, name: &str) -> String {
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
pub(super) fn quote(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    if text.chars().count() <= MAX_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX_CHARS).collect();
        format!("{head:?}…")
    }
}

/// "a string", "an integer"...: the TOML type of a value, for "found ..." in messages.
pub(super) fn describe(value: &DeValue<'_>) -> &'static str {
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
pub(super) fn integer_value(int: &DeInteger<'_>) -> Option<i128> {
    i128::from_str_radix(int.as_str(), int.radix()).ok()
}

pub(super) const TOP_KEYS: &[&str] = &["daemon", "thresholds", "match", "sessions", "servers"];
pub(super) const DAEMON_KEYS: &[&str] = &[
    "sweep_interval",
    "stop_grace",
    "orphan_min_age",
    "history_window",
    "log_max_size",
    "sweep_orphans",
    "client_buffer",
    "slow_client_timeout",
];
pub(super) const THRESHOLD_KEYS: &[&str] = &["processes", "rss", "detached_sessions", "orphans"];
pub(super) const WARN_CRIT_KEYS: &[&str] = &["warn", "crit"];
pub(super) const MATCH_KEYS: &[&str] = &["patterns", "replace", "exclude", "launchers"];
pub(super) const SESSION_KEYS: &[&str] = &["on_close", "detached_ttl"];
pub(super) const SERVER_KEYS: &[&str] = &[
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

pub(super) const MIN_SWEEP_INTERVAL: Duration = Duration::from_secs(1);
pub(super) const MAX_STOP_GRACE: Duration = Duration::from_secs(5 * 60);
pub(super) const MAX_SERVER_NAME_LEN: usize = 64;

type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// Walks the parsed document against the schema. Holds the source text to turn byte spans into
/// lines and columns.
pub(super) struct Walker<'a> {
    pub(super) src: &'a str,
    pub(super) path: &'a Path,
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

    pub(super) fn root(&self, root: &DeTable<'_>, config: &mut Config) -> Result<()> {
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
                "client_buffer" => {
                    let value = self.size(&entry)?;
                    if value < 64 * 1024 {
                        return Err(self.error(entry.span(), &entry.key, "must be at least 64KB"));
                    }
                    out.client_buffer = value;
                }
                "slow_client_timeout" => {
                    let value = self.duration(&entry)?;
                    if value.is_zero() {
                        return Err(self.error(entry.span(), &entry.key, "must be greater than 0"));
                    }
                    out.slow_client_timeout = value;
                }
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
pub(super) fn valid_server_name(name: &str) -> bool {
    (1..=MAX_SERVER_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && name != "."
        && name != ".."
}
