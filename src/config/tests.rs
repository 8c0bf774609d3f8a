use super::template::*;
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
fn errors_display_as_path_line_column_key_message() {
    let e = parse_err("\n\n[servers.fs]\nargs = []\n");
    assert_eq!(
        e.to_string(),
        format!("{PATH}:3:1: servers.fs: missing required key `command`")
    );
    assert_eq!(
        (e.line, e.column, e.key.as_deref()),
        (Some(3), Some(1), Some("servers.fs"))
    );

    let e = ConfigError {
        path: PathBuf::from("/x/config.toml"),
        line: None,
        column: None,
        key: None,
        message: "cannot read".into(),
    };
    assert_eq!(e.to_string(), "/x/config.toml: cannot read");
    let e = ConfigError {
        line: Some(4),
        key: Some("daemon".into()),
        ..e
    };
    assert_eq!(e.to_string(), "/x/config.toml:4: daemon: cannot read");
}

#[test]
fn unknown_keys_are_named_with_their_line() {
    let e = parse_err("[daemon]\nstop_grace = \"3s\"\nsweep_intervall = \"30s\"\n");
    assert_eq!(
        e.to_string(),
        format!(
            "{PATH}:3:1: daemon.sweep_intervall: unknown key (expected one of: \
             sweep_interval, stop_grace, orphan_min_age, history_window, log_max_size, sweep_orphans, client_buffer, slow_client_timeout)"
        )
    );
    let cases: &[(&str, &str, usize, usize)] = &[
        ("colour = 1\n", "colour", 1, 1),
        (
            "[thresholds]\ncpu = { warn = 1, crit = 2 }\n",
            "thresholds.cpu",
            2,
            1,
        ),
        (
            "[thresholds]\nprocesses = { warn = 1, critt = 2 }\n",
            "thresholds.processes.critt",
            2,
            25,
        ),
        ("[match]\npattern = [\"x\"]\n", "match.pattern", 2, 1),
        ("[sessions]\nttl = \"1h\"\n", "sessions.ttl", 2, 1),
        (
            "[servers.fs]\ncommand = \"x\"\nargv = []\n",
            "servers.fs.argv",
            3,
            1,
        ),
        (
            "[servers.fs]\ncommand = \"x\"\n  \"odd key\" = 1\n",
            "servers.fs.\"odd key\"",
            3,
            3,
        ),
        ("[daemon.sub]\nx = 1\n", "daemon.sub", 1, 9),
    ];
    for (text, key, line, column) in cases {
        let e = parse_err(text);
        assert_eq!(e.key.as_deref(), Some(*key), "{e}");
        assert_eq!((e.line, e.column), (Some(*line), Some(*column)), "{e}");
        assert!(
            e.message.starts_with("unknown key (expected one of: "),
            "{e}"
        );
    }
    let e = parse_err("[servers.fs]\ncommand = \"x\"\nsharing = true\n");
    assert!(
        e.message.contains("scope, command, args, env, cwd, start"),
        "{e}"
    );
}

#[test]
fn the_first_error_in_the_file_is_reported() {
    // toml stores keys sorted; we must still report in document order.
    let e = parse_err("zzz = 1\naaa = 2\n");
    assert_eq!(e.key.as_deref(), Some("zzz"));
    let e = parse_err("[servers.b]\nargs = []\n[servers.a]\nargs = []\n");
    assert_eq!(e.key.as_deref(), Some("servers.b"));
}

#[test]
fn wrong_types_say_what_was_expected() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "daemon = 5",
            "daemon",
            "expected a table like [daemon] or { ... }, found an integer",
        ),
        (
            "[daemon]\nsweep_interval = true",
            "daemon.sweep_interval",
            "expected a duration string like \"30s\", found a boolean",
        ),
        (
            "[daemon]\nstop_grace = 1.5",
            "daemon.stop_grace",
            "expected a duration string like \"30s\", found a float",
        ),
        (
            "[daemon]\nlog_max_size = []",
            "daemon.log_max_size",
            "expected a size string like \"300MB\" or a number of bytes, found an array",
        ),
        (
            "[thresholds]\norphans = { warn = \"1\" }",
            "thresholds.orphans.warn",
            "expected a whole number, found a string",
        ),
        (
            "[thresholds]\nrss = 5",
            "thresholds.rss",
            "expected a table like [thresholds.rss] or { ... }, found an integer",
        ),
        (
            "[match]\npatterns = \"x\"",
            "match.patterns",
            "expected a list of strings like [\"a\", \"b\"], found a string",
        ),
        (
            "[match]\nlaunchers = [\"a\", 2]",
            "match.launchers",
            "item 2 is an integer; expected a list of strings",
        ),
        (
            "[sessions]\non_close = \"everything\"",
            "sessions.on_close",
            "expected one of \"mcp\", \"all\", found \"everything\"",
        ),
        (
            "[sessions]\non_close = 1",
            "sessions.on_close",
            "expected one of \"mcp\", \"all\", found an integer",
        ),
        (
            "[servers.a]\ncommand = [\"npx\"]",
            "servers.a.command",
            "expected a string, found an array",
        ),
        (
            "[servers.a]\ncommand = \"x\"\nscope = \"globl\"",
            "servers.a.scope",
            "expected one of \"global\", \"session\", found \"globl\"",
        ),
        (
            "[servers.a]\ncommand = \"x\"\nstart = \"lazy\"",
            "servers.a.start",
            "expected one of \"eager\", \"on-connect\", found \"lazy\"",
        ),
        (
            "[servers.a]\ncommand = \"x\"\nrestart = \"on_failure\"",
            "servers.a.restart",
            "expected one of \"always\", \"on-failure\", \"never\", found \"on_failure\"",
        ),
        (
            "[servers.a]\ncommand = \"x\"\nshare = \"yes\"",
            "servers.a.share",
            "expected one of \"auto\", \"always\", \"session\", \"never\", found \"yes\"",
        ),
        (
            "[servers.a]\ncommand = \"x\"\nenv = { A = 1 }",
            "servers.a.env.A",
            "expected a string, found an integer",
        ),
        (
            "[servers.a]\ncommand = \"x\"\nenv = [\"A=1\"]",
            "servers.a.env",
            "expected a table like [servers.a.env] or { ... }, found an array",
        ),
        (
            "[servers.a]\ncommand = \"x\"\ncwd = 1979-05-27",
            "servers.a.cwd",
            "expected a string, found a date/time",
        ),
        (
            "servers = [1]",
            "servers",
            "expected a table like [servers] or { ... }, found an array",
        ),
        (
            "[[servers]]\ncommand = \"x\"",
            "servers",
            "expected a table like [servers] or { ... }, found an array",
        ),
        (
            "[servers]\nfs = \"npx\"",
            "servers.fs",
            "expected a table like [servers.fs] or { ... }, found a string",
        ),
    ];
    for (text, key, message) in cases {
        let e = parse_err(text);
        assert_eq!(e.key.as_deref(), Some(*key), "{e}");
        assert_eq!(e.message, *message, "{e}");
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
    }
}

#[test]
fn bad_durations_and_sizes_are_located() {
    let e = parse_err("[daemon]\n\norphan_min_age = \"5x\"\n");
    assert_eq!(
        e.to_string(),
        format!(
            "{PATH}:3:18: daemon.orphan_min_age: invalid duration \"5x\": expected a number \
             followed by ms, s, m, h or d (e.g. \"30s\", \"5m\")"
        )
    );
    let e = parse_err("[servers.fs]\ncommand = \"x\"\nmax_rss = \"lots\"\n");
    assert_eq!(e.key.as_deref(), Some("servers.fs.max_rss"));
    assert_eq!((e.line, e.column), (Some(3), Some(11)));
    assert!(e.message.starts_with("invalid size \"lots\""), "{e}");
    let e = parse_err("[daemon]\nhistory_window = -5\n");
    assert_eq!(e.message, "must not be negative");
    let e = parse_err("[daemon]\nhistory_window = \"-5m\"\n");
    assert!(e.message.contains("negative"), "{e}");
    let e = parse_err("[thresholds]\nrss = { warn = \"1ZB\", crit = \"2GB\" }\n");
    assert_eq!(e.key.as_deref(), Some("thresholds.rss.warn"));
}

#[test]
fn thresholds_need_warn_below_crit() {
    let e = parse_err("[thresholds]\nrss = { warn = \"1GB\", crit = \"300MB\" }\n");
    assert_eq!(
        e.to_string(),
        format!("{PATH}:2:7: thresholds.rss: warn (1 GB) must be below crit (300 MB)")
    );
    let e = parse_err("[thresholds]\nprocesses = { warn = 5, crit = 5 }\n");
    assert_eq!(e.message, "warn (5) must be below crit (5)");
    let e = parse_err("[thresholds.orphans]\nwarn = 30\n");
    assert_eq!(e.message, "warn (30) must be below crit (4, the default)");
    assert_eq!((e.line, e.column), (Some(1), Some(1)));
    let e = parse_err("[thresholds]\ndetached_sessions = { crit = 2 }\n");
    assert_eq!(e.message, "warn (3, the default) must be below crit (2)");
    // warn = 0 (always at least a warning) is odd but consistent.
    let c = parse_ok("[thresholds]\norphans = { warn = 0, crit = 1 }\n");
    assert_eq!(c.thresholds.orphans, Threshold { warn: 0, crit: 1 });
}

#[test]
fn servers_need_a_non_empty_command() {
    let e = parse_err("[servers.fs]\n");
    assert_eq!(e.message, "missing required key `command`");
    assert_eq!(e.key.as_deref(), Some("servers.fs"));
    let e = parse_err("servers.fs.args = [\"a\"]\n");
    assert_eq!(e.message, "missing required key `command`");
    assert_eq!(e.line, Some(1));
    let e = parse_err("[servers]\nfs = {}\n");
    assert_eq!(e.message, "missing required key `command`");
    let e = parse_err("[servers.fs]\ncommand = \"  \"\n");
    assert_eq!(
        e.to_string(),
        format!("{PATH}:2:11: servers.fs.command: must not be empty")
    );
}

#[test]
fn server_names_must_be_usable_as_file_names() {
    for good in ["fs", "a", "my-server_2.v1", "A.B", &"x".repeat(64)] {
        let c = parse_ok(&format!("[servers.\"{good}\"]\ncommand = \"x\"\n"));
        assert!(c.servers.contains_key(good));
    }
    for bad in [
        "my server",
        "a/b",
        "..",
        ".",
        "ü",
        "a\\u0000b",
        "",
        "a:b",
        &"x".repeat(65),
    ] {
        let e = parse_err(&format!("\n[servers.\"{bad}\"]\ncommand = \"x\"\n"));
        assert!(e.message.starts_with("invalid server name "), "{e}");
        assert!(e.message.contains("the name becomes a file name"), "{e}");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.key.as_deref().unwrap().starts_with("servers."), "{e}");
    }
    let e = parse_err("[servers.\"my server\"]\ncommand = \"x\"\n");
    assert_eq!(e.key.as_deref(), Some("servers.\"my server\""));
}

#[test]
fn range_rules() {
    let e = parse_err("[daemon]\nsweep_interval = \"500ms\"\n");
    assert_eq!(e.message, "must be at least 1s (found 500ms)");
    assert_eq!(
        parse_ok("daemon.sweep_interval = \"1s\"")
            .daemon
            .sweep_interval,
        secs(1)
    );
    let e = parse_err("[daemon]\nstop_grace = \"10m\"\n");
    assert_eq!(e.message, "must be at most 5m (found 10m)");
    assert_eq!(
        parse_ok("daemon.stop_grace = \"5m\"").daemon.stop_grace,
        secs(300)
    );
    assert_eq!(
        parse_ok("daemon.stop_grace = 0").daemon.stop_grace,
        Duration::ZERO
    );
    let e = parse_err("[servers.fs]\ncommand = \"x\"\nmax_rss = 0\n");
    assert_eq!(e.key.as_deref(), Some("servers.fs.max_rss"));
    assert!(e.message.starts_with("must be greater than 0"), "{e}");
    let e = parse_err("[servers.fs]\ncommand = \"x\"\nmax_rss = \"0MB\"\n");
    assert!(e.message.starts_with("must be greater than 0"), "{e}");
    let e = parse_err("[servers.fs]\ncommand = \"x\"\nidle_timeout = \"0s\"\n");
    assert!(e.message.starts_with("must be greater than 0"), "{e}");
    let e = parse_err("sessions.detached_ttl = \"0m\"\n");
    assert!(e.message.starts_with("must be greater than 0"), "{e}");
    let e = parse_err("daemon.log_max_size = 0\n");
    assert!(e.message.starts_with("must be greater than 0"), "{e}");
}

#[test]
fn strings_for_the_os_reject_nul_and_empty_entries() {
    let e = parse_err("[servers.a]\ncommand = \"np\\u0000x\"\n");
    assert_eq!(e.message, "must not contain a NUL character");
    let e = parse_err("[servers.a]\ncommand = \"x\"\nargs = [\"ok\", \"b\\u0000\"]\n");
    assert_eq!(
        (e.key.as_deref(), e.column),
        (Some("servers.a.args"), Some(15))
    );
    let e = parse_err("[servers.a]\ncommand = \"x\"\nenv = { \"A=B\" = \"1\" }\n");
    assert!(
        e.message.contains("must not be empty or contain `=`"),
        "{e}"
    );
    let e = parse_err("[servers.a]\ncommand = \"x\"\nenv = { \"\" = \"1\" }\n");
    assert!(e.message.contains("must not be empty"), "{e}");
    let e = parse_err("[servers.a]\ncommand = \"x\"\ncwd = \"\"\n");
    assert!(e.message.starts_with("must not be empty"), "{e}");
    let e = parse_err("[match]\npatterns = [\"ok\", \" \"]\n");
    assert_eq!(e.message, "entries must not be empty");
}

#[test]
fn integers_out_of_range_are_errors_not_wraps() {
    for text in [
        "daemon.history_window = 99999999999999999999999999999999999999999999",
        "daemon.history_window = 18446744073709551616",
        "thresholds.processes = { warn = 1, crit = 0xffffffffffffffffffffffff }",
        "daemon.log_max_size = 9223372036854775807000",
    ] {
        let e = parse_err(text);
        assert!(
            e.message.contains("too large") || e.message.starts_with("invalid TOML"),
            "{e}"
        );
    }
    let c = parse_ok("thresholds.processes = { warn = 0x10, crit = 0o77 }");
    assert_eq!(c.thresholds.processes, Threshold { warn: 16, crit: 63 });
    let c = parse_ok("daemon.orphan_min_age = 1_000");
    assert_eq!(c.daemon.orphan_min_age, secs(1000));
}

#[test]
fn syntax_errors_carry_the_parser_position() {
    let e = parse_err("[daemon]\nsweep_interval = 30s\n");
    assert_eq!((e.line, e.column), (Some(2), Some(18)));
    assert_eq!(
        e.message,
        "invalid TOML: string values must be quoted: write \"30s\", not 30s"
    );
    assert_eq!(e.key, None);
    assert!(e.message.starts_with("invalid TOML: "), "{e}");
    let e = parse_err("[daemon]\n[daemon]\n");
    assert_eq!(e.message, "invalid TOML: duplicate key `daemon`");
    assert_eq!((e.line, e.column), (Some(2), Some(2)));
    let e = parse_err("a = \"unterminated\n");
    assert_eq!(e.line, Some(1));
    let e = parse_err("[servers.fs\ncommand = \"x\"\n");
    assert_eq!(e.line, Some(1));
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = parse_err("# é\n[servers.fs]\ncommand = \"ü\" \ncwd = 5\n");
    assert_eq!((e.line, e.column), (Some(4), Some(7)));
    let e = parse_err("env_note = \"ééé\"\nx = 1\n");
    assert_eq!((e.line, e.column), (Some(1), Some(1)));
    assert_eq!(line_col("éa\nb".as_bytes(), 3), (1, 3));
    assert_eq!(line_col(b"ab", 100), (1, 3));
    assert_eq!(line_col("é".as_bytes(), 1), (1, 2));
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
        Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
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

#[test]
fn default_config_toml_parses_to_the_defaults() {
    let text = default_config_toml();
    assert_eq!(
        Config {
            source: None,
            ..parse_ok(&text)
        },
        Config::default()
    );
    assert!(
        text.contains("\"@modelcontextprotocol/*\", \"mcp-*\""),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    assert!(!text.contains("{patterns}") && !text.contains("{launchers}"));
    // Every option of every section is documented.
    for key in DAEMON_KEYS
        .iter()
        .chain(THRESHOLD_KEYS)
        .chain(MATCH_KEYS)
        .chain(SESSION_KEYS)
        .chain(SERVER_KEYS)
    {
        assert!(
            text.contains(&format!("# {key} = ")) || text.contains(&format!("#   {key} = ")),
            "{key} missing"
        );
    }
    for section in TOP_KEYS.iter().filter(|s| **s != "servers") {
        assert!(
            text.contains(&format!("# [{section}]")),
            "[{section}] missing"
        );
    }
}

/// Uncomments `# key = value` and `# [table]` lines (but not prose or indented examples).
fn uncomment(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest.split_once(" = ").is_some_and(|(key, _)| {
                        !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    }) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn default_config_toml_shows_the_real_defaults() {
    let text = default_config_toml();
    let (settings, examples) = text.split_at(text.find("\n# -----").unwrap());
    let uncommented = uncomment(settings);
    assert!(
        uncommented.contains("\n[daemon]\n# How often")
            && uncommented.contains("\nsweep_interval = \"30s\"\n"),
        "{uncommented}"
    );
    assert_eq!(
        Config {
            source: None,
            ..parse_ok(&uncommented)
        },
        Config::default()
    );

    // The examples are valid too, and say what they claim.
    let c = parse_ok(&format!("{uncommented}\n{}", uncomment(examples)));
    let fs = &c.servers["filesystem"];
    assert_eq!(
        (fs.scope, fs.command.as_str(), fs.share),
        (Scope::Global, "npx", Share::Auto)
    );
    assert_eq!(fs.env["LOG_LEVEL"], "warn");
    assert_eq!(fs.max_rss, Some(500_000_000));
    let serena = &c.servers["serena"];
    assert_eq!(
        (serena.scope, serena.start),
        (Scope::Session, StartMode::OnConnect)
    );
}

/// A small deterministic generator, so the garbage test needs no extra dependency.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn garbage_never_panics() {
    let mut inputs: Vec<String> = vec![
        String::from_utf8_lossy(&[0, 159, 146, 150, 255, 10, 91, 93, 61, 0]).into_owned(),
        "\u{feff}[daemon]\nstop_grace = \"1s\"".into(),
        "[".repeat(100_000),
        "a = ".to_owned() + &"[".repeat(100_000),
        "a = ".to_owned() + &"{ b = ".repeat(10_000),
        "a".to_owned() + &".a".repeat(10_000) + " = 1",
        "[".to_owned() + &"a.".repeat(10_000) + "a]",
        "[[servers]]\n".repeat(1000),
        "servers.x.env.".to_owned() + &"a.".repeat(70) + "b = 1",
        "daemon.sweep_interval = 1e400".into(),
        "daemon.sweep_interval = nan".into(),
        "daemon.sweep_interval = -inf".into(),
        format!("daemon.sweep_interval = \"{}\"", "9".repeat(100_000)),
        format!("[servers.\"{}\"]\ncommand = \"x\"", "n".repeat(100_000)),
        "=".into(),
        "\"\" = 1".into(),
        "[servers.\"\"]".into(),
        "\r\r\r".into(),
        "\\".into(),
        "a = \"\\uD800\"".into(),
        "a = 1979-05-27T07:32:00Z".into(),
        "x".repeat(1_000_000),
    ];
    // Random mixtures of plausible and implausible fragments.
    let fragments = [
        "[daemon]",
        "[servers.a]",
        "[thresholds]",
        "[match]",
        "[sessions]",
        "[servers]",
        "sweep_interval",
        "stop_grace",
        "command",
        "args",
        "env",
        "rss",
        "processes",
        "warn",
        "crit",
        "max_rss",
        "scope",
        "x",
        " = ",
        "=",
        "\n",
        "\"30s\"",
        "\"1GB\"",
        "0",
        "-1",
        "99999999999999999999",
        "1.5",
        "true",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\"",
        "'",
        "#",
        ".",
        " ",
        "\u{0}",
        "é",
        "\"\\u0000\"",
        "[[",
        "]]",
        "0x",
        "1979-05-27",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = (rng.next() % 40) as usize;
        inputs.push((0..len).map(|_| rng.pick(&fragments)).collect());
    }
    for input in &inputs {
        match parse(input) {
            Ok(config) => assert_eq!(config.source.as_deref(), Some(Path::new(PATH))),
            Err(e) => {
                let shown = e.to_string();
                assert!(shown.starts_with(PATH));
                // Messages quote values, but never echo a megabyte of input.
                assert!(
                    shown.len() < 2_000,
                    "message too long: {}",
                    shown.chars().take(300).collect::<String>()
                );
            }
        }
    }
}
