//! The agent's side of the switch: the config that makes an agent start `mcpd connect NAME`
//! instead of starting each server itself, one snippet per kind of agent config the imported
//! servers came from.

use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::Format;

/// Config text for one kind of agent config.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// Which agents and files it is for.
    pub agent: &'static str,
    /// What to put there.
    pub text: String,
}

/// Snippets for the servers in `added` (each with the format of the file it came from), in a
/// fixed order: the `mcpServers` JSON, VS Code's `servers` JSON, Codex's TOML.
pub fn snippets(added: &[(Format, String)]) -> Vec<Snippet> {
    let names = |pick: &dyn Fn(Format) -> bool| -> Vec<&str> {
        added
            .iter()
            .filter(|(f, _)| pick(*f))
            .map(|(_, n)| n.as_str())
            .collect()
    };
    let mut out = Vec::new();
    let claude = names(&|f| matches!(f, Format::ClaudeCode | Format::McpServers));
    if !claude.is_empty() {
        out.push(Snippet {
            agent: "Claude Code (.mcp.json, ~/.claude.json), Claude Desktop, Cursor",
            text: json_snippet("mcpServers", &claude, false),
        });
    }
    let vscode = names(&|f| f == Format::VsCode);
    if !vscode.is_empty() {
        out.push(Snippet {
            agent: "VS Code (.vscode/mcp.json)",
            text: json_snippet("servers", &vscode, true),
        });
    }
    let codex = names(&|f| f == Format::Codex);
    if !codex.is_empty() {
        out.push(Snippet {
            agent: "Codex (~/.codex/config.toml)",
            text: codex_snippet(&codex),
        });
    }
    out
}

fn json_snippet(section: &str, names: &[&str], typed: bool) -> String {
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let entries: Vec<String> = names
        .iter()
        .map(|n| {
            let ty = if typed { "\"type\": \"stdio\", " } else { "" };
            format!(
                "    {}: {{ {ty}\"command\": \"mcpd\", \"args\": [\"connect\", {}] }}",
                q(n),
                q(n)
            )
        })
        .collect();
    format!(
        "{{\n  {}: {{\n{}\n  }}\n}}\n",
        q(section),
        entries.join(",\n")
    )
}

fn codex_snippet(names: &[&str]) -> String {
    let mut doc = DocumentMut::new();
    let mut servers = Table::new();
    servers.set_implicit(true);
    for n in names {
        let mut t = Table::new();
        t.insert("command", value("mcpd"));
        t.insert("args", value(["connect", n].into_iter().collect::<Array>()));
        servers.insert(n, Item::Table(t));
    }
    doc.insert("mcp_servers", Item::Table(servers));
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_snippet_is_the_mcp_servers_json() {
        let s = snippets(&[(Format::McpServers, "fs".into())]);
        assert_eq!(s.len(), 1);
        let v: serde_json::Value = serde_json::from_str(&s[0].text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"mcpServers": {"fs": {"command": "mcpd", "args": ["connect", "fs"]}}})
        );
    }

    #[test]
    fn vscode_snippet_has_a_type() {
        let s = snippets(&[(Format::VsCode, "a".into()), (Format::VsCode, "b".into())]);
        let v: serde_json::Value = serde_json::from_str(&s[0].text).unwrap();
        assert_eq!(v["servers"]["b"]["type"], "stdio");
        assert_eq!(
            v["servers"]["a"]["args"],
            serde_json::json!(["connect", "a"])
        );
    }

    #[test]
    fn codex_snippet_is_toml() {
        let s = snippets(&[(Format::Codex, "fs".into())]);
        assert_eq!(
            s[0].text,
            "[mcp_servers.fs]\ncommand = \"mcpd\"\nargs = [\"connect\", \"fs\"]\n"
        );
    }

    #[test]
    fn one_snippet_per_kind_of_agent_in_a_fixed_order() {
        let s = snippets(&[
            (Format::Codex, "c".into()),
            (Format::ClaudeCode, "a".into()),
            (Format::McpServers, "b".into()),
        ]);
        assert_eq!(s.len(), 2);
        assert!(s[0].text.contains("\"a\"") && s[0].text.contains("\"b\""));
        assert!(s[1].agent.starts_with("Codex"));
        assert!(snippets(&[]).is_empty());
    }
}
