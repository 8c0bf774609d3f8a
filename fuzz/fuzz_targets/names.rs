#![no_main]
//! Session names: `normalize` either refuses a name with a reason or returns one that `validate`
//! accepts, that normalizes to itself, and that tmux cannot misread. The same for names taken from a
//! folder, and for the import's server-name sanitizer.

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mcpd::names::{NameError, from_dir, normalize, validate};

fn check_name(name: &str) {
    validate(name).expect("a normalized name validates");
    assert_eq!(
        normalize(name).as_deref(),
        Ok(name),
        "normalize is not idempotent"
    );
    assert!(!name.is_empty() && name.len() <= 200);
    assert!(!name.contains(['.', ':', '#']) && !name.chars().any(char::is_whitespace));
    assert!(!name.starts_with(['$', '@', '%', '~']));
    assert!(!name.chars().any(char::is_control));
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match normalize(&raw) {
        Ok(name) => check_name(&name),
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.is_empty());
            if let NameError::TooLong(n) = e {
                assert!(n > 200);
            }
        }
    }
    match from_dir(Path::new(raw.as_ref())) {
        Ok(name) => check_name(&name),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let (server, note) = mcpd::import::sanitize_name(&raw);
    assert!(
        mcpd::import::valid_name(&server),
        "sanitized name {server:?} is not valid"
    );
    assert_eq!(note.is_none(), server == raw);
    let _ = mcpd::import::path_segment(&raw);
});
