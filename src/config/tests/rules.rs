//! The rules beyond types: ranges, required keys, names, strings for the OS, integer range.

use super::*;

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
fn client_limits_have_floors() {
    let e = parse_err("[daemon]\nclient_buffer = \"1KB\"\n");
    assert!(
        e.to_string()
            .contains("daemon.client_buffer: must be at least 64KB"),
        "{e}"
    );
    let e = parse_err("[daemon]\nslow_client_timeout = \"0s\"\n");
    assert!(
        e.to_string()
            .contains("daemon.slow_client_timeout: must be greater than 0"),
        "{e}"
    );
}
