//! Merging into an existing config: comments kept, clashes, force, validation.

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::DocumentMut;

use super::formats::Format;
use super::merge::{IMPORT_MARK, MergeOptions, Merged, merge};
use super::{Found, Kind};
use crate::config::{Config, Scope};

fn server(name: &str, command: &str, args: &[&str]) -> Found {
    Found {
        name: name.into(),
        origin: format!("~/.claude.json: mcpServers.{name}"),
        kind: Kind::Stdio {
            command: command.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: BTreeMap::new(),
            cwd: None,
        },
        notes: Vec::new(),
        format: Format::ClaudeCode,
        project_dir: None,
        path: Vec::new(),
    }
}

fn run(existing: &str, found: &[Found], opts: MergeOptions) -> Merged {
    let doc: DocumentMut = existing.parse().unwrap();
    let m = merge(doc, found, &opts).unwrap();
    // Whatever a merge produces must be a valid mcpd config.
    Config::parse(&m.text, Path::new("/c.toml")).unwrap_or_else(|e| panic!("{e}\n{}", m.text));
    m
}

const EXISTING: &str = r#"# My mcpd config.
[daemon]
sweep_interval = "30s"   # keep this comment

# the filesystem server I use everywhere
[servers.fs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "~"]

# end of file comment
"#;

#[test]
fn adding_keeps_comments_and_layout() {
    let mut gh = server(
        "github",
        "npx",
        &["-y", "@modelcontextprotocol/server-github"],
    );
    if let Kind::Stdio { env, cwd, .. } = &mut gh.kind {
        env.insert("GITHUB_TOKEN".into(), "${GITHUB_TOKEN:-x}".into());
        *cwd = Some("/home/u/api".into());
    }
    let m = run(EXISTING, &[gh], MergeOptions::default());
    assert!(
        m.text.starts_with(EXISTING),
        "existing text changed:\n{}",
        m.text
    );
    let added = &m.text[EXISTING.len()..];
    assert_eq!(
        added,
        format!(
            "\n{IMPORT_MARK}~/.claude.json: mcpServers.github\n[servers.github]\ncommand = \"npx\"\n\
             args = [\"-y\", \"@modelcontextprotocol/server-github\"]\n\
             env = {{ GITHUB_TOKEN = \"${{GITHUB_TOKEN:-x}}\" }}\ncwd = \"/home/u/api\"\n\
             start = \"on-connect\"\n"
        )
    );
    assert_eq!(m.report.added, ["github"]);
    assert!(m.added_toml.starts_with(IMPORT_MARK), "{}", m.added_toml);
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(
        cfg.servers["github"].env["GITHUB_TOKEN"],
        "${GITHUB_TOKEN:-x}"
    );
}

#[test]
fn new_tables_go_after_later_sections() {
    let existing = "[servers.a]\ncommand = \"a\"\n\n[daemon]\nstop_grace = \"3s\"\n";
    let m = run(existing, &[server("b", "b", &[])], MergeOptions::default());
    assert!(m.text.starts_with(existing), "{}", m.text);
    assert!(
        m.text
            .ends_with("[servers.b]\ncommand = \"b\"\nstart = \"on-connect\"\n"),
        "{}",
        m.text
    );
}

#[test]
fn an_all_comment_file_keeps_its_comments_first() {
    let existing = "# mcpd configuration.\n# [daemon]\n# stop_grace = \"3s\"\n";
    let m = run(existing, &[server("a", "a", &[])], MergeOptions::default());
    assert!(m.text.starts_with(existing), "{}", m.text);
    assert!(
        m.text
            .ends_with("[servers.a]\ncommand = \"a\"\nstart = \"on-connect\"\n"),
        "{}",
        m.text
    );
}

#[test]
fn an_empty_config_gets_servers_without_a_bare_servers_header() {
    let m = run("", &[server("a", "a", &["x"])], MergeOptions::default());
    assert!(!m.text.contains("[servers]\n"), "{}", m.text);
    assert!(
        m.text
            .contains("[servers.a]\ncommand = \"a\"\nargs = [\"x\"]\n")
    );
    assert_eq!(m.added_toml, m.text.trim_start());
}

#[test]
fn a_clash_is_reported_and_left_alone() {
    let m = run(
        EXISTING,
        &[server("fs", "other", &[])],
        MergeOptions::default(),
    );
    assert_eq!(m.text, EXISTING);
    assert_eq!(m.report.clashes, ["fs"]);
    assert!(m.report.added.is_empty() && m.added_toml.is_empty());
}

#[test]
fn force_replaces_in_place_and_keeps_the_users_comment() {
    let opts = MergeOptions {
        home: None,
        force: true,
        scope: None,
    };
    let m = run(EXISTING, &[server("fs", "uvx", &["fs-mcp"])], opts.clone());
    assert_eq!(m.report.added, ["fs"]);
    assert_eq!(m.report.replaced, ["fs"]);
    assert!(m.report.clashes.is_empty());
    let want = format!(
        "# the filesystem server I use everywhere\n{IMPORT_MARK}~/.claude.json: mcpServers.fs\n\
         [servers.fs]\ncommand = \"uvx\"\nargs = [\"fs-mcp\"]\nstart = \"on-connect\"\n\n\
         # end of file comment\n"
    );
    assert!(m.text.ends_with(&want), "{}", m.text);
    assert!(
        m.text
            .contains("sweep_interval = \"30s\"   # keep this comment")
    );
    assert!(!m.text.contains("server-filesystem"), "{}", m.text);
    // Forcing the same import again does not pile up origin comments.
    let again = run(&m.text, &[server("fs", "uvx", &["fs-mcp"])], opts);
    assert_eq!(again.text, m.text);
}

#[test]
fn scope_is_written_when_asked() {
    let opts = MergeOptions {
        home: None,
        scope: Some(Scope::Session),
        force: false,
    };
    let m = run("", &[server("a", "a", &[])], opts);
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(cfg.servers["a"].scope, Scope::Session);
}

#[test]
fn remote_unusable_and_duplicate_servers_are_reported() {
    let mut remote = server("docs", "", &[]);
    remote.kind = Kind::Remote {
        url: "https://x/mcp".into(),
        transport: "sse".into(),
    };
    let mut bad = server("bad", "", &[]);
    bad.kind = Kind::Unusable {
        reason: "no `command`".into(),
    };
    let mut same = server("a", "a", &[]);
    same.origin = "/p/.mcp.json: mcpServers.a".into();
    let mut other = server("a", "z", &[]);
    other.origin = "/q/.mcp.json: mcpServers.a".into();
    let found = [server("a", "a", &[]), remote, bad, same, other];
    let m = run("", &found, MergeOptions::default());
    // A different server of the same name is imported too, renamed, with a note.
    assert_eq!(m.report.added, ["a", "a-claude"]);
    assert!(
        m.report
            .notes
            .iter()
            .any(|n| n.starts_with("a-claude: imported as a-claude")),
        "{:?}",
        m.report.notes
    );
    assert_eq!(m.report.remote.len(), 1);
    assert_eq!(m.report.remote[0].name, "docs");
    assert!(m.report.remote[0].reason.contains("sse https://x/mcp"));
    let reasons: Vec<&str> = m.report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons[0].starts_with("no `command` (in ~/.claude.json"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("same server as ~/.claude.json"),
        "{reasons:?}"
    );
    assert_eq!(reasons.len(), 2, "{reasons:?}");
}

#[test]
fn same_named_servers_of_a_user_and_a_project_are_both_imported() {
    let user = server("fs", "npx", &["a"]);
    let mut project = server("fs", "npx", &["b"]);
    project.origin = "/home/u/api/.mcp.json: mcpServers.fs".into();
    project.project_dir = Some("/home/u/api".into());
    let m = run("", &[user, project], MergeOptions::default());
    assert_eq!(m.report.added, ["fs", "fs-api"]);
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(cfg.servers["fs-api"].args, ["b"]);
    assert_eq!(
        cfg.servers["fs-api"].cwd.as_deref(),
        Some("/home/u/api"),
        "project servers run in their project"
    );
}

#[test]
fn imported_servers_start_on_connect_and_session_scope_leaves_cwd() {
    let mut s = server("fs", "npx", &["${workspaceFolder}/x"]);
    s.project_dir = Some("/home/u/api".into());
    let opts = MergeOptions {
        scope: Some(Scope::Session),
        ..MergeOptions::default()
    };
    let m = run("", &[s.clone()], opts);
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(cfg.servers["fs"].start, crate::config::StartMode::OnConnect);
    assert_eq!(cfg.servers["fs"].cwd, None, "{}", m.text);
    assert_eq!(cfg.servers["fs"].args, ["./x"]);
    let m = run("", &[s], MergeOptions::default());
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(cfg.servers["fs"].args, ["/home/u/api/x"]);
    assert!(!m.text.contains("eager"));
}

#[test]
fn variables_only_the_user_knows_are_flagged_not_passed() {
    let mut s = server("px", "npx", &["perplexity-mcp"]);
    s.format = Format::VsCode;
    if let Kind::Stdio { env, .. } = &mut s.kind {
        env.insert("KEY".into(), "${input:perplexity-key}".into());
        env.insert("MEM".into(), "${userHome}/.cursor/memory.json".into());
    }
    let opts = MergeOptions {
        home: Some("/home/u".into()),
        ..MergeOptions::default()
    };
    let m = run("", &[s], opts);
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(cfg.servers["px"].env["KEY"], "${PERPLEXITY_KEY}");
    assert_eq!(cfg.servers["px"].env["MEM"], "/home/u/.cursor/memory.json");
    assert!(
        !m.text.contains("input:") || m.text.contains("# FILL IN"),
        "{}",
        m.text
    );
    assert_eq!(m.report.fill_in.len(), 1, "{:?}", m.report.fill_in);
    assert!(m.report.fill_in[0].contains("PERPLEXITY_KEY"));
    assert!(
        m.text.contains("# FILL IN: px: set PERPLEXITY_KEY"),
        "{}",
        m.text
    );
}

#[test]
fn notes_of_added_servers_are_reported_by_name() {
    let mut f = server("my-server", "x", &[]);
    f.notes.push("renamed from \"my server\"".into());
    let m = run("", &[f], MergeOptions::default());
    assert_eq!(m.report.notes, ["my-server: renamed from \"my server\""]);
}

#[test]
fn odd_strings_and_env_names_are_quoted_validly() {
    let mut f = server("q", "C:\\tools\\srv \"x\"", &["a'b", "line\nbreak"]);
    if let Kind::Stdio { env, .. } = &mut f.kind {
        env.insert("my.var".into(), "1".into());
    }
    let m = run("", &[f], MergeOptions::default());
    let cfg = Config::parse(&m.text, Path::new("/c.toml")).unwrap();
    assert_eq!(cfg.servers["q"].command, "C:\\tools\\srv \"x\"");
    assert_eq!(cfg.servers["q"].args[1], "line\nbreak");
    assert_eq!(cfg.servers["q"].env["my.var"], "1");
}

#[test]
fn inline_servers_cannot_be_merged_into() {
    let doc: DocumentMut = "servers = { a = { command = \"a\" } }\n".parse().unwrap();
    let e = merge(doc, &[server("b", "b", &[])], &MergeOptions::default()).unwrap_err();
    assert!(e.to_string().contains("inline table"), "{e}");
}

/// Found by fuzzing (fuzz target `import`, 2026-11-27): a variable written with a control
/// character (here DEL) went verbatim into the `# FILL IN` comment, and TOML comments cannot
/// hold control characters, so the imported config did not load.
#[test]
fn a_control_character_in_a_variable_does_not_break_the_fill_in_comment() {
    let text = "{\n  \"mcpServers\": {\n    \"roo-project\": {\n      \"type\": \"stdio\",\n      \
                \"command\": \"node\",\n      \"args\": [\"tools/mcp.js\"],\n      \
                \"env\": { \"ROO_KEY\": \"${env:ROO\u{7f}KEY}\" }\n    }\n  }\n}\n";
    let (_, found) =
        super::parse_source(text, "/p/agent-config", Some(Format::CopilotCli), None).unwrap();
    let opts = MergeOptions {
        home: Some("/home/u".into()),
        ..MergeOptions::default()
    };
    let m = merge(DocumentMut::new(), &found, &opts).unwrap();
    assert!(m.text.contains("# FILL IN: roo-project:"), "{}", m.text);
    let cfg = Config::parse(&m.text, Path::new("/p/mcpd.toml")).unwrap();
    assert!(cfg.servers.contains_key("roo-project"));
}
