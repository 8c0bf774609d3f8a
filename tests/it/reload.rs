//! Live reload (`mcpd daemon reload`, SIGHUP, an edit noticed by the next command), and `start` /
//! `restart` / `config check` telling the truth about servers that cannot run.

use std::time::Duration;

use crate::support::*;

const DAEMON: &str =
    "[daemon]\nsweep_interval = \"30s\"\nstop_grace = \"1s\"\nsweep_orphans = false\n";

/// A server running `sleep` under the argv[0] `tag` (found with `named`).
fn server(name: &str, tag: &str, extra: &str) -> String {
    format!(
        "[servers.{name}]\ncommand = \"bash\"\nargs = [\"-c\", \"exec -a {tag} sleep 100000\"]\n{extra}\n"
    )
}

/// Tags unique to a sandbox-to-be.
fn tags(names: &[&str]) -> Vec<String> {
    let probe = Sandbox::new();
    let t = names
        .iter()
        .map(|n| format!("mcp-server-{n}-{}", probe.marker))
        .collect();
    drop(probe);
    t
}

fn one(sb: &Sandbox, tag: &str) -> i32 {
    assert!(
        wait_for(Duration::from_secs(10), || named(tag).len() == 1),
        "{tag} is not running exactly once: {:?}\nstatus: {}\ndaemon.log: {}",
        named(tag),
        text(&sb.run(&["status", "--json"]).stdout),
        std::fs::read_to_string(sb.state.join("daemon.log")).unwrap_or_default()
    );
    named(tag)[0]
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn reload_restarts_changed_stops_removed_starts_added_and_leaves_the_rest() {
    let t = tags(&["keep", "chg1", "chg2", "gone", "new", "lazy"]);
    let sb = Sandbox::with_config(&format!(
        "{DAEMON}{}{}{}",
        server("keep", &t[0], ""),
        server("change", &t[1], ""),
        server("gone", &t[3], "")
    ));
    sb.ok(&["daemon", "start"]);
    let daemon = sb.daemon_pid().unwrap();
    let (keep, chg, gone_pid) = (one(&sb, &t[0]), one(&sb, &t[1]), one(&sb, &t[3]));
    std::fs::write(
        &sb.config,
        format!(
            "{}{}{}{}",
            DAEMON.replace("30s", "1s"),
            server("keep", &t[0], ""),
            server("change", &t[2], ""),
            server("new", &t[4], "")
        ) + &server("lazy", &t[5], "start = \"on-connect\""),
    )
    .unwrap();
    let r = sb.json(&["daemon", "reload", "--json"]);
    assert_eq!(names(&r["changed"]), ["change"], "{r}");
    assert_eq!(names(&r["removed"]), ["gone"], "{r}");
    assert_eq!(names(&r["added"]), ["lazy", "new"], "{r}");
    assert_eq!(names(&r["unchanged"]), ["keep"], "{r}");
    assert_eq!(names(&r["settings"]), ["daemon.sweep_interval"], "{r}");
    assert!(r["errors"].as_array().unwrap().is_empty(), "{r}");
    // Unchanged: the same process. Changed: the new command. Removed: stopped. Added eager: started.
    assert_eq!(named(&t[0]), vec![keep]);
    assert!(gone(chg) && gone(gone_pid), "{r}");
    one(&sb, &t[2]);
    one(&sb, &t[4]);
    assert!(named(&t[5]).is_empty(), "an on-connect server was started");
    assert_eq!(sb.daemon_pid(), Some(daemon));
    // The sweep timer was re-armed: sweeps every second now, not every 30 s.
    let sweeps = |sb: &Sandbox| {
        sb.json(&["status", "--json"])["daemon"]["sweeps"]
            .as_u64()
            .unwrap()
    };
    let before = sweeps(&sb);
    assert!(
        wait_for(Duration::from_secs(25), || sweeps(&sb) >= before + 3),
        "the new sweep_interval was not applied: {} sweeps",
        sweeps(&sb)
    );
    // Nothing more to do: the same config again changes nothing, and says so in text.
    let text = sb.ok(&["daemon", "reload"]);
    assert!(
        text.contains("changed    -") && text.contains("unchanged  change, keep, lazy, new"),
        "{text}"
    );
    assert_eq!(named(&t[0]), vec![keep]);
}

#[test]
fn a_bad_config_is_refused_with_its_location_and_sighup_applies_a_good_one() {
    let t = tags(&["a", "b"]);
    let good = format!("{DAEMON}{}", server("s", &t[0], ""));
    let sb = Sandbox::with_config(&good);
    sb.ok(&["daemon", "start"]);
    let daemon = sb.daemon_pid().unwrap();
    let first = one(&sb, &t[0]);
    // Line 5, column 1: an unknown key.
    std::fs::write(&sb.config, format!("{DAEMON}\nbogus_key = 1\n")).unwrap();
    let out = sb.run(&["daemon", "reload"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    let place = format!("{}:6:1", sb.config.display());
    assert!(
        err.contains(&place) && err.contains("bogus_key") && err.contains("kept"),
        "{err}"
    );
    let out = sb.run(&["daemon", "reload", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let j = expect_json(&["daemon", "reload", "--json"], &text(&out.stdout));
    assert_eq!(j["reloaded"], false);
    assert!(j["error"].as_str().unwrap().contains(&place), "{j}");
    // SIGHUP with the bad file: refused too; the daemon and its server go on.
    let hup = |pid: i32| {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGHUP,
        )
        .unwrap()
    };
    hup(daemon);
    assert_eq!(
        sb.run(&["daemon", "status"]).status.code(),
        Some(1),
        "a bad config must fail the CLI too"
    );
    std::fs::write(&sb.config, &good).unwrap();
    assert!(
        sb.ok(&["daemon", "status"])
            .contains(&format!("pid {daemon}"))
    );
    assert_eq!(named(&t[0]), vec![first]);
    // A good edit, applied by SIGHUP alone.
    std::fs::write(&sb.config, format!("{DAEMON}{}", server("s", &t[1], ""))).unwrap();
    hup(daemon);
    if !wait_for(Duration::from_secs(10), || named(&t[1]).len() == 1) {
        panic!(
            "{} is not running after SIGHUP: {:?}\nstatus: {}\ndaemon.log: {}",
            t[1],
            named(&t[1]),
            text(&sb.run(&["status", "--json"]).stdout),
            std::fs::read_to_string(sb.state.join("daemon.log")).unwrap_or_default()
        );
    }
    assert!(gone(first));
    assert_eq!(sb.daemon_pid(), Some(daemon));
    let status = sb.ok(&["daemon", "status"]);
    assert!(!status.contains("changed since"), "{status}");
}

#[test]
fn an_edited_config_is_noticed_and_restart_runs_the_new_command() {
    let t = tags(&["old", "new"]);
    let sb = Sandbox::with_config(&format!("{DAEMON}{}", server("s", &t[0], "")));
    sb.ok(&["daemon", "start"]);
    let first = one(&sb, &t[0]);
    // Rewritten with the same bytes: not a change.
    let same = std::fs::read(&sb.config).unwrap();
    std::fs::write(&sb.config, &same).unwrap();
    let out = sb.run(&["status"]);
    assert!(
        !text(&out.stderr).contains("changed since"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&sb.config, format!("{DAEMON}{}", server("s", &t[1], ""))).unwrap();
    let out = sb.run(&["status"]);
    assert!(
        text(&out.stderr).contains("changed since the daemon loaded it")
            && text(&out.stderr).contains("mcpd daemon reload"),
        "{}",
        text(&out.stderr)
    );
    let status = sb.ok(&["daemon", "status"]);
    assert!(status.contains("changed since"), "{status}");
    // A command reading another config file is told which file the daemon runs.
    let other = sb.path().join("other.toml");
    std::fs::write(&other, DAEMON).unwrap();
    let out = sb
        .mcpd()
        .env("MCPD_CONFIG", &other)
        .arg("status")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("runs the config {}", sb.config.display()))
            && !err.contains("changed since"),
        "{err}"
    );
    assert_eq!(named(&t[0]), vec![first], "a read-only command reloaded");
    // `restart` acts on the servers: it reloads first, so the new command runs.
    let out = sb.run(&["restart", "s"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("reloaded"),
        "{}",
        text(&out.stderr)
    );
    one(&sb, &t[1]);
    assert!(gone(first));
}

#[test]
fn start_and_restart_fail_when_the_server_cannot_run() {
    let t = tags(&["ok"]);
    let missing = format!("no-such-mcp-command-{}", t[0]);
    let sb = Sandbox::with_config(&format!(
        "{DAEMON}[servers.missing]\ncommand = \"{missing}\"\nstart = \"on-connect\"\n\n\
         [servers.quits]\ncommand = \"sh\"\nargs = [\"-c\", \"echo quitting-now >&2; exit 1\"]\nstart = \"on-connect\"\n\n{}",
        server("fine", &t[0], "start = \"on-connect\"")
    ));
    // `config check` warns about the missing command (and still validates the file).
    let out = sb.run(&["config", "check"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains(&format!(
            "servers.missing: command \"{missing}\" is not on PATH"
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("servers.quits"));
    let out = sb.run(&["start", "missing"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        err.contains("missing did not start")
            && err.contains("exit 127")
            && err.contains("not found"),
        "{err}"
    );
    for verb in ["start", "restart"] {
        let out = sb.run(&[verb, "quits"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{verb}: {}", text(&out.stdout));
        assert!(
            err.contains("quits did not start")
                && err.contains("exit 1")
                && err.contains("quitting-now"),
            "{verb}: {err}"
        );
    }
    let out = sb.ok(&["start", "fine"]);
    assert!(out.contains("started fine"), "{out}");
    one(&sb, &t[0]);
}

#[test]
fn an_added_session_server_starts_in_the_open_sessions() {
    let t = tags(&["glob", "sess"]);
    let sb = Sandbox::with_config(&format!("{DAEMON}{}", server("g", &t[0], "")));
    sb.start_tmux("proj");
    sb.ok(&["daemon", "start"]);
    let g = one(&sb, &t[0]);
    std::fs::write(
        &sb.config,
        format!(
            "{DAEMON}{}{}",
            server("g", &t[0], ""),
            server("per", &t[1], "scope = \"session\"")
        ),
    )
    .unwrap();
    let r = sb.json(&["daemon", "reload", "--json"]);
    assert_eq!(names(&r["added"]), ["per"], "{r}");
    one(&sb, &t[1]);
    let s = sb.server_status("per").unwrap();
    assert_eq!(s["session"], "proj", "{s}");
    assert_eq!(named(&t[0]), vec![g]);
}
