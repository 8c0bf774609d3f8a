//! Error messages: located at file, line, column and dotted key, in the file's terms.

use super::*;

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
            "expected a duration string like \"30s\" or a number of seconds, found a boolean",
        ),
        (
            "[daemon]\nstop_grace = 1.5",
            "daemon.stop_grace",
            "expected a duration string like \"30s\" or a number of seconds, found a float",
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
            "expected a string, found an integer",
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
