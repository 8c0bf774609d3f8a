//! `mcpd import` end to end: fixture agent configs under a fake HOME and project folder, the real
//! binary, and `mcpd config check` as the judge of what it writes.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;

const CONFIG: &str =
    "# my mcpd config\n[daemon]\norphan_min_age = \"0s\"   # tests\nstop_grace = \"1s\"\n";

/// Copies `tests/fixtures/import` into the sandbox; returns (home, project).
fn fixtures(sb: &Sandbox) -> (PathBuf, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let dst = sb.path().join("fixtures");
    copy_dir(&src, &dst);
    (dst.join("home"), dst.join("project"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// `mcpd import ARGS` with HOME and the current folder pointed at the fixtures.
fn import(sb: &Sandbox, home: &Path, cwd: &Path, args: &[&str]) -> Output {
    sb.mcpd()
        .env("HOME", home)
        .env_remove("CODEX_HOME")
        .current_dir(cwd)
        .arg("import")
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn import_json(sb: &Sandbox, home: &Path, cwd: &Path, args: &[&str]) -> serde_json::Value {
    let out = import(sb, home, cwd, args);
    assert!(
        out.status.success(),
        "import {args:?}: {}\n{}",
        text(&out.stderr),
        text(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn names(v: &serde_json::Value) -> Vec<String> {
    let items = v.as_array().unwrap().iter();
    items
        .map(|x| {
            x.as_str()
                .map_or_else(|| x["name"].as_str().unwrap().to_owned(), str::to_owned)
        })
        .collect()
}

const ADDED: [&str; 7] = [
    "filesystem",
    "sqlite",
    "filesystem-project",
    "git",
    "sequential-thinking",
    "playwright",
    "memory",
];

#[test]
fn dry_run_shows_everything_and_changes_nothing() {
    let sb = Sandbox::with_config(CONFIG);
    let (home, project) = fixtures(&sb);
    let j = import_json(&sb, &home, &project, &["--dry-run", "--json"]);
    assert_eq!(names(&j["added"]), ADDED);
    assert_eq!(names(&j["remote"]), ["docs", "remote-tools", "linear"]);
    assert!(j["skipped"].as_array().unwrap().is_empty(), "{j:#}");
    assert_eq!(j["dry_run"], true);
    assert!(j["clashes"].as_array().unwrap().is_empty());
    assert_eq!(std::fs::read_to_string(&sb.config).unwrap(), CONFIG);

    let out = import(&sb, &home, &project, &["--dry-run"]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(shown.contains("[servers.sqlite]"), "{shown}");
    assert!(shown.contains("${DB_PATH:-app.db}"), "{shown}");
    assert!(
        shown.contains("docs: remote server (http https://docs.example.com/mcp)"),
        "{shown}"
    );
    assert_eq!(std::fs::read_to_string(&sb.config).unwrap(), CONFIG);
}

#[test]
fn import_writes_a_valid_config_and_a_second_import_reports_clashes() {
    let sb = Sandbox::with_config(CONFIG);
    let (home, project) = fixtures(&sb);
    let out = import(&sb, &home, &project, &[]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        shown.contains(r#""args": ["connect", "filesystem"]"#),
        "{shown}"
    );
    assert!(shown.contains("[mcp_servers.memory]"), "{shown}");
    let written = std::fs::read_to_string(&sb.config).unwrap();
    assert!(written.starts_with(CONFIG), "comments lost:\n{written}");
    let check = sb.ok(&["config", "check"]);
    assert!(check.contains("ok (7 servers configured)"), "{check}");

    let again = import_json(&sb, &home, &project, &["--json"]);
    assert!(again["added"].as_array().unwrap().is_empty(), "{again:#}");
    assert_eq!(names(&again["clashes"]), ADDED, "{again:#}");
    assert_eq!(std::fs::read_to_string(&sb.config).unwrap(), written);

    let forced = import_json(&sb, &home, &project, &["codex", "--force", "--json"]);
    assert_eq!(names(&forced["replaced"]), ["memory"]);
    sb.ok(&["config", "check"]);
}

#[test]
fn a_path_is_read_by_its_content_with_a_scope() {
    let sb = Sandbox::with_config(CONFIG);
    let (home, project) = fixtures(&sb);
    let j = import_json(
        &sb,
        &home,
        &project,
        &[".vscode/mcp.json", "--scope", "session", "--json"],
    );
    assert_eq!(names(&j["added"]), ["playwright"]);
    let written = std::fs::read_to_string(&sb.config).unwrap();
    assert!(written.contains("scope = \"session\""), "{written}");
    sb.ok(&["config", "check"]);
}

#[test]
fn malformed_source_is_an_error_naming_file_and_line() {
    let sb = Sandbox::with_config(CONFIG);
    let (home, project) = fixtures(&sb);
    let out = import(&sb, &home, &project, &["../broken.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("broken.json:3:"), "{err}");
    assert_eq!(std::fs::read_to_string(&sb.config).unwrap(), CONFIG);
    let missing = import(&sb, &home, &project, &["nope.json"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no such file"));
}

#[test]
fn an_invalid_config_is_refused_and_left_alone() {
    let bad = "[servers.x]\ncommand = \"x\"\nbogus = 1\n";
    let sb = Sandbox::with_config(bad);
    let (home, project) = fixtures(&sb);
    let out = import(&sb, &home, &project, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("servers.x.bogus"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&sb.config).unwrap(), bad);
}

#[test]
fn a_missing_config_and_its_folder_are_created() {
    let sb = Sandbox::new();
    let (home, project) = fixtures(&sb);
    let config = sb.path().join("new/dir/config.toml");
    let out = sb
        .mcpd()
        .env("MCPD_CONFIG", &config)
        .env("HOME", &home)
        .env_remove("CODEX_HOME")
        .current_dir(&project)
        .args(["import", "codex"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.contains("[servers.memory]"), "{written}");
    let leftovers: Vec<_> = std::fs::read_dir(config.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["config.toml"], "temp files left behind");
}

/// Copies `tests/fixtures/agents` (one config per agent, written from each agent's documented
/// format) into the sandbox; returns (home, project).
fn agent_fixtures(sb: &Sandbox) -> (PathBuf, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agents");
    let dst = sb.path().join("agents");
    copy_dir(&src, &dst);
    (dst.join("home"), dst.join("project"))
}

#[test]
fn import_with_no_argument_finds_every_agent_safely() {
    let sb = Sandbox::with_config(CONFIG);
    let (home, project) = agent_fixtures(&sb);
    let j = import_json(&sb, &home, &project, &["--json"]);
    let added = names(&j["added"]);
    let want = [
        "cursor-memory",
        "vs-perplexity",
        "gemini-fs",
        "gemini-project",
        "oc-everything",
        "oc-time",
        "zed-fetch",
        "zed-git",
        "ws-github",
        "cline-weather",
        "roo-puppeteer",
        "roo-project",
        "kiro-fetch",
        "amp-playwright",
        "goose-github",
        "continue-sqlite",
        "continue-browser",
        "copilot-fs",
    ];
    assert_eq!(added, want, "{j:#}");
    let remote = names(&j["remote"]);
    for r in [
        "gemini-remote",
        "oc-remote",
        "zed-remote",
        "ws-remote",
        "copilot-remote",
    ] {
        assert!(
            remote.contains(&r.to_owned()),
            "{r} not reported remote: {j:#}"
        );
    }
    let skipped = names(&j["skipped"]);
    for s in ["oc-off", "cline-off", "developer"] {
        assert!(skipped.contains(&s.to_owned()), "{s} not skipped: {j:#}");
    }
    let fill_in = j["fill_in"].to_string();
    assert!(fill_in.contains("PERPLEXITY_KEY"), "{fill_in}");
    assert!(fill_in.contains("SQLITE_KEY"), "{fill_in}");

    let written = std::fs::read_to_string(&sb.config).unwrap();
    let check = sb.ok(&["config", "check"]);
    assert!(
        check.contains(&format!("ok ({} servers configured)", want.len())),
        "{check}"
    );
    // Nothing eager, nothing passed literally.
    assert!(!written.contains("eager"), "{written}");
    assert_eq!(
        written.matches("start = \"on-connect\"").count(),
        want.len(),
        "{written}"
    );
    let code: String = written
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    for literal in [
        "${input:",
        "${userHome}",
        "${workspaceFolder}",
        "{env:",
        "${{",
        "${env:",
    ] {
        assert!(!code.contains(literal), "{literal} passed on:\n{written}");
    }
    let home_s = home.display().to_string();
    let project_s = project.display().to_string();
    assert!(
        code.contains(&format!(
            "MEMORY_FILE_PATH = \"{home_s}/.cursor/memory.json\""
        )),
        "{written}"
    );
    assert!(
        code.contains(&format!("\"--root\", \"{project_s}\"")),
        "{written}"
    );
    assert!(
        code.contains("EVERYTHING_TOKEN = \"${MY_TOKEN}\""),
        "{written}"
    );
    assert!(
        code.contains("GITHUB_PERSONAL_ACCESS_TOKEN = \"${GITHUB_TOKEN}\""),
        "{written}"
    );
    assert!(
        code.contains("API_KEY = \"${GEMINI_MCP_KEY}\""),
        "{written}"
    );
    assert!(code.contains("\"${HOME}/src\""), "{written}");
    assert!(
        written.contains("# FILL IN: vs-perplexity: set PERPLEXITY_KEY"),
        "{written}"
    );
    assert!(
        j["notes"]
            .to_string()
            .contains("GITHUB_PERSONAL_ACCESS_TOKEN"),
        "goose env_keys not mentioned: {j:#}"
    );
}

#[test]
fn session_scope_leaves_cwd_to_the_session() {
    let sb = Sandbox::with_config(CONFIG);
    let (home, project) = agent_fixtures(&sb);
    import_json(
        &sb,
        &home,
        &project,
        &[".vscode/mcp.json", "--scope", "session", "--json"],
    );
    let written = std::fs::read_to_string(&sb.config).unwrap();
    let table = &written[written.find("[servers.vs-perplexity]").unwrap()..];
    assert!(!table.contains("cwd"), "{written}");
    assert!(table.contains("\"--root\", \".\""), "{written}");
    assert!(table.contains("scope = \"session\""), "{written}");
}
