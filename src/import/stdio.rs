//! The settings of one local (stdio) server as every format writes them: `command`, `args`,
//! `env`, `cwd`. Strings are kept exactly as written here; `merge` resolves their variables.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Kind;

/// Reads a stdio server's settings; a setting of the wrong type makes the whole server
/// [`Kind::Unusable`], with the reason. Notes go to `notes`.
pub(super) fn stdio(obj: &Map<String, Value>, notes: &mut Vec<String>) -> Kind {
    read(obj, notes).unwrap_or_else(|reason| Kind::Unusable { reason })
}

fn read(obj: &Map<String, Value>, notes: &mut Vec<String>) -> Result<Kind, String> {
    let command = match obj.get("command") {
        None | Some(Value::Null) => return Err("no `command`".into()),
        Some(Value::String(c)) if c.trim().is_empty() => return Err("`command` is empty".into()),
        Some(Value::String(c)) => c.clone(),
        Some(_) => return Err("`command` is not a string".into()),
    };
    let args = match obj.get("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .ok_or("`args` must be a list of strings")?,
        Some(_) => return Err("`args` must be a list of strings".into()),
    };
    let mut env = BTreeMap::new();
    match obj.get("env") {
        None | Some(Value::Null) => {}
        Some(Value::Object(vars)) => {
            for (k, v) in vars {
                if k.is_empty() || k.contains(['=', '\0']) {
                    return Err(format!("environment variable name {k:?} is not usable"));
                }
                let v = scalar(v).ok_or_else(|| format!("`env.{k}` is not a string"))?;
                env.insert(k.clone(), v);
            }
        }
        Some(_) => return Err("`env` must be an object of strings".into()),
    }
    let cwd = match obj.get("cwd") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("`cwd` is not a string".into()),
    };
    if let Some(file) = obj.get("envFile").and_then(Value::as_str) {
        notes.push(format!(
            "`envFile` {file:?} not imported: copy its variables into `env`"
        ));
    }
    if obj.contains_key("env_vars") {
        notes.push(
            "`env_vars` not imported: the server sees the mcpd daemon's environment plus `env`"
                .into(),
        );
    }
    Ok(Kind::Stdio {
        command,
        args,
        env,
        cwd,
    })
}

/// A string, or a number or boolean written where a string belongs (`"PORT": 8080`).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
