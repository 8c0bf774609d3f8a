//! Real agents through one daemon: `claude mcp list` then `gemini mcp list` (npm packages; they
//! need no account to list and health-check their MCP servers) both see the bridged servers
//! Connected, as they do directly. Gemini asks for an older protocol version than Claude: before
//! exact sharing it was handed Claude's cached handshake and hung up.

use std::path::Path;
use std::process::Command;

use crate::conformance::*;
use crate::support::*;

/// Runs an agent CLI with a private home, in a trusted project folder; returns its stdout+stderr.
fn agent(bin: &Path, home: &Path, project: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(project)
        .env("HOME", home)
        .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
        .env("NO_COLOR", "1")
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .output()
        .unwrap();
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// The line of `name` in an agent's `mcp list`.
fn line_of<'a>(listing: &'a str, name: &str) -> &'a str {
    listing
        .lines()
        .find(|l| l.contains(&format!("{name}:")))
        .unwrap_or_else(|| panic!("{name} not listed:\n{listing}"))
}

#[test]
fn claude_and_gemini_both_connected_through_one_daemon() {
    let (Some(kit), Some(agents)) = (kit(), agents()) else {
        return;
    };
    let bin = |n: &str| agents.join("node_modules/.bin").join(n);
    let sb = Sandbox::with_config(&config(&[
        ("everything", vec![kit.bin("mcp-server-everything")], ""),
        ("memory", vec![kit.bin("mcp-server-memory")], ""),
    ]));
    let home = sb.path().join("home");
    let project = sb.path().join("project");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    let mcpd = env!("CARGO_BIN_EXE_mcpd");
    // The agents pass these to the bridges, so that they reach this test's daemon.
    let envs: Vec<String> = sb
        .envs()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.display()))
        .collect();
    for name in ["everything", "memory"] {
        let direct = kit.bin(&format!("mcp-server-{name}"));
        let bridged = format!("via-{name}");
        let direct_name = format!("direct-{name}");
        // `claude mcp add NAME -e K=V... -- CMD...`; `gemini mcp add -e K=V... NAME CMD...`.
        let mut claude = vec!["mcp", "add", "-s", "user", bridged.as_str()];
        let mut gemini = vec!["mcp", "add", "-s", "user"];
        for e in &envs {
            claude.extend(["-e", e.as_str()]);
            gemini.extend(["-e", e.as_str()]);
        }
        claude.extend(["--", mcpd, "connect", name]);
        gemini.extend([bridged.as_str(), mcpd, "connect", name]);
        agent(&bin("claude"), &home, &project, &claude);
        agent(&bin("gemini"), &home, &project, &gemini);
        agent(
            &bin("claude"),
            &home,
            &project,
            &["mcp", "add", "-s", "user", &direct_name, "--", &direct],
        );
        agent(
            &bin("gemini"),
            &home,
            &project,
            &["mcp", "add", "-s", "user", &direct_name, &direct],
        );
    }
    // Claude first (it fills the daemon's instances), then Gemini, as in the report.
    let claude = agent(&bin("claude"), &home, &project, &["mcp", "list"]);
    let gemini = agent(&bin("gemini"), &home, &project, &["mcp", "list"]);
    for name in ["everything", "memory"] {
        for (who, listing) in [("claude", &claude), ("gemini", &gemini)] {
            let direct = line_of(listing, &format!("direct-{name}"));
            assert!(direct.contains("Connected"), "{who} direct: {direct}");
            let via = line_of(listing, &format!("via-{name}"));
            assert!(
                via.contains("Connected") && !via.contains("Disconnected"),
                "{who} through mcpd: {via}\n{listing}"
            );
        }
    }
    sb.track_marked();
}
