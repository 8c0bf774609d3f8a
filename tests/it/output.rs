//! Output that behaves: every printing command ends quietly when its reader goes away.

use std::process::Stdio;

use crate::support::*;

/// Runs mcpd with stdout a pipe whose reader is already closed; returns (status code, stderr).
fn with_closed_reader(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    let out = sb
        .mcpd()
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
    let ok = wait_for(std::time::Duration::from_secs(10), || {
        marked(&sb.marker).len() >= 2
    });
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
}
