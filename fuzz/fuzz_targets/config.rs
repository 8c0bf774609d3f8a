#![no_main]
//! Config parsing: any text gives a `Config` or a `ConfigError` that names the file, never a panic.

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/config.toml");
    match mcpd::config::Config::parse(text, path) {
        Ok(config) => {
            let _ = config.all_patterns();
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.contains("/fuzz/config.toml"),
                "error does not name the file: {shown}"
            );
        }
    }
});
