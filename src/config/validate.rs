//! The rules serde's types cannot say: ranges, a required non-empty `command`, and `warn` below
//! `crit` (which needs to know which side the file gave). One pass over the deserialized
//! [`Config`]; the document is only consulted to locate a problem and to see what was written.

use std::path::Path;
use std::time::Duration;

use toml::de::DeTable;

use super::errors::{ConfigError, join_key, spans_of};
use super::schema::{Config, Threshold};
use crate::units::{format_duration_config, human_bytes};

const MIN_SWEEP_INTERVAL: Duration = Duration::from_secs(1);
const MAX_STOP_GRACE: Duration = Duration::from_secs(5 * 60);

/// One broken rule: the raw key path it is about and what is wrong.
struct Problem {
    path: Vec<String>,
    message: String,
}

/// Checks `config` (deserialized from `text`, parsed as `root`); the error is the first broken
/// rule in the file.
pub(super) fn validate(
    config: &Config,
    text: &str,
    path: &Path,
    root: &DeTable<'_>,
) -> Result<(), ConfigError> {
    let given = |p: &[&str]| spans_of(root, p).is_some();
    let mut problems = Vec::new();
    let mut fail = |p: &[&str], message: String| {
        problems.push(Problem {
            path: p.iter().map(|s| (*s).to_owned()).collect(),
            message,
        })
    };

    let d = &config.daemon;
    if d.sweep_interval < MIN_SWEEP_INTERVAL {
        let found = format_duration_config(d.sweep_interval);
        fail(
            &["daemon", "sweep_interval"],
            format!("must be at least 1s (found {found})"),
        );
    }
    if d.stop_grace > MAX_STOP_GRACE {
        let found = format_duration_config(d.stop_grace);
        fail(
            &["daemon", "stop_grace"],
            format!("must be at most 5m (found {found})"),
        );
    }
    if d.log_max_bytes == 0 {
        fail(&["daemon", "log_max_size"], "must be greater than 0".into());
    }
    if d.client_buffer < 64 * 1024 {
        fail(&["daemon", "client_buffer"], "must be at least 64KB".into());
    }
    if d.slow_client_timeout.is_zero() {
        fail(
            &["daemon", "slow_client_timeout"],
            "must be greater than 0".into(),
        );
    }

    let t = &config.thresholds;
    for (name, pair, bytes) in [
        ("processes", t.processes, false),
        ("rss", t.rss, true),
        ("detached_sessions", t.detached_sessions, false),
        ("orphans", t.orphans, false),
    ] {
        if pair.warn >= pair.crit {
            let given = |side| given(&["thresholds", name, side]);
            let message = below(pair, bytes, given("warn"), given("crit"));
            fail(&["thresholds", name], message);
        }
    }

    let m = &config.matching;
    for (name, list) in [
        ("patterns", &m.patterns),
        ("exclude", &m.exclude),
        ("launchers", &m.launchers),
    ] {
        // An empty pattern is a substring of every command line: it would make every process
        // of the user MCP-like, and so a candidate for the orphan sweep.
        if list.iter().any(|item| item.trim().is_empty()) {
            fail(&["match", name], "entries must not be empty".into());
        }
    }

    if config.sessions.detached_ttl.is_some_and(|t| t.is_zero()) {
        fail(
            &["sessions", "detached_ttl"],
            "must be greater than 0 (leave it out to never close detached sessions)".into(),
        );
    }

    for (name, s) in &config.servers {
        let at = |key: &'static str| ["servers", name.as_str(), key];
        if !given(&at("command")) {
            fail(&["servers", name], "missing required key `command`".into());
        } else if s.command.trim().is_empty() {
            fail(&at("command"), "must not be empty".into());
        }
        if s.cwd.as_deref() == Some("") {
            let message = "must not be empty (leave it out for the default)";
            fail(&at("cwd"), message.into());
        }
        if s.max_rss == Some(0) {
            let message = "must be greater than 0 (leave it out for no limit)";
            fail(&at("max_rss"), message.into());
        }
        if s.idle_timeout.is_some_and(|t| t.is_zero()) {
            let message = "must be greater than 0 (leave it out to never stop an idle server)";
            fail(&at("idle_timeout"), message.into());
        }
        if !(1..=1000).contains(&s.max_instances) {
            fail(&at("max_instances"), "must be between 1 and 1000".into());
        }
        if s.max_message < 1024 {
            fail(&at("max_message"), "must be at least 1KB".into());
        }
    }

    let errors = problems.into_iter().map(|problem| {
        let raw: Vec<&str> = problem.path.iter().map(String::as_str).collect();
        let span = spans_of(root, &raw).map(|(_, value)| value);
        let key = raw.iter().fold(String::new(), |k, name| join_key(&k, name));
        ConfigError::at(text, path, span, Some(key), problem.message)
    });
    match errors.min_by_key(|e| (e.line, e.column)) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// "warn (30) must be below crit (4, the default)": says which side was left at its default,
/// since `{ warn = 30 }` alone fails against a default the user may not have in mind.
fn below(pair: Threshold, bytes: bool, warn_given: bool, crit_given: bool) -> String {
    let show = |n: u64, given: bool| {
        let n = if bytes { human_bytes(n) } else { n.to_string() };
        if given {
            n
        } else {
            format!("{n}, the default")
        }
    };
    format!(
        "warn ({}) must be below crit ({})",
        show(pair.warn, warn_given),
        show(pair.crit, crit_given)
    )
}
