//! JSON-RPC lines: classification, ids and the error, result and notification lines the router writes.

use serde_json::{Map, Value, json};

use super::{ClientId, INVALID_REQUEST, Kind, Out};

/// Sort a message into request, notification or response; `Err` carries the id to echo.
pub(super) fn classify(obj: &Map<String, Value>) -> Result<Kind, Value> {
    let id = obj.get("id");
    let echo = match id {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    };
    // Lenient: a missing "jsonrpc" is accepted, a wrong one is not.
    if obj.get("jsonrpc").is_some_and(|v| v != "2.0") {
        return Err(echo);
    }
    match (obj.get("method"), id) {
        (Some(Value::String(method)), None) => Ok(Kind::Notification(method.clone())),
        // MCP ids are strings or numbers, never null.
        (Some(Value::String(method)), Some(_)) if !echo.is_null() => {
            Ok(Kind::Request(echo, method.clone()))
        }
        (None, Some(_)) if obj.contains_key("result") || obj.contains_key("error") => {
            Ok(Kind::Response)
        }
        _ => Err(echo),
    }
}

/// One error per element with an id, else a single error with id null.
pub(super) fn batch_errors(cid: ClientId, items: &[Value], out: &mut Vec<Out>) {
    let msg = "batch requests are not supported";
    let before = out.len();
    for item in items {
        if let Some(id) = item.get("id").filter(|id| id.is_string() || id.is_number()) {
            out.push(error_to(cid, id, INVALID_REQUEST, msg));
        }
    }
    if out.len() == before {
        out.push(error_to(cid, &Value::Null, INVALID_REQUEST, msg));
    }
}

/// The id of a queued message if it is a request (notifications have none).
pub(super) fn request_id(obj: &Map<String, Value>) -> Option<Value> {
    obj.get("method").and(obj.get("id")).cloned()
}

/// `params.<key>` as a string.
pub(super) fn param_str(obj: &Map<String, Value>, key: &str) -> Option<String> {
    let value = obj.get("params")?.get(key)?;
    value.as_str().map(str::to_owned)
}

/// `params.<key>`, to be rewritten in place.
pub(super) fn param_mut<'a>(obj: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    obj.get_mut("params")?.as_object_mut()?.get_mut(key)
}

/// `params._meta.progressToken`, to be rewritten in place.
pub(super) fn progress_token_mut(obj: &mut Map<String, Value>) -> Option<&mut Value> {
    param_mut(obj, "_meta")?
        .as_object_mut()?
        .get_mut("progressToken")
}

pub(super) fn error_line(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

pub(super) fn error_to(cid: ClientId, id: &Value, code: i64, message: &str) -> Out {
    Out::ToClient(cid, error_line(id, code, message))
}

pub(super) fn result_line(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

pub(super) fn notification(method: &str, params: Value) -> String {
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), "2.0".into());
    obj.insert("method".into(), method.into());
    if !params.is_null() {
        obj.insert("params".into(), params);
    }
    Value::Object(obj).to_string()
}
