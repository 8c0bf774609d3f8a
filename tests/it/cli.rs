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

#[test]
fn generated_completions_and_man_pages_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("MCPD_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (rel, want) in mcpd::generate::files().unwrap() {
        let path = root.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&want[..]) {
            stale.push(rel.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}\nregenerate with: MCPD_UPDATE_GENERATED=1 cargo test --test it generated_completions_and_man_pages_are_fresh"
    );
    // What `mcpd completions` prints is what is committed.
    let sb = Sandbox::new();
    let bash = sb.ok(&["completions", "bash"]);
    assert_eq!(
        bash,
        std::fs::read_to_string(root.join("completions/mcpd.bash")).unwrap()
    );
}

#[test]
fn init_writes_a_config_that_checks_and_refuses_to_overwrite() {
    let sb = Sandbox::new();
    std::fs::remove_file(&sb.config).unwrap();
    let out = sb.ok(&["init"]);
    assert!(out.contains("wrote"), "{out}");
    let text = std::fs::read_to_string(&sb.config).unwrap();
    assert!(
        text.contains("stop_grace") && text.contains("[thresholds]"),
        "{text}"
    );
    assert!(sb.ok(&["config", "check"]).contains("ok"));
    let again = sb.run(&["init"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text_of(&again.stderr).contains("--force"));
    sb.ok(&["init", "--force"]);
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
