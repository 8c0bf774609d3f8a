#![no_main]
//! JSONC: `strip` blanks comments and trailing commas without moving anything (same characters
//! count, newlines where they were, so the JSON parser's line:column still point into the file),
//! leaves valid JSON exactly as it was, and is idempotent.

use libfuzzer_sys::fuzz_target;
use mcpd::import::jsonc::strip;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let out = strip(text);
    assert_eq!(
        out.chars().count(),
        text.chars().count(),
        "strip moved characters"
    );
    let nl = |s: &str| s.char_indices().filter(|(_, c)| *c == '\n').count();
    assert_eq!(nl(&out), nl(text), "strip changed the line count");
    for (a, b) in text.chars().zip(out.chars()) {
        assert!(
            a == b || b == ' ' || (a == '\n') == (b == '\n'),
            "{a:?} became {b:?}"
        );
        assert_eq!(a == '\n', b == '\n', "a newline moved");
    }
    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        assert_eq!(out, text, "strip changed valid JSON");
    }
    // Idempotent where it worked (a doubled comma, invalid JSONC, may need two passes).
    if serde_json::from_str::<serde_json::Value>(&out).is_ok() {
        assert_eq!(strip(&out), out, "strip is not idempotent");
    }
});
