//! The daemon: lifecycle, re-adoption after SIGKILL, restarts and crash loops, escaped grandchildren,
//! max_rss, and a control socket that survives garbage.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::support::*;

fn config(servers: &str) -> String {
    format!(
        // No orphan sweeps: they would stop the orphans other tests make (or the developer's own).
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\nsweep_orphans = false\n\n{servers}"
    )
}

#[test]
fn sigkilled_daemon_is_replaced_and_readopts_its_server_exactly_once() {
    let probe = Sandbox::new();
    let tag = format!("mcp-server-g-{}", probe.marker);
    drop(probe);
    let sb = Sandbox::with_config(&config(&format!(
        "[servers.fs]\ncommand = \"bash\"\nargs = [\"-c\", \"exec -a {tag} sleep 100000\"]\n"
    )));
    let out = sb.ok(&["daemon", "start"]);
    assert!(out.contains("daemon started"), "{out}");
    assert!(
        wait_for(Duration::from_secs(10), || named(&tag).len() == 1),
        "server did not start"
    );
    let server = named(&tag)[0];
    sb.track(server);
    assert_eq!(sb.run(&["daemon", "status"]).status.code(), Some(0));
    let first = sb.daemon_pid().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert!(wait_for(Duration::from_secs(5), || sb
        .daemon_pid()
        .is_none()));
    assert_eq!(sb.run(&["daemon", "status"]).status.code(), Some(1));

    sb.ok(&["daemon", "start"]);
    assert_ne!(sb.daemon_pid(), Some(first));
    // Settled: a sweep has run since the start (adoption, and any start, are behind it), and the
    // daemon reports the old server as its own.
    assert!(
        wait_for(Duration::from_secs(10), || {
            let j = sb.json(&["status", "--json"]);
            j["daemon"]["sweeps"].as_u64().is_some_and(|n| n >= 2)
                && j["servers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["pid"] == server)
        }),
        "the new daemon did not take its server back"
    );
    assert_eq!(
        named(&tag),
        vec![server],
        "not exactly the one re-adopted instance"
    );
    let s = sb.server_status("fs").unwrap();
    assert_eq!(s["state"], "running", "{s}");
    assert_eq!(s["pid"], server);

    sb.ok(&["daemon", "stop"]);
    assert!(
        wait_for(Duration::from_secs(5), || named(&tag).is_empty()),
        "daemon stop left the server"
    );
    assert!(!sb.runtime.join("mcpd.sock").exists());
    // The lock file is never deleted (a deleted one lets a second daemon lock a new file); unlocked.
    let lock = std::fs::File::open(sb.state.join("daemon.lock")).unwrap();
    assert!(
        nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock).is_ok(),
        "the stopped daemon's lock is still held"
    );
}

#[test]
fn crashing_server_is_restarted_with_backoff_and_a_crash_loop_ends_failed() {
    let sb = Sandbox::with_config(&config(
        "[servers.crashy]\ncommand = \"bash\"\nargs = [\"-c\", \"echo boom-from-crashy >&2; exit 3\"]\n",
    ));
    sb.ok(&["daemon", "start"]);
    // Failures at about 0, 1, 3, 7 and 15 s (backoff 1, 2, 4, 8 s), then the crash loop stops it.
    let mut seen_backoff = false;
    let failed = wait_for(Duration::from_secs(40), || {
        let s = sb.server_status("crashy").unwrap();
        seen_backoff |= s["state"] == "backoff";
        s["state"] == "failed"
    });
    let s = sb.server_status("crashy").unwrap();
    assert!(failed, "never failed: {s}");
    assert!(seen_backoff);
    assert_eq!(s["restarts"], 4, "{s}");
    assert_eq!(s["last_exit"], "exit 3");
    assert!(
        s["last_log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "boom-from-crashy"),
        "{s}"
    );
    let text = sb.ok(&["status"]);
    assert!(
        text.contains("failed")
            && text.contains("boom-from-crashy")
            && text.contains("mcpd restart crashy"),
        "{text}"
    );
}

#[test]
fn daemon_stop_leaves_no_double_forked_grandchild() {
    let probe = Sandbox::new();
    let (srv, gc) = (
        format!("mcp-server-df-{}", probe.marker),
        format!("grandchild-{}", probe.marker),
    );
    drop(probe);
    let script =
        format!("(setsid bash -c 'exec -a {gc} sleep 100000' &); exec -a {srv} sleep 100000");
    let sb = Sandbox::with_config(&config(&format!(
        "[servers.df]\ncommand = \"bash\"\nargs = [\"-c\", \"{}\"]\n",
        script.replace('"', "\\\"")
    )));
    sb.ok(&["daemon", "start"]);
    assert!(
        wait_for(Duration::from_secs(10), || named(&srv).len() == 1
            && named(&gc).len() == 1),
        "tree did not start"
    );
    let (s, g) = (named(&srv)[0], named(&gc)[0]);
    sb.track(s);
    sb.track(g);
    // The grandchild escaped into its own session; as a subreaper the daemon became its parent.
    let ppid = std::fs::read_to_string(format!("/proc/{g}/stat"))
        .unwrap()
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<i32>()
        .unwrap();
    assert_eq!(
        Some(ppid),
        sb.daemon_pid(),
        "the daemon is not the escaped grandchild's parent"
    );
    sb.ok(&["daemon", "stop"]);
    assert!(
        wait_for(Duration::from_secs(5), || gone(s) && gone(g)),
        "left behind: server {} grandchild {}",
        !gone(s),
        !gone(g)
    );
}

/// The daemon's passes over /proc less its sweeps (each sweep makes one pass): what anything else,
/// a control request above all, cost in passes.
fn passes_besides_sweeps(sb: &Sandbox) -> i64 {
    let j = sb.json(&["status", "--json"]);
    let d = &j["daemon"];
    let passes = d["proc_passes"]
        .as_u64()
        .expect("proc_passes in the daemon section");
    passes as i64 - d["sweeps"].as_u64().unwrap() as i64
}

#[test]
fn control_requests_and_stops_make_no_pass_over_proc_in_the_daemon() {
    let probe = Sandbox::new();
    let (srv, gc, two) = (
        format!("mcp-server-np-{}", probe.marker),
        format!("grandchild-np-{}", probe.marker),
        format!("mcp-server-np2-{}", probe.marker),
    );
    drop(probe);
    // Escapes into its own session after the daemon's first sweep may have run: its stop finds it
    // by the daemon's tree (a subreaper's), not by a pass.
    let script =
        format!("(setsid bash -c 'exec -a {gc} sleep 100000' &); exec -a {srv} sleep 100000");
    let sb = Sandbox::with_config(&format!(
        "[daemon]\nsweep_interval = \"1h\"\nstop_grace = \"1s\"\nsweep_orphans = false\n\n\
         [servers.one]\ncommand = \"bash\"\nargs = [\"-c\", \"{}\"]\n\n\
         [servers.two]\ncommand = \"bash\"\nstart = \"on-connect\"\nargs = [\"-c\", \"exec -a {two} sleep 100000\"]\n",
        script.replace('"', "\\\"")
    ));
    sb.ok(&["daemon", "start"]);
    assert!(
        wait_for(Duration::from_secs(10), || named(&srv).len() == 1
            && named(&gc).len() == 1),
        "tree did not start"
    );
    let (s, g) = (named(&srv)[0], named(&gc)[0]);
    sb.track(s);
    sb.track(g);
    // The first sweep (at start) is over: no other is due for an hour.
    assert!(wait_for(Duration::from_secs(10), || {
        sb.json(&["status", "--json"])["daemon"]["sweeps"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    }));
    let before = passes_besides_sweeps(&sb);
    for _ in 0..5 {
        sb.ok(&["status", "--json"]);
        sb.ok(&["daemon", "status"]);
    }
    assert!(sb.ok(&["start", "two"]).contains("started two"));
    let first = named(&two);
    assert_eq!(first.len(), 1);
    sb.track(first[0]);
    sb.ok(&["restart", "two"]);
    assert!(
        wait_for(Duration::from_secs(5), || gone(first[0])),
        "the restart left the old process"
    );
    let second = named(&two);
    assert_eq!(second.len(), 1);
    sb.track(second[0]);
    sb.ok(&["stop", "two"]);
    assert!(wait_for(Duration::from_secs(5), || gone(second[0])));
    sb.ok(&["stop", "one"]);
    assert!(
        wait_for(Duration::from_secs(5), || gone(s) && gone(g)),
        "left behind: server {} escaped grandchild {}",
        !gone(s),
        !gone(g)
    );
    assert_eq!(
        passes_besides_sweeps(&sb),
        before,
        "a control request or a stop made a pass over /proc in the daemon"
    );
}

const GROWER: &str = "import time\\na = []\\nwhile True:\\n    a.append(bytearray(8 * 1024 * 1024))\\n    time.sleep(0.15)\\n";

#[test]
fn a_global_server_over_max_rss_is_restarted() {
    let sb = Sandbox::with_config(&config(&format!(
        "[servers.grower]\ncommand = \"python3\"\nargs = [\"-c\", \"{GROWER}\"]\nmax_rss = \"60MB\"\nrestart = \"always\"\n"
    )));
    sb.ok(&["daemon", "start"]);
    let restarted = wait_for(Duration::from_secs(30), || {
        let s = sb.server_status("grower").unwrap();
        s["rss_actions"].as_u64().unwrap_or(0) >= 1 && s["state"] == "running"
    });
    let s = sb.server_status("grower").unwrap();
    assert!(restarted, "{s}");
    assert!(s["restarts"].as_u64().unwrap() >= 1, "{s}");
    sb.ok(&["daemon", "stop"]);
}

#[test]
fn a_session_server_over_max_rss_is_stopped_and_tm_starts_one_set() {
    let probe = Sandbox::new();
    let tag = format!("mcp-server-sess-{}", probe.marker);
    drop(probe);
    let sb = Sandbox::with_config(&config(&format!(
        "[servers.grower]\nscope = \"session\"\ncommand = \"python3\"\nargs = [\"-c\", \"{GROWER}\"]\nmax_rss = \"60MB\"\n\n\
             [servers.quiet]\nscope = \"session\"\ncommand = \"bash\"\nargs = [\"-c\", \"exec -a {tag} sleep 100000\"]\n"
    )));
    sb.tmux_started();
    sb.ok(&["tm", "-d", "proj"]);
    sb.ok(&["tm", "-d", "proj"]);
    assert!(wait_for(Duration::from_secs(10), || named(&tag).len() == 1));
    // Both session-opened requests were answered before `tm` returned; a sweep after them has also
    // run, so any second set would have been started by now.
    let after = sb.json(&["status", "--json"])["daemon"]["sweeps"]
        .as_u64()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || sb
        .json(&["status", "--json"])["daemon"]["sweeps"]
        .as_u64()
        .is_some_and(|n| n > after)));
    assert_eq!(
        named(&tag).len(),
        1,
        "tm twice started a second set of session servers"
    );
    let stopped = wait_for(Duration::from_secs(30), || {
        let j = sb.json(&["status", "--json"]);
        j["servers"].as_array().unwrap().iter().any(|s| {
            s["name"] == "grower"
                && s["session"] == "proj"
                && s["state"] == "stopped"
                && s["rss_actions"] == 1
        })
    });
    assert!(stopped, "{:#}", sb.json(&["status", "--json"])["servers"]);
    // The session's quiet server dies with the session (hook, or the next sweep).
    let quiet = named(&tag)[0];
    sb.tmux_ok(&["kill-session", "-t", "=proj"]);
    assert!(
        wait_for(Duration::from_secs(10), || gone(quiet)),
        "session server outlived its session"
    );
}

fn raw(sb: &Sandbox, bytes: &[u8]) -> String {
    let mut s = UnixStream::connect(sb.runtime.join("mcpd.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn the_control_socket_survives_garbage_and_refuses_other_users() {
    let sb = Sandbox::with_config(&config(""));
    sb.ok(&["daemon", "start"]);
    assert!(raw(&sb, b"hello there\n").contains("bad request"));
    assert!(raw(&sb, &[0xff, 0xfe, 0x00, 0x01, b'\n']).contains("error"));
    assert!(raw(&sb, br#"{"version":1,"request":{"type":"ping"}"#).contains("incomplete"));
    // `ping` is the handshake: answered whatever the protocol version; anything else says it.
    assert!(raw(&sb, b"{\"version\":7,\"request\":{\"type\":\"ping\"}}\n").contains("pong"));
    assert!(raw(&sb, b"{\"version\":7,\"request\":{\"type\":\"status\"}}\n").contains("version 7"));
    let big = vec![b'x'; 5 * 1024 * 1024];
    assert!(raw(&sb, &big).contains("longer than"));
    // Random bytes, many connections at once.
    let handles: Vec<_> = (0..20u8)
        .map(|i| {
            let sock = sb.runtime.join("mcpd.sock");
            std::thread::spawn(move || {
                if let Ok(mut s) = UnixStream::connect(sock) {
                    let junk: Vec<u8> = (0..4096u32)
                        .map(|j| (j.wrapping_mul(2654435761) >> (i % 24)) as u8)
                        .collect();
                    let _ = s.write_all(&junk);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(
        sb.run(&["daemon", "status"]).status.code(),
        Some(0),
        "the daemon stopped answering"
    );
    assert!(raw(&sb, b"{\"version\":1,\"request\":{\"type\":\"ping\"}}\n").contains("pong"));
    // Another user cannot even reach the socket (0700 runtime dir, 0600 socket; SO_PEERCRED behind that).
    if nix::unistd::geteuid().is_root() {
        use std::os::unix::process::CommandExt;
        let out = sb
            .mcpd()
            .args(["daemon", "status"])
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "another user reached the daemon: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stdout).contains("not running"),
            "{}",
            text(&out.stdout)
        );
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(sb.runtime.join("mcpd.sock"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn start_stop_restart_one_server() {
    let probe = Sandbox::new();
    let tag = format!("mcp-server-ssr-{}", probe.marker);
    drop(probe);
    let sb = Sandbox::with_config(&config(&format!(
        "[servers.one]\ncommand = \"bash\"\nstart = \"on-connect\"\nargs = [\"-c\", \"exec -a {tag} sleep 100000\"]\n"
    )));
    // `start` starts the daemon when needed.
    let out = sb.ok(&["start", "one"]);
    assert!(out.contains("started one"), "{out}");
    assert!(wait_for(Duration::from_secs(5), || named(&tag).len() == 1));
    let first = named(&tag)[0];
    assert!(sb.ok(&["start", "one"]).contains("already running"));
    sb.ok(&["restart", "one"]);
    assert!(wait_for(Duration::from_secs(5), || named(&tag).len() == 1
        && named(&tag)[0] != first));
    assert!(gone(first));
    sb.ok(&["stop", "one"]);
    assert!(wait_for(Duration::from_secs(5), || named(&tag).is_empty()));
    let err = sb.run(&["start", "nope"]);
    assert_eq!(err.status.code(), Some(1));
    assert!(
        text(&err.stderr).contains("no server named \"nope\""),
        "{}",
        text(&err.stderr)
    );
    let err = sb.run(&["start", "one", "--session", "x"]);
    assert!(
        text(&err.stderr).contains("global server"),
        "{}",
        text(&err.stderr)
    );
}

#[test]
fn the_daemon_notices_kill_server_at_once_and_stops_what_the_sessions_owned() {
    let probe = Sandbox::new();
    let tag = format!("mcp-server-ks-{}", probe.marker);
    drop(probe);
    // This daemon runs outside a PID namespace: lineage orphan sweeps are off, so it can only stop
    // what belonged to this sandbox's sessions (its private tmux socket), which sweeps always judge.
    let sb = Sandbox::with_config(
        "[daemon]\nsweep_interval = \"1h\"\nstop_grace = \"1s\"\norphan_min_age = \"1h\"\nsweep_orphans = false\n",
    );
    sb.tmux_started();
    for s in ["a", "b"] {
        sb.ok(&["tm", "-d", s]);
        let cmd = format!("bash -c 'trap \"\" HUP; exec -a {tag}-{s} sleep 100000'");
        sb.tmux_ok(&["new-window", "-d", "-t", &format!("={s}:"), &cmd]);
    }
    assert!(wait_for(Duration::from_secs(10), || named(&format!(
        "{tag}-a"
    ))
    .len()
        == 1
        && named(&format!("{tag}-b")).len() == 1));
    let pids = [named(&format!("{tag}-a"))[0], named(&format!("{tag}-b"))[0]];
    for p in pids {
        sb.track(p);
    }
    sb.ok(&["daemon", "start"]);
    // One sweep while the sessions live: it adopts what runs in their panes.
    let first = raw(&sb, b"{\"version\":1,\"request\":{\"type\":\"sweep\"}}\n");
    assert!(first.contains("sweep done"), "{first}");
    let (recs, _) = mcpd::state::Registry::open(&sb.state.join("records"))
        .unwrap()
        .load_all();
    assert_eq!(recs.len(), 2, "adopted: {recs:?}");
    // No hooks, no sweep tick for an hour: the daemon's tmux watcher sees the server go and
    // reconciles at once.
    sb.ok(&["hook", "uninstall"]);
    sb.tmux_ok(&["kill-server"]);
    assert!(
        wait_for(Duration::from_secs(10), || pids.iter().all(|p| gone(*p))),
        "left after kill-server"
    );
    // Each stop is in the journal (written once the stop has verified its end), with its reason.
    let mut events = serde_json::Value::Null;
    let journaled = wait_for(Duration::from_secs(5), || {
        events = sb.json(&["events", "--json"]);
        pids.iter().all(|p| {
            events.as_array().unwrap().iter().any(|e| {
                e["pid"] == *p
                    && e["actor"] == "sweep"
                    && e["reason"].as_str().unwrap().contains("is gone")
            })
        })
    });
    assert!(journaled, "{events:#}");
}

#[test]
fn session_servers_of_long_detached_sessions_are_stopped_and_the_session_kept() {
    let probe = Sandbox::new();
    let tag = format!("mcp-server-ttl-{}", probe.marker);
    drop(probe);
    let sb = Sandbox::with_config(&format!(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\nsweep_orphans = false\n\n[sessions]\ndetached_ttl = \"2s\"\n\n\
         [servers.notes]\nscope = \"session\"\ncommand = \"bash\"\nargs = [\"-c\", \"exec -a {tag} sleep 100000\"]\n"
    ));
    sb.tmux_started();
    sb.ok(&["tm", "-d", "idle"]);
    assert!(
        wait_for(Duration::from_secs(10), || named(&tag).len() == 1),
        "session server did not start"
    );
    let pid = named(&tag)[0];
    sb.track(pid);
    assert!(
        wait_for(Duration::from_secs(15), || gone(pid)),
        "session server of a detached session kept running"
    );
    // The process is gone a moment before the daemon has seen its stop to the end (and `status`
    // asks the daemon at once, while it reads /proc).
    let mut s = serde_json::Value::Null;
    let stopped = wait_for(Duration::from_secs(5), || {
        s = sb.server_status("notes").unwrap();
        s["state"] == "stopped"
    });
    assert!(stopped, "{s}");
    assert!(s["last_exit"].as_str().unwrap().contains("detached"), "{s}");
    assert_eq!(
        sb.tmux_ok(&["list-sessions", "-F", "#{session_name}"])
            .trim(),
        "idle",
        "the session itself must stay"
    );
}
