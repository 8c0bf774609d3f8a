//! Tests of the config module: parsing into the schema here, errors and rules in `errors`
//! and `rules`, the commented default file and hostile input in `template`.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

const PATH: &str = "/home/u/.config/mcpd/config.toml";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new(PATH))
}

fn parse_ok(text: &str) -> Config {
    parse(text).unwrap_or_else(|e| panic!("unexpected error: {e}\n--- input ---\n{text}"))
}

/// Parses text that must fail and returns the error, checking it always names the file.
fn parse_err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(config) => panic!("expected an error, got {config:?}\n--- input ---\n{text}"),
        Err(e) => {
            assert_eq!(e.path, Path::new(PATH));
            assert!(e.to_string().starts_with(PATH), "{e}");
            e
        }
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

mod errors;
mod rules;
mod template;

#[test]
fn defaults_match_the_design() {
    let c = Config::default();
    assert_eq!(c.daemon.sweep_interval, secs(30));
    assert_eq!(c.daemon.stop_grace, secs(3));
    assert_eq!(c.daemon.orphan_min_age, secs(60));
    assert_eq!(c.daemon.history_window, secs(24 * 3600));
    assert_eq!(c.daemon.log_max_bytes, 1_000_000);
    assert_eq!(c.thresholds.processes, Threshold { warn: 10, crit: 21 });
    assert_eq!(
        c.thresholds.rss,
        Threshold {
            warn: 300_000_000,
            crit: 1_000_000_000
        }
    );
    assert_eq!(
        c.thresholds.detached_sessions,
        Threshold { warn: 3, crit: 6 }
    );
    assert_eq!(c.thresholds.orphans, Threshold { warn: 1, crit: 4 });
    assert!(c.matching.patterns.is_empty() && c.matching.launchers.is_empty());
    assert_eq!(c.sessions.on_close, OnClose::Mcp);
    assert_eq!(c.sessions.detached_ttl, None);
    assert!(c.servers.is_empty());
    assert_eq!(c.source, None);
    let s = ServerConfig::default();
    assert_eq!(
        (s.scope, s.start, s.restart, s.share),
        (
            Scope::Global,
            StartMode::Eager,
            RestartPolicy::OnFailure,
            Share::Auto
        )
    );
}

#[test]
fn empty_and_comment_only_files_are_the_defaults() {
    for text in ["", "\n\n", "# nothing here\n", "  \t\n# x\n\r\n"] {
        let c = parse_ok(text);
        assert_eq!(c.source.as_deref(), Some(Path::new(PATH)));
        assert_eq!(Config { source: None, ..c }, Config::default());
    }
}

#[test]
fn the_design_example_parses() {
    let c = parse_ok(
        r#"
[daemon]
sweep_interval = "30s"     # reconcile, adopt, sweep, sample history
stop_grace = "3s"          # SIGTERM -> SIGKILL
orphan_min_age = "60s"
history_window = "2h"
log_max_size = "5MiB"

[thresholds]               # value >= warn is a warning, >= crit is critical
processes = { warn = 10, crit = 21 }
rss = { warn = "300MB", crit = "1GB" }
detached_sessions = { warn = 3, crit = 6 }
orphans = { warn = 1, crit = 4 }

[match]                    # added to the built-in lists
patterns = ["my-internal-mcp"]
launchers = ["pnpm", "rye"]

[sessions]
on_close = "all"
detached_ttl = "12h"

[servers.filesystem]
scope = "global"
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "~/Projects"]
env = { LOG_LEVEL = "warn" }
cwd = "~"
start = "eager"
restart = "on-failure"
max_rss = "500MB"
idle_timeout = "10m"

[servers."serena.v2"]
scope = "session"
command = "uvx"
start = "on-connect"
restart = "never"
share = false
"#,
    );
    assert_eq!(c.daemon.history_window, secs(7200));
    assert_eq!(c.daemon.log_max_bytes, 5 << 20);
    assert_eq!(c.thresholds, Thresholds::default());
    assert_eq!(c.matching.patterns, ["my-internal-mcp"]);
    assert_eq!(c.sessions.on_close, OnClose::All);
    assert_eq!(c.sessions.detached_ttl, Some(secs(12 * 3600)));
    let fs = &c.servers["filesystem"];
    assert_eq!(fs.command, "npx");
    assert_eq!(fs.args.len(), 3);
    assert_eq!(fs.env["LOG_LEVEL"], "warn");
    assert_eq!(fs.cwd.as_deref(), Some("~"));
    assert_eq!(fs.max_rss, Some(500_000_000));
    assert_eq!(fs.idle_timeout, Some(secs(600)));
    assert_eq!(fs.share, Share::Auto);
    let serena = &c.servers["serena.v2"];
    assert_eq!(serena.scope, Scope::Session);
    assert_eq!(serena.start, StartMode::OnConnect);
    assert_eq!(serena.restart, RestartPolicy::Never);
    assert_eq!(serena.share, Share::Never);
    assert!(serena.args.is_empty() && serena.env.is_empty() && serena.cwd.is_none());
}

#[test]
fn alternative_spellings_of_the_same_values() {
    let c = parse_ok(
        "daemon.sweep_interval = 45\n\
         [thresholds.rss]\nwarn = 1000\ncrit = 2000\n\
         [thresholds.processes]\ncrit = 50\n\
         [servers]\nfs = { command = \"x\", max_rss = 1024 }\n",
    );
    assert_eq!(c.daemon.sweep_interval, secs(45));
    assert_eq!(
        c.thresholds.rss,
        Threshold {
            warn: 1000,
            crit: 2000
        }
    );
    assert_eq!(c.thresholds.processes, Threshold { warn: 10, crit: 50 });
    assert_eq!(c.servers["fs"].max_rss, Some(1024));
}

#[test]
fn patterns_and_launchers_are_defaults_plus_user() {
    let c = parse_ok("[match]\npatterns = [\"my-mcp\", \"serena\"]\nlaunchers = [\"rye\"]\n");
    let patterns = c.all_patterns();
    assert_eq!(patterns.len(), DEFAULT_PATTERNS.len() + 1);
    assert_eq!(patterns[..DEFAULT_PATTERNS.len()], *DEFAULT_PATTERNS);
    assert_eq!(patterns.last().map(String::as_str), Some("my-mcp"));
    assert_eq!(c.matching.launchers, ["rye"]);
    assert_eq!(Config::default().all_patterns(), DEFAULT_PATTERNS);
    let c =
        parse_ok("[match]\npatterns = [\"mine\"]\nreplace = true\nexclude = [\"serena-notes\"]\n");
    assert_eq!(c.all_patterns(), ["mine"]);
    assert_eq!(c.matching.exclude, ["serena-notes"]);
    let e = parse_err("[match]\nreplace = \"yes\"\n");
    assert!(e.to_string().contains("match.replace"), "{e}");
}

#[test]
fn share_takes_keywords_and_the_old_booleans() {
    for (text, want) in [
        ("\"auto\"", Share::Auto),
        ("\"always\"", Share::Always),
        ("\"session\"", Share::Session),
        ("\"never\"", Share::Never),
        ("false", Share::Never),
        ("true", Share::Auto),
    ] {
        let c = parse_ok(&format!("[servers.a]\ncommand = \"x\"\nshare = {text}"));
        assert_eq!(c.servers["a"].share, want, "{text}");
    }
    let c = parse_ok("[servers.a]\ncommand = \"x\"\nmax_instances = 2\nmax_message = \"1MB\"");
    assert_eq!(
        (c.servers["a"].max_instances, c.servers["a"].max_message),
        (2, 1_000_000)
    );
    let e = parse_err("[servers.a]\ncommand = \"x\"\nmax_instances = 0").to_string();
    assert!(
        e.contains("servers.a.max_instances") && e.contains("between 1 and 1000"),
        "{e}"
    );
    let e = parse_err("[servers.a]\ncommand = \"x\"\nmax_message = 10").to_string();
    assert!(
        e.contains("servers.a.max_message") && e.contains("at least 1KB"),
        "{e}"
    );
}

#[test]
fn keyword_enums_spell_like_the_file() {
    assert_eq!(
        [Scope::Global, Scope::Session].map(Scope::as_str),
        ["global", "session"]
    );
    assert_eq!(StartMode::OnConnect.to_string(), "on-connect");
    assert_eq!(RestartPolicy::OnFailure.to_string(), "on-failure");
    assert_eq!(OnClose::All.to_string(), "all");
    // serde uses the same spelling (for `status --json`).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Wrap {
        s: StartMode,
        r: RestartPolicy,
    }
    let text = toml::to_string(&Wrap {
        s: StartMode::OnConnect,
        r: RestartPolicy::OnFailure,
    })
    .unwrap();
    assert_eq!(text, "s = \"on-connect\"\nr = \"on-failure\"\n");
    let back: Wrap = toml::from_str(&text).unwrap();
    assert_eq!(
        (back.s, back.r),
        (StartMode::OnConnect, RestartPolicy::OnFailure)
    );
}

#[test]
fn keyword_enums_parse_their_spelling_and_name_the_choices() {
    assert_eq!("on-connect".parse::<StartMode>(), Ok(StartMode::OnConnect));
    assert_eq!(
        "lazy".parse::<StartMode>().unwrap_err(),
        "expected one of \"eager\", \"on-connect\", found \"lazy\""
    );
    for share in [Share::Auto, Share::Always, Share::Session, Share::Never] {
        assert_eq!(share.as_str().parse::<Share>(), Ok(share));
        assert_eq!(serde_json::to_value(share).unwrap(), share.as_str());
    }
    assert_eq!(de::names::<OnClose>(), ["mcp", "all"]);
    assert_eq!(
        de::names::<Config>(),
        ["daemon", "thresholds", "match", "sessions", "servers"]
    );
}

#[test]
fn load_missing_file_gives_defaults_without_source() {
    let dir = tempfile::tempdir().unwrap();
    let c = Config::load(&dir.path().join("nope.toml")).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.source, None);
}

#[test]
fn load_reads_and_records_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[servers.fs]\ncommand = \"npx\"\n").unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(c.source.as_deref(), Some(path.as_path()));
    assert_eq!(c.servers["fs"].command, "npx");
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // A directory cannot be read as a file.
    let e = Config::load(dir.path()).unwrap_err();
    assert_eq!(e.path, dir.path());
    assert!(
        e.message.starts_with("cannot read the config file: "),
        "{e}"
    );
    assert_eq!(e.line, None);

    let path = dir.path().join("config.toml");
    std::fs::write(&path, b"[daemon]\nstop_grace = \"3\xff\xfes\"\n").unwrap();
    let e = Config::load(&path).unwrap_err();
    assert_eq!(e.message, "the file is not valid UTF-8 text");
    assert_eq!((e.line, e.column), (Some(2), Some(16)));
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2:16: ", path.display())),
        "{e}"
    );

    std::fs::write(&path, "[daemon]\nbogus = 1\n").unwrap();
    let e = Config::load(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:1: daemon.bogus: unknown key (expected one of: sweep_interval, stop_grace, orphan_min_age, history_window, log_max_size, sweep_orphans, client_buffer, slow_client_timeout)",
            path.display()
        )
    );
}
