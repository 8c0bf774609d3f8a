//! The command line as users meet it: help, completions and man pages kept fresh.

use crate::support::*;

#[test]
fn help_teaches() {
    let sb = Sandbox::new();
    let out = sb.ok(&["--help"]);
    for cmd in ["status", "ps", "clean", "tm", "hook", "config"] {
        assert!(out.contains(cmd), "--help lacks {cmd}: {out}");
    }
    let clean = sb.ok(&["clean", "--help"]);
    assert!(
        clean.contains("--dry-run") && clean.contains("Examples"),
        "{clean}"
    );
}

#[test]
fn config_path_shows_the_sandbox() {
    let sb = Sandbox::new();
    let j = sb.json(&["config", "path", "--json"]);
    assert_eq!(j["config"], sb.config.display().to_string());
    assert_eq!(j["state_dir"], sb.state.display().to_string());
    assert_eq!(j["runtime_dir"], sb.runtime.display().to_string());
}
