#![no_main]
//! Every import format: the text of an agent's config file, read as each known format and as an
//! unknown path (format detected from the content), gives servers or an error naming the file.
//! Whatever it declared, merging the servers into an empty config gives a config that mcpd itself
//! loads: an import never writes a config that `mcpd config check` refuses.

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mcpd::import::{Format, MergeOptions, merge, parse_source};

const FORMATS: [Format; 15] = [
    Format::ClaudeCode,
    Format::McpServers,
    Format::VsCode,
    Format::Codex,
    Format::Gemini,
    Format::Opencode,
    Format::Zed,
    Format::Windsurf,
    Format::Cline,
    Format::Roo,
    Format::Kiro,
    Format::Amp,
    Format::Goose,
    Format::Continue,
    Format::CopilotCli,
];

const NAMES: [&str; 4] = [
    "/p/mcp.json",
    "/p/config.toml",
    "/p/config.yaml",
    "/p/settings",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // One format per input keeps executions fast; the selector byte lets the fuzzer try them all.
    let n = sel as usize % (FORMATS.len() + NAMES.len());
    let (hint, file) = match FORMATS.get(n) {
        Some(f) => (Some(*f), "/p/agent-config"),
        None => (None, NAMES[n - FORMATS.len()]),
    };
    let project = (sel & 0x80 != 0).then_some("/p");
    match parse_source(text, file, hint, project) {
        Ok((_format, found)) => {
            let opts = MergeOptions {
                home: Some("/home/u".into()),
                ..MergeOptions::default()
            };
            let merged = merge(toml_edit::DocumentMut::new(), &found, &opts)
                .expect("an empty config takes any servers");
            if let Err(e) = mcpd::config::Config::parse(&merged.text, Path::new("/p/mcpd.toml")) {
                panic!("imported config does not load: {e}\n---\n{}", merged.text);
            }
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.contains(file),
                "error does not name the file: {shown}"
            );
        }
    }
});
