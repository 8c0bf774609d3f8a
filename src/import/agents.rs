//! The agents whose configs differ from the common `mcpServers` shape: where their servers sit in
//! the file (opencode's `mcp` or `mcp.servers`, Zed's `context_servers`, Amp's `amp.mcpServers`,
//! Goose's `extensions`, Continue's `mcpServers` list) and how one entry is spelled (an argv array,
//! `cmd`/`envs`, `httpUrl`, `serverUrl`). Each entry is normalized to the common shape
//! (`command`, `args`, `env`, `cwd`, `type`, `url`) before `formats::kind_of` reads it.

use serde_json::{Map, Value};

use super::formats::{Format, ParseError, Reader, shape, unusable};
use super::{Found, Kind, path_segment, sanitize_name};

/// Parses YAML (Goose, Continue) into a JSON value; errors name the file, line and column.
pub fn parse_yaml(text: &str, file: &str) -> Result<Value, ParseError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_norway::from_str::<Value>(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        ParseError::Yaml {
            file: file.into(),
            line,
            column,
            message: e.to_string(),
        }
    })
}

/// True when an `mcp` value is opencode's: a map of servers with `type: local|remote` (1.x),
/// or a `servers` map of them (2.0).
pub fn is_opencode_mcp(mcp: &Value) -> bool {
    let Some(m) = mcp.as_object() else {
        return false;
    };
    let typed = |v: &Value| {
        v.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| matches!(t, "local" | "remote"))
            || v.get("command").is_some_and(Value::is_array)
    };
    m.values().any(typed)
        || m.get("servers")
            .and_then(Value::as_object)
            .is_some_and(|s| s.values().any(typed))
}

/// Reads the servers of the agents with their own layout into `out`; false for the formats the
/// common reader handles.
pub(super) fn read_agent(
    r: &Reader<'_>,
    root: &Map<String, Value>,
    project_dir: Option<&str>,
    out: &mut Vec<Found>,
) -> Result<bool, ParseError> {
    match r.format {
        Format::Zed => r.section(
            root,
            &[],
            "context_servers",
            "context_servers",
            project_dir,
            out,
        )?,
        Format::Amp => r.section(
            root,
            &[],
            "amp.mcpServers",
            "[\"amp.mcpServers\"]",
            project_dir,
            out,
        )?,
        Format::Goose => r.section(root, &[], "extensions", "extensions", project_dir, out)?,
        Format::Opencode => match root.get("mcp") {
            None | Some(Value::Null) => {}
            Some(Value::Object(mcp)) => {
                // 2.0 nests the servers under `servers`; 1.x puts them (and a global
                // `timeout`) straight under `mcp`. A 1.x server may itself be named `servers`:
                // the shape of the value decides.
                let nested = mcp
                    .get("servers")
                    .and_then(Value::as_object)
                    .is_some_and(|s| !s.contains_key("type") && !s.contains_key("command"));
                if nested {
                    r.section(mcp, &["mcp"], "servers", "mcp.servers", project_dir, out)?;
                } else {
                    let mut servers = mcp.clone();
                    servers.retain(|_, v| v.is_object());
                    let wrapped = Map::from_iter([("mcp".to_owned(), Value::Object(servers))]);
                    r.section(&wrapped, &[], "mcp", "mcp", project_dir, out)?;
                }
            }
            Some(_) => return Err(shape(r.file, "mcp", "an object")),
        },
        Format::Continue => match root.get("mcpServers") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for (i, item) in list.iter().enumerate() {
                    let raw = item.get("name").and_then(Value::as_str);
                    let (name, renamed) = sanitize_name(raw.unwrap_or(""));
                    let mut notes: Vec<String> = renamed.into_iter().collect();
                    let kind = match (item.as_object(), raw) {
                        (Some(_), None) => unusable("no `name`"),
                        (Some(obj), Some(_)) => match normalize(r.format, obj, &mut notes) {
                            Ok(obj) => super::formats::kind_of(&obj, &mut notes),
                            Err(kind) => kind,
                        },
                        (None, _) => unusable("its settings are not an object"),
                    };
                    let at = raw.map_or_else(|| format!("[{i}]"), path_segment);
                    out.push(Found {
                        name,
                        origin: format!("{}: mcpServers{at}", r.file),
                        kind,
                        notes,
                        format: r.format,
                        project_dir: project_dir.map(str::to_owned),
                        path: vec!["mcpServers".to_owned(), i.to_string()],
                    });
                }
            }
            Some(_) => return Err(shape(r.file, "mcpServers", "a list of servers")),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// One entry in the agent's spelling -> the common shape, or why it cannot be imported.
pub(super) fn normalize(
    format: Format,
    obj: &Map<String, Value>,
    notes: &mut Vec<String>,
) -> Result<Map<String, Value>, Kind> {
    let mut o = obj.clone();
    let rename = |o: &mut Map<String, Value>, from: &str, to: &str| {
        if let Some(v) = o.remove(from) {
            o.insert(to.to_owned(), v);
        }
    };
    match format {
        Format::Opencode => {
            match o.get("type").and_then(Value::as_str) {
                Some("remote") => {
                    o.insert("type".into(), "http".into());
                    return Ok(o);
                }
                Some("local") | None => {}
                Some(t) => return Err(unusable(&format!("unknown `type` {t:?}"))),
            }
            o.insert("type".into(), "stdio".into());
            match o.remove("command") {
                Some(Value::Array(argv)) if !argv.is_empty() => {
                    o.insert("command".into(), argv[0].clone());
                    o.insert("args".into(), Value::Array(argv[1..].to_vec()));
                }
                Some(Value::Array(_)) => return Err(unusable("`command` is an empty list")),
                Some(other) => {
                    o.insert("command".into(), other);
                }
                None => {}
            }
            rename(&mut o, "environment", "env");
        }
        Format::Goose => {
            // Older configs nest the settings under `config`.
            if let Some(Value::Object(inner)) = o.get("config") {
                let enabled = o.get("enabled").cloned();
                o = inner.clone();
                if let Some(e) = enabled {
                    o.insert("enabled".into(), e);
                }
            }
            match o.get("type").and_then(Value::as_str) {
                Some("stdio") | None => {
                    o.insert("type".into(), "stdio".into());
                }
                Some("sse") | Some("streamable_http") => {
                    rename(&mut o, "uri", "url");
                    let t = if o.get("type").and_then(Value::as_str) == Some("sse") {
                        "sse"
                    } else {
                        "http"
                    };
                    o.insert("type".into(), t.into());
                    return Ok(o);
                }
                Some(t) => {
                    return Err(unusable(&format!(
                        "a goose {t} extension, built into goose (not a separate server)"
                    )));
                }
            }
            rename(&mut o, "cmd", "command");
            rename(&mut o, "envs", "env");
            if let Some(keys) = o.get("env_keys").and_then(Value::as_array)
                && !keys.is_empty()
            {
                let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
                notes.push(format!(
                    "goose keeps {} in its keyring: set {} in `env` (or the daemon's environment)",
                    keys.join(", "),
                    if keys.len() == 1 { "it" } else { "them" }
                ));
            }
        }
        Format::Zed => {
            // Older Zed settings: `"command": {"path": ..., "args": [...], "env": {...}}`.
            if let Some(Value::Object(cmd)) = o.get("command").cloned() {
                o.remove("command");
                for (from, to) in [("path", "command"), ("args", "args"), ("env", "env")] {
                    if let Some(v) = cmd.get(from) {
                        o.insert(to.into(), v.clone());
                    }
                }
            }
            if o.get("source").and_then(Value::as_str) == Some("extension")
                && !o.contains_key("command")
            {
                return Err(unusable(
                    "provided by a Zed extension (no command in the settings)",
                ));
            }
        }
        Format::Gemini => {
            if let Some(url) = o.remove("httpUrl") {
                o.insert("url".into(), url);
                o.insert("type".into(), "http".into());
            } else if o.contains_key("url") && !o.contains_key("command") {
                o.insert("type".into(), "sse".into());
            }
        }
        Format::Windsurf => rename(&mut o, "serverUrl", "url"),
        Format::Cline | Format::Roo | Format::Kiro => retype(&mut o, "streamableHttp", "http"),
        Format::CopilotCli => retype(&mut o, "local", "stdio"),
        Format::Continue => {
            retype(&mut o, "streamable-http", "http");
            o.remove("name");
        }
        _ => {}
    }
    Ok(o)
}

/// Replaces a `type` spelled `from` by the common `to`.
fn retype(o: &mut Map<String, Value>, from: &str, to: &str) {
    if o.get("type").and_then(Value::as_str) == Some(from) {
        o.insert("type".into(), to.into());
    }
}
