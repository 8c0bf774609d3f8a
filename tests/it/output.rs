//! Output that behaves: every printing command ends quietly when its reader goes away.

use std::process::Stdio;

use crate::support::*;

/// Runs mcpd with stdout a pipe whose reader is already closed; returns (status code, stderr).
fn with_closed_reader(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    let out = sb
        .mcpd()
        // import and link read agents' configs under HOME: the sandbox's, never the user's.
        .env("HOME", sb.path())
        .current_dir(sb.path())
        .args(args)
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (out.status.code(), text(&out.stderr))
}

#[test]
fn broken_pipe_ends_every_printing_command_quietly() {
    let sb = Sandbox::new();
    let commands: &[&[&str]] = &[
        &[],
        &["status"],
        &["status", "--json"],
        &["ps"],
        &["ps", "--json"],
        &["clean", "--dry-run"],
        &["clean", "--dry-run", "--json"],
        &["completions", "bash"],
        &["config", "path"],
        &["config", "path", "--json"],
        &["config", "check"],
        &["init", "--stdout"],
        &["import", "--dry-run", "--json"],
        &["link", "all", "--dry-run"],
        &["man"],
        &["daemon", "status"],
        &["hook", "status"],
        &["--help"],
        &["--version"],
    ];
    for args in commands {
        let (code, stderr) = with_closed_reader(&sb, args);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "mcpd {args:?}: {stderr}"
        );
        // 141 is what a shell reports for SIGPIPE. `daemon status` and `hook status` may end
        // earlier with their own status (no daemon, no tmux server); clap prints help itself.
        let own_status = matches!(
            args.first(),
            Some(&"daemon") | Some(&"hook") | Some(&"--help") | Some(&"--version")
        );
        if !own_status {
            assert_eq!(code, Some(141), "mcpd {args:?}: stderr {stderr}");
            assert_eq!(stderr, "", "mcpd {args:?}");
        }
    }
}

#[test]
fn status_points_out_servers_running_once_per_session() {
    let sb = Sandbox::new();
    // A stand-in MCP server: `sleep` under an MCP-like name, one copy per tmux session.
    let server = sb.path().join("mcp-server-dupe");
    std::os::unix::fs::symlink("/bin/sleep", &server).unwrap();
    let cmd = format!("{} 1000", server.display());
    sb.start_tmux("one");
    sb.tmux_ok(&["respawn-pane", "-k", "-t", "=one:", &cmd]);
    sb.tmux_ok(&["new-session", "-d", "-s", "two", &cmd]);
    // Both copies running (the tmux server's own command line carries the marker too, so
    // count the servers by their program).
    let prog = server.display().to_string();
    let running = || {
        marked(&sb.marker)
            .into_iter()
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.starts_with(prog.as_bytes()))
            })
            .count()
    };
    let ok = wait_for(std::time::Duration::from_secs(10), || running() == 2);
    assert!(ok, "servers did not start");
    let out = sb.ok(&["status"]);
    assert!(
        out.contains("2 copies of mcp-server-dupe in 2 sessions"),
        "{out}"
    );
    assert!(out.contains("`mcpd link all` shares them"), "{out}");
    let j = sb.json(&["status", "--json"]);
    assert!(
        j["recommendations"]
            .to_string()
            .contains("2 copies of mcp-server-dupe"),
        "{j:#}"
    );
    assert_eq!(j["duplicates"][0]["copies"], 2, "{j:#}");
    assert_eq!(j["duplicates"][0]["server"], "mcp-server-dupe", "{j:#}");
}

#[test]
fn a_missing_config_given_is_an_error_saying_what_to_do_but_the_default_may_be_missing() {
    let sb = Sandbox::new();
    let out = sb.run(&["--config", "/nonexistent/mcpd.toml", "status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("/nonexistent/mcpd.toml: no such config file") && err.contains("mcpd init"),
        "{err}"
    );
    // The default path, missing, means the built-in defaults.
    let home = sb.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = sb
        .mcpd()
        .env_remove("MCPD_CONFIG")
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", &home)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn usage_lines_do_not_show_options_that_come_from_the_environment() {
    let sb = Sandbox::new();
    let out = sb.run(&["connect"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let usage = err.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(
        usage.ends_with("<SERVER>") && !usage.contains("--config") && !usage.contains("--tmux"),
        "{err}"
    );
}

#[test]
fn quiet_silences_commands_that_report_what_they_did() {
    let sb = Sandbox::new();
    std::fs::remove_file(&sb.config).unwrap();
    let out = sb.run(&["-q", "init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(sb.config.exists());
    let out = sb.run(&["init"]);
    assert_eq!(out.status.code(), Some(1));
    let out = sb.run(&["-q", "status", "--check"]);
    assert_eq!(text(&out.stdout), "");
    // Data asked for is still printed.
    assert!(!sb.ok(&["-q", "config", "path"]).is_empty());
}

#[test]
fn tm_without_a_terminal_says_so() {
    let sb = Sandbox::new();
    sb.tmux_started();
    let out = sb
        .mcpd()
        .args(["tm", "noterm", "-c"])
        .arg(sb.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("not a terminal")
            && err.contains("mcpd tm -d")
            && !err.contains("open terminal failed"),
        "{err}"
    );
}

#[test]
fn clean_dry_run_names_young_orphans_and_when_they_become_eligible() {
    // The orphan lives in a private PID namespace whose PID 1 (a shell) adopts it.
    let sb = Sandbox::with_config("[daemon]\norphan_min_age = \"1h\"\n");
    let server = sb.path().join("mcp-server-young");
    std::os::unix::fs::symlink("/bin/sleep", &server).unwrap();
    let ns = crate::pidns::Ns::new(sb);
    let pid = ns.orphan(
        ns.sb.path(),
        &format!("{} 1000", crate::pidns::q(server.display().to_string())),
    );
    assert_eq!(ns.parent(pid), Some(1));
    let out = ns.run(&["clean", "--dry-run"]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}{}", text(&out.stderr));
    assert!(!shown.contains("Nothing to do"), "{shown}");
    assert!(shown.contains("1 orphan(s) too young to stop"), "{shown}");
    assert!(
        shown.contains("eligible in 59m") || shown.contains("eligible in 1h"),
        "{shown}"
    );
}

#[test]
fn unreachable_tmux_is_said_as_such_and_sessions_are_not_judged_gone() {
    let sb = Sandbox::new();
    // A socket path longer than a Unix socket can be: tmux cannot connect to it.
    let unreachable = sb.path().join("x".repeat(120));
    let out = sb
        .mcpd()
        .env("MCPD_TMUX_SOCKET", &unreachable)
        .args(["clean", "--dry-run"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(err.contains("cannot reach the tmux server"), "{err}");
    assert!(
        !text(&out.stdout).contains("is gone"),
        "{}",
        text(&out.stdout)
    );
    let status = sb
        .mcpd()
        .env("MCPD_TMUX_SOCKET", &unreachable)
        .arg("status")
        .output()
        .unwrap();
    assert!(
        text(&status.stdout).contains("cannot reach the tmux server"),
        "{}",
        text(&status.stdout)
    );
}

#[test]
fn connect_and_start_refuse_a_session_that_does_not_exist() {
    let sb = Sandbox::with_config(
        "[servers.notes]\nscope = \"session\"\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    sb.start_tmux("real");
    for verb in ["connect", "start"] {
        let out = sb.run(&[verb, "notes", "--session", "nosuch"]);
        assert_eq!(out.status.code(), Some(1), "{verb}");
        let err = text(&out.stderr);
        assert!(
            err.contains("no tmux session named \"nosuch\"") && err.contains("sessions: real"),
            "{verb}: {err}"
        );
    }
    assert!(
        sb.daemon_pid().is_none(),
        "a daemon was started for a missing session"
    );
}
