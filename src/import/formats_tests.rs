//! Each source format, read from strings.

use std::collections::BTreeMap;

use super::formats::{Format, ParseError, parse_source};
use super::{Found, Kind};

fn parse(text: &str, file: &str, hint: Option<Format>) -> (Format, Vec<Found>) {
    parse_source(text, file, hint, None).unwrap_or_else(|e| panic!("{e}"))
}

fn stdio(f: &Found) -> (&str, &[String], &BTreeMap<String, String>, Option<&str>) {
    match &f.kind {
        Kind::Stdio {
            command,
            args,
            env,
            cwd,
        } => (command, args, env, cwd.as_deref()),
        other => panic!("{}: not stdio: {other:?}", f.name),
    }
}

fn reason(f: &Found) -> &str {
    match &f.kind {
        Kind::Unusable { reason } => reason,
        other => panic!("{}: not unusable: {other:?}", f.name),
    }
}

const CLAUDE_JSON: &str = r#"{
  "numStartups": 12,
  "mcpServers": {
    "fs": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "~/src"], "env": {}}
  },
  "projects": {
    "/home/u/api": {
      "allowedTools": [],
      "mcpServers": {
        "db": {"command": "uvx", "args": ["mcp-server-sqlite", "--db", "app.db"], "env": {"LOG": "warn"}},
        "docs": {"type": "http", "url": "https://docs.example.com/mcp", "headers": {"X": "y"}}
      }
    },
    "/home/u/empty": {"mcpServers": {}}
  }
}"#;

#[test]
fn claude_json_top_level_and_per_project_servers() {
    let (format, found) = parse(CLAUDE_JSON, "~/.claude.json", Some(Format::ClaudeCode));
    assert_eq!(format, Format::ClaudeCode);
    let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["fs", "db", "docs"]);
    assert_eq!(found[0].origin, "~/.claude.json: mcpServers.fs");
    let (command, args, _, cwd) = stdio(&found[0]);
    assert_eq!(command, "npx");
    assert_eq!(args[2], "~/src");
    assert_eq!(cwd, None, "top-level servers get no cwd");
    assert!(found[0].notes.is_empty(), "{:?}", found[0].notes);

    assert_eq!(
        found[1].origin,
        r#"~/.claude.json: projects["/home/u/api"].mcpServers.db"#
    );
    let (command, args, env, cwd) = stdio(&found[1]);
    assert_eq!((command, args.len()), ("uvx", 3));
    assert_eq!(env["LOG"], "warn");
    assert_eq!(cwd, None, "the cwd is decided at merge (scope)");
    assert_eq!(found[1].project_dir.as_deref(), Some("/home/u/api"));

    assert_eq!(
        found[2].kind,
        Kind::Remote {
            url: "https://docs.example.com/mcp".into(),
            transport: "http".into()
        }
    );
}

#[test]
fn claude_json_is_detected_from_its_projects() {
    let (format, found) = parse(CLAUDE_JSON, "/tmp/backup", None);
    assert_eq!((format, found.len()), (Format::ClaudeCode, 3));
}

#[test]
fn variables_are_kept_verbatim() {
    let text = r#"{"mcpServers": {"gh": {"command": "${HOME}/bin/gh-mcp",
        "args": ["--token", "${GITHUB_TOKEN:-x}"], "env": {"API": "${API_KEY:-default}"}}}}"#;
    let (format, found) = parse(text, ".mcp.json", None);
    assert_eq!(format, Format::McpServers);
    let (command, args, env, _) = stdio(&found[0]);
    assert_eq!(command, "${HOME}/bin/gh-mcp");
    assert_eq!(args[1], "${GITHUB_TOKEN:-x}");
    assert_eq!(env["API"], "${API_KEY:-default}");
}

#[test]
fn project_files_give_their_servers_the_project_as_cwd() {
    let text = r#"{"mcpServers": {"a": {"command": "x"}, "b": {"command": "y", "cwd": "/else"}}}"#;
    let (_, found) = parse_source(text, "/p/.mcp.json", None, Some("/p")).unwrap();
    assert_eq!(found[0].project_dir.as_deref(), Some("/p"));
    assert_eq!(stdio(&found[1]).3, Some("/else"));
    assert!(found[1].notes.is_empty());
}

#[test]
fn vscode_servers_with_type_comments_and_trailing_commas() {
    let text = r#"{
  // VS Code writes JSON with comments
  "inputs": [{"type": "promptString", "id": "key", "password": true}],
  "servers": {
    "memory": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory",],
               "envFile": "${workspaceFolder}/.env"},
    /* a remote one */
    "remote": {"type": "sse", "url": "http://localhost:3001/sse"},
    "odd": {"type": "carrier-pigeon"},
  },
}"#;
    let (format, found) = parse(text, ".vscode/mcp.json", None);
    assert_eq!(format, Format::VsCode);
    assert_eq!(found[0].origin, ".vscode/mcp.json: servers.memory");
    assert_eq!(stdio(&found[0]).1[1], "@modelcontextprotocol/server-memory");
    assert!(found[0].notes.iter().any(|n| n.contains("envFile")));
    let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["memory", "odd", "remote"], "read in name order");
    assert!(reason(&found[1]).contains("carrier-pigeon"));
    assert_eq!(
        found[2].kind,
        Kind::Remote {
            url: "http://localhost:3001/sse".into(),
            transport: "sse".into()
        }
    );
    assert!(found.iter().all(|f| f.format == Format::VsCode));
}

#[test]
fn vscode_user_settings_mcp_servers() {
    let text =
        r#"{"editor.fontSize": 13, "mcp": {"servers": {"t": {"type": "stdio", "command": "t"}}}}"#;
    let (format, found) = parse(text, "settings.json", None);
    assert_eq!(format, Format::VsCode);
    assert_eq!(found[0].origin, "settings.json: mcp.servers.t");
}

const CODEX: &str = r#"model = "o4"

[mcp_servers.fs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "."]
env = { LOG = "debug" }
cwd = "/home/u/src"
env_vars = ["PATH"]
startup_timeout_sec = 20

[mcp_servers.linear]
url = "https://mcp.linear.app/mcp"
bearer_token_env_var = "LINEAR"

[mcp_servers.off]
command = "x"
enabled = false
"#;

#[test]
fn codex_toml() {
    let (format, found) = parse(CODEX, "~/.codex/config.toml", None);
    assert_eq!(format, Format::Codex);
    assert_eq!(found[0].origin, "~/.codex/config.toml: mcp_servers.fs");
    let (command, args, env, cwd) = stdio(&found[0]);
    assert_eq!((command, args.len(), cwd), ("npx", 3, Some("/home/u/src")));
    assert_eq!(env["LOG"], "debug");
    assert!(found[0].notes.iter().any(|n| n.contains("env_vars")));
    assert!(matches!(&found[1].kind, Kind::Remote { url, .. } if url.contains("linear")));
    assert!(reason(&found[2]).contains("disabled"));
}

#[test]
fn malformed_json_names_the_file_and_line() {
    let text = "{\n  \"mcpServers\": {\n    \"fs\": {\"command\": \"npx\",,}\n  }\n}\n";
    let e = parse_source(text, "/p/.mcp.json", None, None).unwrap_err();
    let ParseError::Json { line, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*line, 3);
    let shown = e.to_string();
    assert!(shown.starts_with("/p/.mcp.json:3:"), "{shown}");
    assert!(shown.contains("not valid JSON"), "{shown}");
    assert!(!shown.contains("at line"), "position given twice: {shown}");
}

#[test]
fn malformed_toml_names_the_file_and_line() {
    let text = "[mcp_servers.fs]\ncommand = \"npx\"\nargs = [\n";
    let e = parse_source(text, "~/.codex/config.toml", Some(Format::Codex), None).unwrap_err();
    let shown = e.to_string();
    assert!(shown.starts_with("~/.codex/config.toml:"), "{shown}");
    assert!(matches!(e, ParseError::Toml { line: 3.., .. }), "{e:?}");
}

#[test]
fn unknown_content_is_an_error_but_a_known_place_may_lack_servers() {
    let e = parse_source(r#"{"theme": "dark"}"#, "x.json", None, None).unwrap_err();
    assert!(matches!(e, ParseError::Unknown { .. }), "{e:?}");
    let e = parse_source("a = 1\n", "x.toml", None, None).unwrap_err();
    assert!(e.to_string().contains("x.toml: not an MCP config"), "{e}");
    let (_, found) = parse(
        r#"{"numStartups": 3}"#,
        "~/.claude.json",
        Some(Format::ClaudeCode),
    );
    assert!(found.is_empty());
    let (_, found) = parse("model = \"o4\"\n", "c.toml", Some(Format::Codex));
    assert!(found.is_empty());
}

#[test]
fn a_section_of_the_wrong_shape_is_an_error() {
    let e = parse_source(r#"{"mcpServers": ["fs"]}"#, "m.json", None, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "m.json: `mcpServers` must be an object of servers by name"
    );
}

#[test]
fn unusable_entries_say_why_and_scalars_become_strings() {
    let text = r#"{"mcpServers": {
        "nocmd": {"args": ["x"]},
        "badargs": {"command": "x", "args": "a b"},
        "badenv": {"command": "x", "env": {"A=B": "1"}},
        "empty": {"command": "  "},
        "list": ["x"],
        "nums": {"command": "srv", "args": ["--port", 8080, true], "env": {"N": 1}}
    }}"#;
    let (_, found) = parse(text, "m.json", None);
    // Read in name order (serde_json's maps are sorted).
    let reason_of = |name: &str| reason(found.iter().find(|f| f.name == name).unwrap());
    assert_eq!(reason_of("nocmd"), "no `command`");
    assert!(reason_of("badargs").contains("`args`"));
    assert!(reason_of("badenv").contains("\"A=B\""));
    assert_eq!(reason_of("empty"), "`command` is empty");
    assert!(reason_of("list").contains("not an object"));
    let nums = found.iter().find(|f| f.name == "nums").unwrap();
    let (_, args, env, _) = stdio(nums);
    assert_eq!(args, ["--port", "8080", "true"]);
    assert_eq!(env["N"], "1");
}

#[test]
fn names_are_sanitized_with_a_note_and_the_origin_keeps_the_original() {
    let text = r#"{"mcpServers": {"my server": {"command": "x"}}}"#;
    let (_, found) = parse(text, "m.json", None);
    assert_eq!(found[0].name, "my-server");
    assert_eq!(found[0].origin, "m.json: mcpServers[\"my server\"]");
    assert!(found[0].notes[0].contains("renamed from \"my server\""));
}

#[test]
fn cursor_url_only_servers_are_remote() {
    let text = r#"{"mcpServers": {"r": {"url": "https://x/mcp", "headers": {}},
        "s": {"url": "http://localhost:8000/sse"}}}"#;
    let (_, found) = parse(text, "~/.cursor/mcp.json", Some(Format::McpServers));
    assert_eq!(
        found[0].kind,
        Kind::Remote {
            url: "https://x/mcp".into(),
            transport: "http".into()
        }
    );
    assert!(matches!(&found[1].kind, Kind::Remote { transport, .. } if transport == "sse"));
}

#[test]
fn claude_projects_honor_disabled_mcp_servers() {
    let text = r#"{"projects": {"/p": {"disabledMcpServers": ["off"],
        "mcpServers": {"off": {"command": "x"}, "on": {"command": "y"}}}}}"#;
    let (_, found) = parse(text, "~/.claude.json", Some(Format::ClaudeCode));
    assert_eq!(
        reason(&found[0]),
        "disabled for this project in Claude Code"
    );
    assert_eq!(stdio(&found[1]).0, "y");
}
