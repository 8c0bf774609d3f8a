//! `mcpd daemon reload [--json]`: the daemon rereads its config file and applies the difference
//! (changed servers restarted, removed ones stopped, added eager global ones started, the rest left
//! running; thresholds and intervals updated). A bad config is refused by the daemon with its file,
//! line and column, and the running config is kept. Exit 0 when applied, 1 when refused or when
//! an action failed.

use std::time::Duration;

use super::handshake;
use crate::daemon::protocol::{PROTOCOL_VERSION, ReloadReport};
use crate::paths::Paths;

pub fn run(paths: &Paths, json: bool) -> anyhow::Result<i32> {
    let Some(h) = handshake::hello(paths, Duration::from_secs(3)) else {
        if json {
            println!(
                "{}",
                serde_json::json!({"running": false, "reloaded": false})
            );
        } else {
            println!(
                "the daemon is not running: nothing to reload ({} is read when it starts)",
                paths.config_file.display()
            );
        }
        return Ok(0);
    };
    if let Some(note) = handshake::compare(&h, handshake::mine(), PROTOCOL_VERSION)
        .map_err(|e| anyhow::anyhow!(e))?
    {
        eprintln!("note: {note}");
    }
    let r = match handshake::reload(paths) {
        Ok(r) => r,
        Err(e) if json => {
            println!(
                "{}",
                serde_json::json!({"running": true, "reloaded": false, "error": format!("{e:#}")})
            );
            return Ok(1);
        }
        Err(e) => return Err(e),
    };
    if json {
        let mut v = serde_json::to_value(&r)?;
        v["running"] = true.into();
        v["reloaded"] = true.into();
        println!("{v}");
    } else {
        print!("{}", render(&r));
    }
    for e in &r.errors {
        eprintln!("error: {e}");
    }
    Ok(if r.errors.is_empty() { 0 } else { 1 })
}

/// The text report: what changed, then what was done.
pub fn render(r: &ReloadReport) -> String {
    let mut out = format!("reloaded {}\n", r.path);
    let none = String::from("-");
    for (word, list) in [
        ("changed", &r.changed),
        ("updated", &r.updated),
        ("removed", &r.removed),
        ("added", &r.added),
        ("unchanged", &r.unchanged),
        ("settings", &r.settings),
    ] {
        let names = if list.is_empty() {
            none.clone()
        } else {
            list.join(", ")
        };
        out.push_str(&format!("  {word:<10} {names}\n"));
    }
    for a in &r.actions {
        out.push_str(&format!("  - {a}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn render_lists_every_kind() {
        let r = crate::daemon::protocol::ReloadReport {
            path: "/c.toml".into(),
            changed: vec!["fs".into()],
            unchanged: vec!["a".into(), "b".into()],
            actions: vec!["restarted fs (pid 9)".into()],
            ..Default::default()
        };
        let text = super::render(&r);
        assert!(text.starts_with("reloaded /c.toml\n"), "{text}");
        assert!(text.contains("  changed    fs\n"), "{text}");
        assert!(text.contains("  removed    -\n"), "{text}");
        assert!(text.contains("  unchanged  a, b\n"), "{text}");
        assert!(text.contains("  - restarted fs (pid 9)\n"), "{text}");
    }
}
