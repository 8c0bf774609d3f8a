//! MCP-like and launcher decisions over real command lines.

use super::*;
use crate::config::Config;

fn m() -> Matcher {
    Matcher::from_config(&Config::default())
}

fn p(args: &[&str]) -> ProcInfo {
    ProcInfo::new(10, 1, args)
}

#[test]
fn mcp_like() {
    let m = m();
    for args in [
        &[
            "npm",
            "exec",
            "@modelcontextprotocol/server-filesystem",
            "/tmp",
        ][..],
        &["sh", "-c", "mcp-server-filesystem /tmp"],
        &[
            "node",
            "/root/.npm/_npx/abc/node_modules/.bin/mcp-server-filesystem",
            "/tmp",
        ],
        &["npx", "-y", "@upstash/context7-mcp@latest"],
        &["node", "/usr/lib/node_modules/@playwright/mcp/cli.js"],
        &["uvx", "mcp-server-time"],
        &["/home/u/.local/bin/serena", "start-mcp-server"],
        &["python3.11", "-m", "mcp_server_time"],
        &["claude", "mcp", "serve"],
        &["bun", "x", "telegram-mcp"],
        &["npx", "@acme-mcp/server-weather"],
        &["sh", "-c", "npx -y 'some-mcp'"],
        &[
            "node",
            "/x/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
        ],
    ] {
        assert!(m.is_mcp(&p(args)), "{args:?} should be MCP-like");
    }
}

#[test]
fn not_mcp_like() {
    let m = m();
    for args in [
        &["bash"][..],
        &[
            "node",
            "/usr/lib/node_modules/npm/bin/npm-cli.js",
            "install",
        ],
        &["vim", "mcp-server-notes.md"],
        &["less", "/home/serena/x"],
        &["tail", "-f", "graphiti.log"],
        &["tail", "-f", "mcp-server.log"],
        &[
            "python3",
            "-m",
            "http.server",
            "--directory",
            "/x/mcp_server",
        ],
        &["tmux", "new", "-s", "mcp", "-c", "/x/mcp-server-weather"],
        &["mcpd", "status"],
        &["sleep", "100"],
        &[
            "node",
            "/opt/claude-code/cli.js",
            "--mcp-config",
            "/x/mcp-server.json",
        ],
        &["python3", "/home/serena/agent.py"],
    ] {
        assert!(!m.is_mcp(&p(args)), "{args:?} should not be MCP-like");
    }
    assert!(!m.is_mcp(&ProcInfo::new(2, 0, &[]).with_comm("kthreadd")));
}

#[test]
fn why_names_pattern_and_token() {
    let w = m().why_mcp(&p(&["npx", "-y", "@modelcontextprotocol/server-memory"]));
    let w = w.unwrap();
    assert_eq!(w.pattern, "@modelcontextprotocol/*");
    assert_eq!(w.token, "@modelcontextprotocol/server-memory");
}

#[test]
fn launchers_by_shape() {
    let m = m();
    let server = p(&["node", "/x/node_modules/.bin/mcp-server-filesystem"]);
    for args in [
        &["npm", "exec", "x"][..],
        &["npx", "-y", "x"],
        &["sh", "-c", "mcp-server-filesystem /tmp"],
        &["uvx", "x"],
        &["env", "A=1", "x"],
        &["node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "x"],
    ] {
        assert!(
            m.launches(&p(args), &server),
            "{args:?} should launch the server"
        );
    }
    for args in [
        &["bash"][..],
        &["-zsh"],
        &["tmux"],
        &["claude"],
        &["nvim"],
        &["node", "/opt/claude-code/cli.js"],
        &["python3", "agent.py"],
        &["python3", "-m", "supervisor.supervisord"],
        &["sh", "-c", "some-agent --flag"],
        &["systemd", "--user"],
    ] {
        assert!(
            !m.launches(&p(args), &server),
            "{args:?} should decide ownership"
        );
    }
}

#[test]
fn config_extends_replaces_and_excludes() {
    let extra = Matcher::new(
        vec!["my-internal-thing".into()],
        vec![],
        vec!["rye run".into()],
    );
    assert!(extra.is_mcp(&p(&["/opt/my-internal-thing", "--port", "1"])));
    assert!(extra.is_mcp(&p(&["rye", "run", "my-internal-thing"])));
    assert!(extra.launches(&p(&["rye", "run", "x"]), &p(&["x"])));
    assert!(!extra.is_mcp(&p(&["serena"])), "no defaults given");
    let ex = Matcher::new(vec!["serena".into()], vec!["serena-notes".into()], vec![]);
    assert!(ex.is_mcp(&p(&["serena", "start"])));
    assert!(!ex.is_mcp(&p(&["serena-notes"])));
}

#[test]
fn globs() {
    assert!(glob(b"mcp-*", b"mcp-server"));
    assert!(glob(b"*-mcp", b"context7-mcp"));
    assert!(!glob(b"*-mcp", b"context7-mcp-x"));
    assert!(glob(b"@*/mcp", b"@playwright/mcp"));
    assert!(glob(b"a*b*c", b"aXbYc"));
    assert!(!glob(b"a*b*c", b"aXbY"));
    assert!(glob(b"*", b""));
}
