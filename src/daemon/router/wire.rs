//! JSON-RPC lines: classification, ids, the error, result and notification lines the router writes,
//! and splicing: a relayed message keeps its bytes, only the fields mcpd rewrites (ids, progress
//! tokens, request ids of cancellations) are replaced in place, so key order, number spelling and
//! whitespace reach the other side as sent.

use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
use super::{ClientId, Kind, Out};

/// The byte range, in `text`, of the value at `path` (object keys from the top level down).
pub fn span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let members: BTreeMap<String, &RawValue> = serde_json::from_str(text).ok()?;
    let raw = members.get(*first)?.get();
    let start = raw.as_ptr() as usize - text.as_ptr() as usize;
    let here = start..start + raw.len();
    if rest.is_empty() {
        return Some(here);
    }
    let inner = span(raw, rest)?;
    Some(start + inner.start..start + inner.end)
}

/// `text` with the value at `path` replaced by `value` (JSON text); None when there is none.
pub fn splice(text: &str, path: &[&str], value: &str) -> Option<String> {
    let r = span(text, path)?;
    let mut out = String::with_capacity(text.len() + value.len());
    out.push_str(&text[..r.start]);
    out.push_str(value);
    out.push_str(&text[r.end..]);
    Some(out)
}

/// `text` with its top-level `id` replaced (unchanged when it has none).
pub fn with_id(text: &str, id: &Value) -> String {
    splice(text, &["id"], &id.to_string()).unwrap_or_else(|| text.to_string())
}

/// The id of a request line (None for notifications, responses and garbage).
pub fn request_id_of(line: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(line).ok()?;
    v.get("method")?;
    v.get("id")
        .filter(|id| id.is_string() || id.is_number())
        .cloned()
}

/// What is left of a line over the size limit: its size, and its first and last bytes, where its
/// `id` is (SDKs write it first or last), so that the sender can still get an answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Oversize {
    pub size: usize,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

/// Bytes of an oversized line kept at each end.
pub const OVERSIZE_KEEP: usize = 256;

impl Oversize {
    /// The message's id, if its first or last bytes show it: `{"jsonrpc":"2.0","id":5,...` or
    /// `...,"jsonrpc":"2.0","id":5}`.
    pub fn id(&self) -> Option<Value> {
        let head = String::from_utf8_lossy(&self.head);
        let tail = String::from_utf8_lossy(&self.tail);
        let value_after = |s: &str| -> Option<Value> {
            let rest = s.trim_start().strip_prefix(':')?.trim_start();
            let end = if let Some(quoted) = rest.strip_prefix('"') {
                1 + quoted.find('"')? + 1
            } else {
                rest.find(|c: char| !(c.is_ascii_digit() || c == '-'))
                    .unwrap_or(rest.len())
            };
            serde_json::from_str(&rest[..end])
                .ok()
                .filter(|v: &Value| v.is_string() || v.is_number())
        };
        // At the front: the first member or the one right after "jsonrpc".
        let front = head.trim_start().strip_prefix('{').map(str::trim_start);
        let front = front.and_then(|f| {
            f.strip_prefix("\"id\"").or_else(|| {
                let after = f
                    .strip_prefix("\"jsonrpc\"")?
                    .trim_start()
                    .strip_prefix(':')?;
                let after = after.trim_start().strip_prefix("\"2.0\"")?.trim_start();
                after.strip_prefix(',')?.trim_start().strip_prefix("\"id\"")
            })
        });
        if let Some(v) = front.and_then(value_after) {
            return Some(v);
        }
        // At the back: the last member.
        let t = tail.trim_end().strip_suffix('}')?;
        let at = t.rfind("\"id\"")?;
        let v = value_after(&t[at + 4..])?;
        // Only when the id is all that follows (not an "id" inside a string or a nested object).
        let rest = t[at + 4..].trim_start().strip_prefix(':')?.trim();
        (serde_json::from_str::<Value>(rest).ok()? == v).then_some(v)
    }

    /// Whether it looks like a request (has a `"method"` near an end) rather than a response.
    pub fn is_request(&self) -> bool {
        let has = |b: &[u8]| String::from_utf8_lossy(b).contains("\"method\"");
        has(&self.head) || has(&self.tail)
    }
}

/// The error a message over the limit gets: it names the size and the limit.
pub fn oversized_message(size: usize, limit: usize) -> String {
    format!("message of {size} bytes exceeds the size limit of {limit} bytes (mcpd max_message)")
}

/// The error line for an oversized client line (id null when it could not be read).
pub fn oversized_error(over: &Oversize, limit: usize) -> String {
    let id = over.id().unwrap_or(Value::Null);
    error_line(&id, INVALID_REQUEST, &oversized_message(over.size, limit))
}

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

/// `params.<key>` as a string.
pub(super) fn param_str(obj: &Map<String, Value>, key: &str) -> Option<String> {
    let value = obj.get("params")?.get(key)?;
    value.as_str().map(str::to_owned)
}

pub fn error_line(id: &Value, code: i64, message: &str) -> String {
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
