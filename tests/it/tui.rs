//! The dashboard in a real terminal: a tmux pane on a private server.

use std::time::Duration;

use crate::support::*;

/// True once the shell has written the dashboard's exit status (a whole line) to `file`.
fn exited(file: &std::path::Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|s| s.ends_with('\n'))
}

fn screen(sb: &Sandbox) -> String {
    sb.tmux_ok(&["capture-pane", "-p", "-t", "=host:"])
}

#[test]
fn tui_draws_opens_help_and_quits_cleanly() {
    let sb = Sandbox::new();
    let exit_file = sb.path().join("exit");
    let err_file = sb.path().join("stderr");
    let cmd = format!(
        "{} tui 2>{}; echo $? > {}; sleep 100",
        env!("CARGO_BIN_EXE_mcpd"),
        err_file.display(),
        exit_file.display()
    );
    sb.tmux_started();
    // The pane gets the sandbox's MCPD_* environment from the tmux server, and no TMUX of its own server.
    sb.tmux_ok(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "host",
        "-x",
        "120",
        "-y",
        "35",
        "env",
        "-u",
        "TMUX",
        "sh",
        "-c",
        &cmd,
    ]);
    let drawn = wait_for(Duration::from_secs(15), || {
        let s = screen(&sb);
        s.contains("MCP processes") && s.contains("orphan")
    });
    assert!(drawn, "dashboard not drawn:\n{}", screen(&sb));
    sb.tmux_ok(&["send-keys", "-t", "=host:", "?"]);
    assert!(
        wait_for(Duration::from_secs(5), || screen(&sb)
            .to_lowercase()
            .contains("help")),
        "no help:\n{}",
        screen(&sb)
    );
    sb.tmux_ok(&["send-keys", "-t", "=host:", "Escape"]);
    sb.tmux_ok(&["send-keys", "-t", "=host:", "q"]);
    assert!(
        wait_for(Duration::from_secs(5), || exited(&exit_file)),
        "did not quit:\n{}",
        screen(&sb)
    );
    assert_eq!(std::fs::read_to_string(&exit_file).unwrap().trim(), "0");
    assert_eq!(
        std::fs::read_to_string(&err_file).unwrap(),
        "",
        "the TUI wrote to stderr"
    );
    // The terminal is back: not on the alternate screen.
    let alt = sb.tmux_ok(&["display-message", "-p", "-t", "=host:", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "0");
}

#[test]
fn tui_without_a_terminal_says_so() {
    let sb = Sandbox::new();
    let out = sb.run(&["tui"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("terminal"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn tui_in_a_real_terminal_esc_stays_filter_is_live_and_the_daemon_state_shows() {
    let sb = Sandbox::with_config(
        "[daemon]\norphan_min_age = \"0s\"\n[servers.notes]\nscope = \"session\"\ncommand = \"sleep\"\nargs = [\"1000\"]\nstart = \"on-connect\"\n",
    );
    let exit_file = sb.path().join("exit");
    let cmd = format!(
        "{} tui 2>/dev/null; echo $? > {}; sleep 100",
        env!("CARGO_BIN_EXE_mcpd"),
        exit_file.display()
    );
    sb.tmux_started();
    sb.tmux_ok(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "host",
        "-x",
        "120",
        "-y",
        "35",
        "env",
        "-u",
        "TMUX",
        "sh",
        "-c",
        &cmd,
    ]);
    sb.tmux_ok(&["new-session", "-d", "-s", "other"]);
    let drawn = wait_for(Duration::from_secs(15), || {
        let s = screen(&sb);
        s.contains("MCP processes") || s.contains("processes")
    });
    assert!(drawn, "dashboard not drawn:\n{}", screen(&sb));
    assert!(
        wait_for(Duration::from_secs(10), || screen(&sb)
            .contains("daemon stopped: D starts it")),
        "no daemon state in the header:\n{}",
        screen(&sb)
    );
    // Esc on the main screen does not quit.
    sb.tmux_ok(&["send-keys", "-t", "=host:", "Escape"]);
    assert!(
        wait_for(Duration::from_secs(5), || screen(&sb).contains("q quits")),
        "Esc gave no hint:\n{}",
        screen(&sb)
    );
    assert!(!exit_file.exists(), "Esc quit the dashboard");
    // The filter applies while typing, to the focused panel (Sessions), counted in its title.
    sb.tmux_ok(&["send-keys", "-t", "=host:", "/", "o", "t", "h"]);
    assert!(
        wait_for(Duration::from_secs(5), || screen(&sb)
            .contains("Sessions 1 of 2")),
        "no live filter count:\n{}",
        screen(&sb)
    );
    sb.tmux_ok(&["send-keys", "-t", "=host:", "Enter"]);
    assert!(
        wait_for(Duration::from_secs(5), || !screen(&sb)
            .contains("as you type")),
        "the filter did not close:\n{}",
        screen(&sb)
    );
    sb.tmux_ok(&["send-keys", "-t", "=host:", "q"]);
    assert!(
        wait_for(Duration::from_secs(5), || exited(&exit_file)),
        "q did not quit:\n{}",
        screen(&sb)
    );
    assert_eq!(std::fs::read_to_string(&exit_file).unwrap().trim(), "0");
}
