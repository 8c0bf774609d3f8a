//! Reading agents' config files: the text of one file -> the servers it declares, as [`Found`]
//! values. JSON files (Claude Code, Claude Desktop, Cursor, VS Code) and Codex's TOML share one
//! entry reader; the file's format is given by the caller for known locations and detected from the
//! content for a path the user names.

use serde_json::{Map, Value};

use super::stdio::stdio;
use super::{Found, Kind, path_segment, sanitize_name};

/// The kinds of file `mcpd import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `~/.claude.json`: top-level `mcpServers` and per-project `projects["/abs"].mcpServers`.
    ClaudeCode,
    /// A JSON file with a top-level `mcpServers`: `.mcp.json`, Claude Desktop, Cursor.
    McpServers,
    /// VS Code: `.vscode/mcp.json` (`servers`, each with a `type`) or settings (`mcp.servers`).
    VsCode,
    /// `~/.codex/config.toml`: `[mcp_servers.NAME]` tables.
    Codex,
    /// Gemini CLI: `~/.gemini/settings.json`, `.gemini/settings.json` (`mcpServers`, `httpUrl`).
    Gemini,
    /// opencode: `opencode.json[c]`, `mcp.NAME` (1.x) or `mcp.servers.NAME` (2.0), each with
    /// `type: local` and a `command` argv array plus `environment`.
    Opencode,
    /// Zed: `settings.json`, `context_servers`.
    Zed,
    /// Windsurf: `~/.codeium/windsurf/mcp_config.json` (`mcpServers`, `serverUrl`).
    Windsurf,
    /// Cline: `cline_mcp_settings.json` in VS Code's global storage (`mcpServers`).
    Cline,
    /// Roo Code: `mcp_settings.json` in VS Code's global storage, `.roo/mcp.json`.
    Roo,
    /// Kiro: `~/.kiro/settings/mcp.json`, `.kiro/settings/mcp.json`.
    Kiro,
    /// Amp: `~/.config/amp/settings.json`, key `"amp.mcpServers"`.
    Amp,
    /// Goose: `~/.config/goose/config.yaml`, `extensions.NAME` with `cmd`, `args`, `envs`.
    Goose,
    /// Continue: `~/.continue/config.yaml` and `.continue/mcpServers/*.yaml`, `mcpServers` a list.
    Continue,
    /// GitHub Copilot CLI: `~/.copilot/mcp-config.json` (`mcpServers`, `type: local`).
    CopilotCli,
}

impl Format {
    /// The file is YAML.
    pub fn is_yaml(self) -> bool {
        matches!(self, Format::Goose | Format::Continue)
    }
}

/// A source file that cannot be read as an MCP config; always names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Broken JSON, located by line and column.
    #[error("{file}:{line}:{column}: not valid JSON: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Broken YAML, located by line and column.
    #[error("{file}:{line}:{column}: not valid YAML: {message}")]
    Yaml {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Broken TOML, located by line and column.
    #[error("{file}:{line}:{column}: not valid TOML: {message}")]
    Toml {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but with none of the sections an MCP config has.
    #[error(
        "{file}: not an MCP config this knows: expected JSON with `mcpServers`, `servers`, \
         `projects`, `mcp`, `context_servers` or `amp.mcpServers`, TOML with [mcp_servers], or \
         YAML with `extensions` or `mcpServers`"
    )]
    Unknown { file: String },
    /// A section of the wrong type, e.g. `mcpServers` holding a list.
    #[error("{file}: `{key}` must be {expected}")]
    Shape {
        file: String,
        key: String,
        expected: &'static str,
    },
}

/// The syntax a file is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Toml,
    Yaml,
}

/// Reads the servers declared in `text`, the content of `file` (as shown to the user). `hint`
/// is the format of a known location; `None` detects it from the content. `project_dir` is the
/// directory a project file (`.mcp.json`, `.vscode/mcp.json`) belongs to: servers without a
/// `cwd` get it, since that is where the agent ran them.
pub fn parse_source(
    text: &str,
    file: &str,
    hint: Option<Format>,
    project_dir: Option<&str>,
) -> Result<(Format, Vec<Found>), ParseError> {
    let syntax = match hint {
        Some(Format::Codex) => Syntax::Toml,
        Some(f) if f.is_yaml() => Syntax::Yaml,
        Some(_) => Syntax::Json,
        None if file.ends_with(".yaml") || file.ends_with(".yml") => Syntax::Yaml,
        None if file.ends_with(".json") || file.ends_with(".jsonc") => Syntax::Json,
        None if text.trim_start().starts_with('{') => Syntax::Json,
        None => Syntax::Toml,
    };
    let root = match syntax {
        Syntax::Toml => parse_toml(text, file)?,
        Syntax::Yaml => super::agents::parse_yaml(text, file)?,
        Syntax::Json => parse_json(text, file)?,
    };
    let Some(root) = root.as_object() else {
        return Err(shape(file, "the top level", "an object"));
    };
    let format = match hint {
        Some(f) => f,
        None => detect(syntax, root).ok_or_else(|| ParseError::Unknown { file: file.into() })?,
    };
    let mut out = Vec::new();
    let r = Reader { file, format };
    if super::agents::read_agent(&r, root, project_dir, &mut out)? {
        return Ok((format, out));
    }
    match format {
        Format::Codex => r.section(root, &[], "mcp_servers", "mcp_servers", None, &mut out)?,
        Format::VsCode if has_settings_servers(root) => {
            if let Some(mcp) = root.get("mcp").and_then(Value::as_object) {
                r.section(
                    mcp,
                    &["mcp"],
                    "servers",
                    "mcp.servers",
                    project_dir,
                    &mut out,
                )?;
            }
        }
        Format::VsCode => r.section(root, &[], "servers", "servers", project_dir, &mut out)?,
        Format::ClaudeCode => {
            r.section(root, &[], "mcpServers", "mcpServers", None, &mut out)?;
            match root.get("projects") {
                None | Some(Value::Null) => {}
                Some(Value::Object(projects)) => {
                    for (dir, project) in projects {
                        let prefix = format!("projects{}", path_segment(dir));
                        let Some(project) = project.as_object() else {
                            return Err(shape(file, &prefix, "an object"));
                        };
                        let prefix = format!("{prefix}.mcpServers");
                        let first = out.len();
                        r.section(
                            project,
                            &["projects", dir],
                            "mcpServers",
                            &prefix,
                            Some(dir),
                            &mut out,
                        )?;
                        // Claude Code's per-project switch: servers the user turned off there.
                        let disabled: Vec<&str> = project
                            .get("disabledMcpServers")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        for f in &mut out[first..] {
                            if f.path
                                .last()
                                .is_some_and(|k| disabled.contains(&k.as_str()))
                            {
                                f.kind = unusable("disabled for this project in Claude Code");
                            }
                        }
                    }
                }
                Some(_) => return Err(shape(file, "projects", "an object")),
            }
        }
        // Read by `agents::read_agent` above.
        _ => r.section(root, &[], "mcpServers", "mcpServers", project_dir, &mut out)?,
    }
    Ok((format, out))
}

/// The format of a file the user named, from its content.
fn detect(syntax: Syntax, root: &Map<String, Value>) -> Option<Format> {
    let has = |k: &str| root.contains_key(k);
    Some(match syntax {
        Syntax::Toml if has("mcp_servers") => Format::Codex,
        Syntax::Toml => return None,
        Syntax::Yaml if has("extensions") => Format::Goose,
        Syntax::Yaml if root.get("mcpServers").is_some_and(Value::is_array) => Format::Continue,
        Syntax::Yaml if has("mcpServers") => Format::McpServers,
        Syntax::Yaml => return None,
        Syntax::Json if has("context_servers") => Format::Zed,
        Syntax::Json if has("amp.mcpServers") => Format::Amp,
        Syntax::Json if root.get("mcp").is_some_and(super::agents::is_opencode_mcp) => {
            Format::Opencode
        }
        Syntax::Json if has("servers") || has_settings_servers(root) => Format::VsCode,
        Syntax::Json if has("projects") => Format::ClaudeCode,
        Syntax::Json if has("mcpServers") => Format::McpServers,
        Syntax::Json => return None,
    })
}

/// VS Code's user settings: `{"mcp": {"servers": {...}}}`.
fn has_settings_servers(root: &Map<String, Value>) -> bool {
    root.get("mcp")
        .and_then(Value::as_object)
        .is_some_and(|m| m.contains_key("servers"))
}

pub(super) fn shape(file: &str, key: &str, expected: &'static str) -> ParseError {
    ParseError::Shape {
        file: file.into(),
        key: key.into(),
        expected,
    }
}

fn parse_json(text: &str, file: &str) -> Result<Value, ParseError> {
    serde_json::from_str(&super::jsonc::strip(text)).map_err(|e| {
        let full = e.to_string();
        let place = format!(" at line {} column {}", e.line(), e.column());
        ParseError::Json {
            file: file.into(),
            line: e.line(),
            column: e.column(),
            message: full.strip_suffix(&place).unwrap_or(&full).to_owned(),
        }
    })
}

fn parse_toml(text: &str, file: &str) -> Result<Value, ParseError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start).min(text.len());
        let before = &text[..text.floor_char_boundary(at)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ParseError::Toml {
            file: file.into(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })?;
    serde_json::to_value(table).map_err(|e| ParseError::Toml {
        file: file.into(),
        line: 1,
        column: 1,
        message: e.to_string(),
    })
}

/// Reads one file's server sections.
pub(super) struct Reader<'a> {
    pub(super) file: &'a str,
    pub(super) format: Format,
}

impl Reader<'_> {
    /// Reads `parent[key]`, a map of server name -> settings, shown as `prefix.NAME`.
    pub(super) fn section(
        &self,
        parent: &Map<String, Value>,
        base: &[&str],
        key: &str,
        prefix: &str,
        project_dir: Option<&str>,
        out: &mut Vec<Found>,
    ) -> Result<(), ParseError> {
        let servers = match parent.get(key) {
            None | Some(Value::Null) => return Ok(()),
            Some(Value::Object(servers)) => servers,
            Some(_) => return Err(shape(self.file, prefix, "an object of servers by name")),
        };
        for (raw, settings) in servers {
            let (name, renamed) = sanitize_name(raw);
            let mut notes: Vec<String> = renamed.into_iter().collect();
            let kind = match settings.as_object() {
                Some(obj) => {
                    let obj = super::agents::normalize(self.format, obj, &mut notes);
                    match obj {
                        Ok(obj) => kind_of(&obj, &mut notes),
                        Err(kind) => kind,
                    }
                }
                None => unusable("its settings are not an object"),
            };
            out.push(Found {
                name,
                origin: format!("{}: {prefix}{}", self.file, path_segment(raw)),
                kind,
                notes,
                format: self.format,
                project_dir: project_dir.map(str::to_owned),
                path: base
                    .iter()
                    .copied()
                    .chain([key, raw.as_str()])
                    .map(str::to_owned)
                    .collect(),
            });
        }
        Ok(())
    }
}

pub(super) fn unusable(reason: &str) -> Kind {
    Kind::Unusable {
        reason: reason.to_owned(),
    }
}

/// One server's settings -> what it is. Unknown keys (timeouts, tool lists) are ignored.
pub(super) fn kind_of(obj: &Map<String, Value>, notes: &mut Vec<String>) -> Kind {
    if obj.get("enabled") == Some(&Value::Bool(false))
        || obj.get("disabled") == Some(&Value::Bool(true))
    {
        return unusable("disabled in the source");
    }
    let url = obj.get("url").and_then(Value::as_str);
    let transport = match obj.get("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(_) => return unusable("`type` is not a string"),
    };
    let remote = |url: &str, transport: &str| Kind::Remote {
        url: url.to_owned(),
        transport: transport.to_owned(),
    };
    match (transport, url) {
        (Some("stdio"), _) => stdio(obj, notes),
        // Cursor and Codex leave `type` out: a `url` alone means a remote server.
        (None, Some(url)) if !obj.contains_key("command") => {
            let sse = url.trim_end_matches('/').ends_with("/sse");
            remote(url, if sse { "sse" } else { "http" })
        }
        (None, _) => stdio(obj, notes),
        (Some(t), Some(url)) => remote(url, t),
        (Some(t), None) => unusable(&format!("unknown `type` {t:?} and no `url`")),
    }
}
