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

/// Every subcommand path: `["daemon", "start"]`...
fn subcommand_paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let mut path = prefix.clone();
        path.push(sub.get_name().to_owned());
        out.push(path.clone());
        subcommand_paths(sub, path, out);
    }
}

#[test]
fn every_subcommand_help_has_examples() {
    let sb = Sandbox::new();
    let mut paths = Vec::new();
    subcommand_paths(&mcpd::cli::command(), Vec::new(), &mut paths);
    assert!(paths.len() > 25, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = sb.ok(&args);
        assert!(
            out.contains("Examples"),
            "mcpd {path:?} --help has no examples:\n{out}"
        );
    }
}

#[test]
fn man_pages_are_correct_and_installable() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (rel, bytes) in mcpd::generate::man_files().unwrap() {
        let page = String::from_utf8(bytes).unwrap();
        let name = rel.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            !page.contains("mcpd\\-help") && !page.contains("mcpd-help"),
            "{name}"
        );
        assert!(!page.contains(".SH EXTRA"), "{name}");
        assert!(page.contains(".SH EXAMPLES\n"), "{name} has no EXAMPLES");
        let name_line = page
            .lines()
            .skip_while(|l| *l != ".SH NAME")
            .nth(1)
            .unwrap();
        let shown = name.replace('-', "\\-");
        assert!(
            name_line.starts_with(&format!("{shown} \\- ")),
            "{name_line}"
        );
        assert!(!name_line.contains("mcpd: "), "{name_line}");
    }
    let sb = Sandbox::new();
    let dir = sb.path().join("man1");
    let out = sb.ok(&["man", "--install", dir.to_str().unwrap()]);
    assert!(out.contains("installed"), "{out}");
    for e in std::fs::read_dir(root.join("man")).unwrap() {
        let e = e.unwrap();
        assert_eq!(
            std::fs::read(dir.join(e.file_name())).unwrap(),
            std::fs::read(e.path()).unwrap(),
            "{:?}",
            e.file_name()
        );
    }
    assert_eq!(
        sb.ok(&["man"]),
        std::fs::read_to_string(root.join("man/mcpd.1")).unwrap()
    );
}
