#![no_main]
//! The mux's wire helpers on arbitrary bytes: finding and splicing a member (`span`, `splice`,
//! `with_id`) keeps the line valid JSON with only that member changed; the id of an oversized line
//! is read from its kept ends without panicking, and the error it gets is one valid JSON line.

use libfuzzer_sys::fuzz_target;
use mcpd::daemon::router::wire::{OVERSIZE_KEEP, Oversize, oversized_error, span, splice, with_id};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(r) = span(&text, &["id"]) {
        assert!(
            text.get(r.clone()).is_some(),
            "span {r:?} is not on character boundaries"
        );
    }
    if let Ok(Value::Object(before)) = serde_json::from_str::<Value>(&text) {
        let id = Value::from(7u64);
        let line = with_id(&text, &id);
        if let Ok(Value::Object(after)) = serde_json::from_str::<Value>(&line) {
            if before.contains_key("id") {
                assert_eq!(after.get("id"), Some(&id), "{line}");
            }
            for (k, v) in &before {
                if k != "id" {
                    assert_eq!(after.get(k), Some(v), "member {k} changed: {line}");
                }
            }
        } else if before.contains_key("id") {
            panic!("with_id broke the line: {line}");
        }
        if let Some(s) = splice(&text, &["params", "_meta", "progressToken"], "\"mcpd-1\"") {
            let v: Value = serde_json::from_str(&s).expect("a splice keeps JSON valid");
            assert_eq!(
                v.pointer("/params/_meta/progressToken"),
                Some(&Value::from("mcpd-1"))
            );
        }
    }
    let (head, tail) = data.split_at(data.len() / 2);
    let over = Oversize {
        size: data.len() + (1 << 20),
        head: head[..head.len().min(OVERSIZE_KEEP)].to_vec(),
        tail: tail[tail.len().saturating_sub(OVERSIZE_KEEP)..].to_vec(),
    };
    if let Some(id) = over.id() {
        assert!(id.is_string() || id.is_number());
    }
    let _ = over.is_request();
    let err = oversized_error(&over, 1 << 20);
    assert!(!err.contains('\n'));
    serde_json::from_str::<Value>(&err).expect("the oversize error is JSON");
});
