//! `mcpd link` / `mcpd unlink` end to end on every agent format: fixture configs under a fake
//! HOME and project, the real binary, byte-for-byte comparison with the originals.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;

/// Copies a fixture tree (`tests/fixtures/NAME`) into the sandbox; returns its copy.
fn tree(sb: &Sandbox, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dst = sb.path().join(name);
    copy(&src, &dst);
    dst
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn mcpd_in(sb: &Sandbox, root: &Path, args: &[&str]) -> Output {
    sb.mcpd()
        .env("HOME", root.join("home"))
        .env_remove("CODEX_HOME")
        .current_dir(root.join("project"))
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn ok_in(sb: &Sandbox, root: &Path, args: &[&str]) -> String {
    let out = mcpd_in(sb, root, args);
    assert!(
        out.status.success(),
        "mcpd {args:?}: {}\n{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    text(&out.stdout)
}

#[test]
fn link_then_unlink_restores_every_format_byte_for_byte() {
    for fixture in ["import", "agents"] {
        let sb = Sandbox::new();
        let root = tree(&sb, fixture);
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture);
        ok_in(&sb, &root, &["import"]);

        // A dry run shows a diff and changes nothing.
        let diff = ok_in(&sb, &root, &["link", "all", "--project", "--dry-run"]);
        assert!(diff.contains("+++ ") && diff.contains("connect"), "{diff}");
        assert_eq!(files(&root), files(&src), "dry run wrote files");

        let out = ok_in(&sb, &root, &["link", "all", "--project", "--json"]);
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut changed = 0;
        for r in report.as_array().unwrap() {
            assert!(r.get("error").is_none(), "{r:#}");
            if r["changed"] == true {
                changed += 1;
                let entries = r["entries"].as_array().unwrap();
                assert!(entries.iter().any(|e| e["server"].is_string()), "{r:#}");
            }
        }
        let linked_files = files(&root);
        let backups: Vec<_> = linked_files
            .iter()
            .filter(|p| p.to_string_lossy().ends_with(".mcpd-backup"))
            .collect();
        assert_eq!(backups.len(), changed, "{linked_files:?}");
        assert!(changed >= 4, "{report:#}");
        // What link wrote is read back as servers that run `mcpd connect`, and a second
        // link changes nothing.
        let again = ok_in(&sb, &root, &["link", "all", "--project", "--json"]);
        assert!(!again.contains("\"changed\": true"), "{again}");
        for b in &backups {
            let linked = root.join(b.to_string_lossy().trim_end_matches(".mcpd-backup"));
            let t = std::fs::read_to_string(&linked).unwrap();
            assert!(t.contains("connect"), "{}: {t}", linked.display());
        }

        let out = ok_in(&sb, &root, &["unlink", "all"]);
        assert!(out.contains("restored"), "{out}");
        assert_eq!(files(&root), files(&src), "backups left behind");
        for rel in files(&src) {
            assert_eq!(
                std::fs::read(root.join(&rel)).unwrap(),
                std::fs::read(src.join(&rel)).unwrap(),
                "{} not restored byte for byte",
                rel.display()
            );
        }
    }
}

#[test]
fn unlink_of_a_file_changed_since_link_puts_back_only_the_commands() {
    let sb = Sandbox::new();
    let root = tree(&sb, "agents");
    ok_in(&sb, &root, &["import"]);
    ok_in(&sb, &root, &["link", "kiro"]);
    // The agent (or the user) changes its file after the link.
    let file = root.join("home/.kiro/settings/mcp.json");
    let edit = |t: &str| t.replace("\"fetch\"]", "\"fetch\", \"mine\"]");
    let edited = edit(&std::fs::read_to_string(&file).unwrap());
    std::fs::write(&file, &edited).unwrap();
    let out = ok_in(&sb, &root, &["unlink", "kiro"]);
    assert!(out.contains("changes are kept"), "{out}");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/agents/home/.kiro/settings/mcp.json");
    let original = std::fs::read_to_string(&src).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edit(&original));
    assert!(
        !root
            .join("home/.kiro/settings/mcp.json.mcpd-backup")
            .exists()
    );
}

#[test]
fn unlink_refuses_what_it_cannot_put_back_in_place_unless_forced() {
    let sb = Sandbox::new();
    let root = tree(&sb, "agents");
    ok_in(&sb, &root, &["import"]);
    ok_in(&sb, &root, &["link", "goose"]);
    let file = root.join("home/.config/goose/config.yaml");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("GOOSE_MODEL: claude-sonnet-4", "GOOSE_MODEL: other");
    std::fs::write(&file, &edited).unwrap();
    let out = mcpd_in(&sb, &root, &["unlink", "goose"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--force"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    ok_in(&sb, &root, &["unlink", "goose", "--force"]);
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/agents/home/.config/goose/config.yaml");
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(src).unwrap());
}

#[test]
fn link_leaves_servers_mcpd_does_not_know_and_project_files_alone() {
    let sb = Sandbox::new();
    let root = tree(&sb, "agents");
    let out = ok_in(&sb, &root, &["link", "all"]);
    assert!(out.contains("run `mcpd import`"), "{out}");
    assert!(out.contains("--project"), "{out}");
    let bad = mcpd_in(&sb, &root, &["link", "nosuch"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("unknown agent"),
        "{}",
        text(&bad.stderr)
    );
}
