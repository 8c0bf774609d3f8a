//! What programs real command lines run (taken from real process tables).

use super::*;

fn id(args: &[&str]) -> Program {
    let v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    identify(&v, "")
}

fn tokens(args: &[&str]) -> Vec<String> {
    id(args).tokens
}

#[test]
fn launchers_name_their_package() {
    for (args, want) in [
        (
            &[
                "npm",
                "exec",
                "@modelcontextprotocol/server-filesystem",
                "/tmp",
            ][..],
            "@modelcontextprotocol/server-filesystem",
        ),
        (
            &["npx", "-y", "@upstash/context7-mcp@latest"],
            "@upstash/context7-mcp",
        ),
        (
            &["npx", "--yes", "--", "mcp-remote", "https://x"],
            "mcp-remote",
        ),
        (&["npx", "-p", "@acme/tools", "acme-mcp"], "@acme/tools"),
        (&["uvx", "mcp-server-time"], "mcp-server-time"),
        (
            &["uvx", "--from", "git+https://h/x/serena", "serena"],
            "serena",
        ),
        (
            &["uv", "tool", "run", "mcp-server-fetch==1.2"],
            "mcp-server-fetch",
        ),
        (&["pipx", "run", "graphiti-mcp[all]"], "graphiti-mcp"),
        (&["pnpm", "dlx", "@x/y@2"], "@x/y"),
        (&["bunx", "telegram-mcp"], "telegram-mcp"),
        // npm sets its process title: one argument holds the whole line.
        (
            &["npm exec @modelcontextprotocol/server-filesystem /tmp"],
            "@modelcontextprotocol/server-filesystem",
        ),
        (
            &[
                "node",
                "/usr/lib/node_modules/npm/bin/npx-cli.js",
                "-y",
                "@a/b",
            ],
            "@a/b",
        ),
    ] {
        let p = id(args);
        assert_eq!(p.kind, Kind::Launcher, "{args:?}");
        assert!(
            p.tokens.iter().any(|t| t == want),
            "{args:?}: {:?}",
            p.tokens
        );
    }
}

#[test]
fn interpreters_name_their_script_or_module() {
    assert_eq!(
        tokens(&[
            "node",
            "/root/.npm/_npx/abc/node_modules/.bin/mcp-server-filesystem",
            "/tmp"
        ]),
        ["mcp-server-filesystem"]
    );
    assert_eq!(
        tokens(&["node", "/usr/lib/node_modules/@playwright/mcp/cli.js"]),
        ["cli", "mcp", "@playwright/mcp"]
    );
    assert_eq!(
        tokens(&["python3.11", "-u", "-m", "mcp_server_time"]),
        ["mcp_server_time"]
    );
    assert_eq!(
        tokens(&[
            "python3",
            "-m",
            "http.server",
            "--directory",
            "/x/mcp_server"
        ]),
        ["http.server", "http"]
    );
    assert_eq!(tokens(&["python3", "/home/serena/agent.py"]), ["agent"]);
    assert_eq!(
        tokens(&[
            "node",
            "--max-old-space-size=4096",
            "/opt/claude/cli.js",
            "--mcp-config",
            "mcp-server.json"
        ]),
        ["cli", "claude"]
    );
    assert_eq!(tokens(&["node", "-e", "require('mcp-server')"]), ["node"]);
    assert_eq!(id(&["node", "agent.js"]).kind, Kind::Script);
    assert_eq!(
        tokens(&["node", "/opt/mcp-server-sse/dist/index.js"]),
        ["index", "mcp-server-sse"]
    );
    assert_eq!(tokens(&["node", "/home/serena/index.js"]), ["index"]);
    assert_eq!(tokens(&["node", "/root/index.js"]), ["index"]);
    assert_eq!(tokens(&["node", "index.js"]), ["index"]);
}

#[test]
fn arguments_never_count() {
    for args in [
        &["vim", "mcp-server-notes.md"][..],
        &["less", "/home/serena/x"],
        &["tail", "-f", "graphiti.log"],
        &["tmux", "new", "-c", "/x/mcp-server-weather"],
    ] {
        let p = id(args);
        assert_eq!(p.kind, Kind::Plain);
        assert_eq!(p.tokens.len(), 1, "{args:?}: {:?}", p.tokens);
    }
}

#[test]
fn wrappers_run_their_command() {
    let p = id(&["sh", "-c", "mcp-server-filesystem /tmp"]);
    assert_eq!(p.kind, Kind::Wrapper);
    assert_eq!(p.tokens, ["mcp-server-filesystem"]);
    let p = id(&["bash", "-lc", "cd /x && exec npx -y 'some-mcp'"]);
    assert_eq!(p.tokens, ["some-mcp"]);
    let p = id(&["env", "-i", "A=1", "uvx", "mcp-server-git"]);
    assert_eq!(p.kind, Kind::Wrapper);
    assert_eq!(p.tokens, ["mcp-server-git"]);
    assert_eq!(id(&["-bash"]).kind, Kind::Plain);
    assert_eq!(id(&["bash"]).exe, "bash");
}

#[test]
fn hostile_command_lines_do_not_panic() {
    for args in [
        &[""][..],
        &["npx"],
        &["npx", "-p"],
        &["npm", "exec"],
        &["uv", "tool"],
        &["python", "-m"],
        &["node", "-r"],
        &["sh", "-c"],
        &["sh", "-c", ""],
        &["sh", "-c", "&&"],
        &["env"],
        &["npx", "@"],
        &["npx", "@/"],
        &["node", "node_modules/"],
        &["sh", "-c", "sh -c 'sh -c \"sh -c sh -c x\"'"],
    ] {
        let _ = id(args);
    }
    assert_eq!(identify(&[], "kthreadd").tokens, ["kthreadd"]);
}
