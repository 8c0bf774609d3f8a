//! The CLI's side of the handshake with the daemon: what runs (pid, mcpd version, control protocol,
//! the config stamp it loaded), and what the user should hear about it. A daemon of another mcpd
//! version gets a note saying which is older and how to restart it; one of another protocol gets a
//! clear error instead of a garbled exchange; a config file edited since the daemon loaded it is
//! either applied (`reload_changed`, for the commands about to act on servers) or pointed out.

use std::path::Path;
use std::time::Duration;

use crate::daemon::client;
use crate::daemon::protocol::{PROTOCOL_VERSION, ReloadReport, Request, Response};
use crate::daemon::stamp::{self, ConfigStamp};
use crate::paths::Paths;

/// What a daemon said of itself in answer to `ping`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    pub pid: i32,
    pub version: String,
    pub uptime_secs: u64,
    pub protocol: u32,
    pub config: Option<ConfigStamp>,
}

/// Pings the daemon; None when none answers within `timeout`.
pub fn hello(paths: &Paths, timeout: Duration) -> Option<Hello> {
    match client::request(paths, &Request::Ping, timeout) {
        Ok(Some(Response::Pong {
            pid,
            version,
            uptime_secs,
            protocol,
            config,
        })) => Some(Hello {
            pid,
            version,
            uptime_secs,
            protocol,
            config,
        }),
        _ => None,
    }
}

/// `1.2.3` (a pre-release suffix ignored) as numbers; None when it is not of that shape.
fn numbers(v: &str) -> Option<Vec<u64>> {
    let core = v.split(['-', '+']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect()
}

/// How to get a daemon of this mcpd.
pub const RESTART_HINT: &str =
    "`mcpd daemon restart` (or `mcpd daemon stop` then `mcpd daemon start`; its servers restart)";

/// Pure: the note about a daemon of another version, or the error for one of another protocol.
/// `Ok(None)`: same version.
pub fn compare(h: &Hello, mine: &str, my_protocol: u32) -> Result<Option<String>, String> {
    if h.protocol != my_protocol {
        return Err(format!(
            "the daemon (pid {}) runs mcpd {} with control protocol {}, and this mcpd {mine} speaks \
             protocol {my_protocol}: they cannot work together. Restart the daemon with this mcpd: {RESTART_HINT}",
            h.pid, h.version, h.protocol
        ));
    }
    if h.version == mine {
        return Ok(replaced(h.pid).then(|| {
            format!(
                "the daemon (pid {}) runs an mcpd binary that has been replaced since it started \
                 (an upgrade or rebuild of {mine}?): to run the new one, {RESTART_HINT}",
                h.pid
            )
        }));
    }
    let order = match (numbers(&h.version), numbers(mine)) {
        (Some(d), Some(m)) => Some(d.cmp(&m)),
        _ => None,
    };
    Ok(Some(match order {
        Some(std::cmp::Ordering::Less) => format!(
            "the daemon (pid {}) runs mcpd {}, older than this mcpd {mine}: to run {mine}, restart it: {RESTART_HINT}",
            h.pid, h.version
        ),
        Some(std::cmp::Ordering::Greater) => format!(
            "the daemon (pid {}) runs mcpd {}, newer than this mcpd {mine} (is an older mcpd first on \
             PATH?): use the newer mcpd, or run {mine} with {RESTART_HINT}",
            h.pid, h.version
        ),
        _ => format!(
            "the daemon (pid {}) runs mcpd {}, not this mcpd {mine}: to run this one, {RESTART_HINT}",
            h.pid, h.version
        ),
    }))
}

/// True when the daemon's executable was deleted or replaced on disk since it started (Linux says
/// so in the `/proc/PID/exe` link): same version number, other binary.
fn replaced(pid: i32) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .is_ok_and(|p| p.to_string_lossy().ends_with(" (deleted)"))
}

/// This CLI's mcpd version.
pub fn mine() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// True when the config file differs from what the daemon loaded (unknown for daemons that do not
/// say, or that run another config file: false).
pub fn config_changed(h: &Hello, config_file: &Path) -> bool {
    h.config
        .as_ref()
        .filter(|s| !other_file(s, config_file))
        .is_some_and(|s| stamp::changed(config_file, s))
}

/// True when the daemon runs another config file than `config_file`.
fn other_file(s: &ConfigStamp, config_file: &Path) -> bool {
    !s.path.is_empty() && Path::new(&s.path) != config_file
}

/// Asks the daemon to reload; the report, or the daemon's error (a bad config's location).
pub fn reload(paths: &Paths) -> anyhow::Result<ReloadReport> {
    // A reload may stop several servers, each up to its stop_grace.
    match client::request(paths, &Request::Reload, Duration::from_secs(120))? {
        Some(Response::Reloaded(r)) => Ok(r),
        Some(Response::Error { message }) if message.contains("unknown variant") => anyhow::bail!(
            "the daemon is older than `mcpd daemon reload` ({message}): restart it: {RESTART_HINT}"
        ),
        Some(Response::Error { message }) => anyhow::bail!("reload refused: {message}"),
        Some(other) => anyhow::bail!("unexpected answer from the daemon: {other:?}"),
        None => anyhow::bail!("the daemon stopped answering"),
    }
}

/// One line per kind of change: `changed: fs; removed: old; ...`.
pub fn summary(r: &ReloadReport) -> String {
    let mut parts = Vec::new();
    for (word, list) in [
        ("changed (restarted)", &r.changed),
        ("updated in place", &r.updated),
        ("removed (stopped)", &r.removed),
        ("added", &r.added),
        ("settings", &r.settings),
    ] {
        if !list.is_empty() {
            parts.push(format!("{word}: {}", list.join(", ")));
        }
    }
    if parts.is_empty() {
        parts.push("no server changed".into());
    }
    parts.join("; ")
}

/// Before a command acts on the daemon's servers or shows them: says when the daemon is of another
/// version (an error for another protocol), and when the config file changed since the daemon loaded
/// it either reloads it (`reload_changed`) or says how to. Only a daemon that answers at once is
/// asked; notes go to stderr.
pub fn check(paths: &Paths, reload_changed: bool) -> anyhow::Result<()> {
    check_with(paths, reload_changed, &mut |line| eprintln!("{line}"))
}

/// The lines [`check`] would print for a command that only shows the daemon's servers (nothing is
/// reloaded), for a caller that asks on another thread and prints them when it is ready.
pub fn notes(paths: &Paths) -> Vec<String> {
    let mut lines = Vec::new();
    // Without a reload nothing here fails: every problem is a line to show.
    let _ = check_with(paths, false, &mut |line| lines.push(line));
    lines
}

fn check_with(
    paths: &Paths,
    reload_changed: bool,
    say: &mut dyn FnMut(String),
) -> anyhow::Result<()> {
    if client::lock_holder(paths).is_none() {
        return Ok(());
    }
    let Some(h) = hello(paths, Duration::from_secs(1)) else {
        return Ok(());
    };
    match compare(&h, mine(), PROTOCOL_VERSION) {
        Err(e) if reload_changed => anyhow::bail!(e),
        // Showing what runs still works without the daemon's protocol.
        Err(e) => {
            say(format!("warning: {e}"));
            return Ok(());
        }
        Ok(Some(note)) => say(format!("note: {note}")),
        Ok(None) => {}
    }
    if let Some(s) = h
        .config
        .as_ref()
        .filter(|s| other_file(s, &paths.config_file))
    {
        say(format!(
            "note: the daemon (pid {}) runs the config {}, not {} (start it with the same \
             --config/MCPD_CONFIG, or `mcpd daemon restart` with this one)",
            h.pid,
            s.path,
            paths.config_file.display()
        ));
        return Ok(());
    }
    if !config_changed(&h, &paths.config_file) {
        return Ok(());
    }
    if reload_changed {
        let r = reload(paths)?;
        say(format!(
            "note: {} changed since the daemon loaded it: reloaded ({})",
            paths.config_file.display(),
            summary(&r)
        ));
        for e in &r.errors {
            say(format!("warning: {e}"));
        }
    } else {
        say(format!(
            "note: {} changed since the daemon loaded it; `mcpd daemon reload` applies it",
            paths.config_file.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(version: &str, protocol: u32) -> Hello {
        Hello {
            pid: i32::MAX,
            version: version.into(),
            uptime_secs: 0,
            protocol,
            config: None,
        }
    }

    #[test]
    fn versions_are_compared_and_protocols_must_match() {
        assert_eq!(compare(&h("0.3.0", 1), "0.3.0", 1), Ok(None));
        let older = compare(&h("0.2.9", 1), "0.3.0", 1).unwrap().unwrap();
        assert!(older.contains("older than this mcpd 0.3.0"), "{older}");
        assert!(older.contains("mcpd daemon restart"), "{older}");
        let newer = compare(&h("0.10.0", 1), "0.9.1", 1).unwrap().unwrap();
        assert!(newer.contains("newer than this mcpd 0.9.1"), "{newer}");
        let odd = compare(&h("dev", 1), "0.3.0", 1).unwrap().unwrap();
        assert!(odd.contains("not this mcpd"), "{odd}");
        let e = compare(&h("0.3.0", 2), "0.3.0", 1).unwrap_err();
        assert!(
            e.contains("protocol 2") && e.contains("mcpd daemon restart"),
            "{e}"
        );
    }

    #[test]
    fn summary_names_each_kind() {
        let r = ReloadReport {
            changed: vec!["fs".into()],
            removed: vec!["old".into(), "older".into()],
            ..Default::default()
        };
        assert_eq!(
            summary(&r),
            "changed (restarted): fs; removed (stopped): old, older"
        );
        assert_eq!(summary(&ReloadReport::default()), "no server changed");
    }
}
