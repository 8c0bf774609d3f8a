//! Issue 15, the fault matrix: the daemon SIGKILLed mid-sweep, mid-stop and mid-spawn, then restarted,
//! and the tmux server killed under it. Each test runs in its own PID namespace (pidns.rs) with a
//! real daemon and a real tmux server inside, and asserts the four promises: nothing leaked, nothing
//! wrong stopped (an innocent job and a live agent's server stay), nothing recorded lost, and every
//! failure reported. The helpers here are shared by faults_state.rs, faults_servers.rs and
//! faults_sessions.rs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::pidns::*;
use crate::support::*;

/// A namespace whose daemon sweeps every second, stops with a 1 s grace, and runs `servers`.
pub fn daemon_ns(servers: &str) -> Ns {
    Ns::new(Sandbox::with_config(&format!(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n\n{servers}"
    )))
}

/// A configured server running `sh -c script`.
pub fn server(name: &str, scope: &str, script: &str) -> String {
    format!(
        "[servers.{name}]\nscope = \"{scope}\"\ncommand = \"sh\"\nargs = [\"-c\", {script:?}]\n"
    )
}

/// A server script that is only `sleep`, under an MCP-like name.
pub fn sleeper(name: &str) -> String {
    format!("exec bash -c 'exec -a {name} sleep 100000'")
}

pub fn status(ns: &Ns) -> Value {
    ns.json(&["status", "--json"])
}

pub fn sweeps(ns: &Ns) -> u64 {
    status(ns)["daemon"]["sweeps"].as_u64().unwrap_or(0)
}

/// Waits until the daemon has finished `n` more sweeps than now.
#[track_caller]
pub fn sweep_n(ns: &Ns, n: u64) {
    let from = sweeps(ns);
    assert!(
        wait_for(Duration::from_secs(30), || sweeps(ns) >= from + n),
        "the daemon did not sweep: {:#}",
        status(ns)
    );
}

/// The daemon's instances of server `name`: (session, state, pid).
pub fn instances(ns: &Ns, name: &str) -> Vec<(Option<String>, String, Option<i64>)> {
    status(ns)["servers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|s| s["name"] == name)
        .map(|s| {
            (
                s["session"].as_str().map(str::to_string),
                s["state"].as_str().unwrap_or_default().to_string(),
                s["pid"].as_i64(),
            )
        })
        .collect()
}

/// The pid of the running instance of `name` (in `session`), once there is one.
#[track_caller]
pub fn running(ns: &Ns, name: &str, session: Option<&str>) -> i32 {
    let mut pid = 0;
    assert!(
        wait_for(Duration::from_secs(30), || {
            pid = instances(ns, name)
                .into_iter()
                .find(|i| i.0.as_deref() == session && i.1 == "running")
                .and_then(|i| i.2)
                .unwrap_or(0) as i32;
            pid > 0 && ns.alive(pid)
        }),
        "{name} ({session:?}) does not run: {:#}",
        status(ns)
    );
    pid
}

/// Pids of the namespace's processes whose argv[0] is `name`.
pub fn named_in(ns: &Ns, name: &str) -> Vec<i32> {
    ns.find(|p| p.cmdline[0] == name)
}

/// The namespace pid of the daemon, from its lock file.
pub fn daemon_pid(ns: &Ns) -> Option<i32> {
    std::fs::read_to_string(inside(ns, &ns.sb.state.join("daemon.lock")))
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p| ns.alive(*p))
}

/// The namespace's view of `path` (its own mounts: a tmpfs mounted inside is only seen here).
pub fn inside(ns: &Ns, path: &Path) -> PathBuf {
    ns.proc_dir()
        .parent()
        .unwrap()
        .join(path.strip_prefix("/").unwrap())
}

/// The value of `var` in the environment of namespace process `pid`.
pub fn env_of(ns: &Ns, pid: i32, var: &str) -> Option<String> {
    let prefix = format!("{var}=");
    std::fs::read(ns.proc_dir().join(pid.to_string()).join("environ"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .find_map(|v| v.strip_prefix(prefix.as_bytes()).map(text))
}

/// Live processes tagged `MCPD_OWNER=owner` (a spawned server's tree, escapees included).
pub fn owned_by(ns: &Ns, owner: &str) -> Vec<i32> {
    ns.procs()
        .into_iter()
        .filter(|p| env_of(ns, p.pid, "MCPD_OWNER").as_deref() == Some(owner))
        .map(|p| p.pid)
        .collect()
}

/// The records on disk, as the namespace sees them: (owner, pid). Read as plain JSON, so that
/// looking never creates, fixes or moves anything in the state dir under test.
pub fn records(ns: &Ns) -> Vec<(String, i32)> {
    let dir = inside(ns, &ns.sb.state.join("records"));
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let Ok(body) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let f: Value = serde_json::from_str(&body)
            .unwrap_or_else(|err| panic!("{name}: a record file is not JSON ({err}): {body}"));
        for r in f["records"].as_array().into_iter().flatten() {
            v.push((
                f["owner"].as_str().unwrap_or_default().to_string(),
                r["pid"].as_i64().unwrap_or_default() as i32,
            ));
        }
    }
    v.sort();
    v
}

/// Waits until `left` finds nothing on ten looks in a row: a process that hops pids (fork, exit)
/// while /proc is read can be missed by one look, not by ten.
pub fn gone_for_good(timeout: Duration, mut left: impl FnMut() -> Vec<i32>) -> bool {
    let mut empty = 0;
    wait_for(timeout, || {
        empty = if left().is_empty() { empty + 1 } else { 0 };
        empty >= 10
    })
}

/// Pids named in the whole event journal (`mcpd events --json`).
pub fn journaled(ns: &Ns) -> Vec<i64> {
    ns.json(&["events", "--json", "-n", "1000000"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["pid"].as_i64())
        .collect()
}

/// What must never be stopped: a user's plain job, orphaned to PID 1, and a live agent (detached, its
/// parent PID 1) holding the stdio of its own MCP server.
pub struct Bystanders {
    pub job: i32,
    pub agent: i32,
    pub agent_server: i32,
}

impl Bystanders {
    pub fn start(ns: &Ns) -> Bystanders {
        let dir = ns.sb.path();
        let job = ns.orphan(dir, "exec bash -c 'exec -a innocent-job sleep 100000'");
        let ready = dir.join("agent.ready");
        let agent = ns.orphan(
            dir,
            &format!(
                "setsid nohup node {} {} {} -- {} {}",
                q(fixture("agent.js").display().to_string()),
                q(ready.display().to_string()),
                q(dir.display().to_string()),
                q(python()),
                q(fixture("mcp_server_sticky.py").display().to_string()),
            ),
        );
        let agent_server = ns.ready(&ready, "the live agent");
        Bystanders {
            job,
            agent,
            agent_server,
        }
    }

    /// Asserts that all three still run.
    #[track_caller]
    pub fn alive(&self, ns: &Ns) {
        for (pid, what) in [
            (self.job, "the innocent job"),
            (self.agent, "the live agent"),
            (self.agent_server, "the live agent's server"),
        ] {
            assert!(
                ns.alive(pid),
                "{what} (pid {pid}) was stopped; events: {:#?}",
                ns.events()
            );
        }
        let j = journaled(ns);
        for pid in [self.job, self.agent, self.agent_server] {
            assert!(!j.contains(&(pid as i64)), "pid {pid} journaled as stopped");
        }
    }
}

/// A python MCP-like server (its script is named `mcp_server_NAME.py`) that ignores signal `on` and,
/// the first time it gets it, SIGKILLs the daemon: the daemon dies exactly in the middle of the stop
/// it was making (a later signal is only ignored). With `on` None it kills the daemon as it starts
/// (once). Returns the shell words that run it.
pub fn daemon_killer(ns: &Ns, name: &str, on: Option<&str>) -> String {
    let script = ns.sb.path().join(format!("mcp_server_{name}.py"));
    let lock = ns.sb.state.join("daemon.lock");
    let once = ns.sb.path().join(format!("{name}.killed-daemon"));
    std::fs::write(
        &script,
        format!(
            r#"import os, signal, sys, time
def kill_daemon(*_):
    if os.path.exists({once:?}):
        return
    open({once:?}, "w").close()
    os.kill(int(open({lock:?}).read().split()[0]), signal.SIGKILL)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
{arm}
open({armed:?}, "w").close()
while True:
    time.sleep(1000)
"#,
            once = once.display().to_string(),
            lock = lock.display().to_string(),
            armed = armed(ns, name).display().to_string(),
            arm = match on {
                Some(sig) => format!("signal.signal(signal.{sig}, kill_daemon)"),
                None => "kill_daemon()".to_string(),
            },
        ),
    )
    .unwrap();
    format!("{} {}", q(python()), q(script.display().to_string()))
}

/// The file a [`daemon_killer`] creates once its handler is in place.
pub fn armed(ns: &Ns, name: &str) -> PathBuf {
    ns.sb.path().join(format!("{name}.armed"))
}

/// Waits until the [`daemon_killer`] `name` has its handler in place.
#[track_caller]
pub fn wait_armed(ns: &Ns, name: &str) {
    assert!(
        wait_for(Duration::from_secs(30), || armed(ns, name).exists()),
        "{name} did not start: {:#?}",
        ns.procs()
    );
}

/// Waits for the daemon of `ns` to be gone (after a SIGKILL).
#[track_caller]
pub fn daemon_died(ns: &Ns, pid: i32) {
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(pid)),
        "the daemon (pid {pid}) did not die"
    );
}

#[test]
fn daemon_killed_mid_sweep_is_restarted_readopts_and_finishes_the_sweep() {
    let ns = daemon_ns(&format!(
        "{}{}",
        server("g", "global", &sleeper("mcp-server-g")),
        server("notes", "session", &sleeper("mcp-server-notes"))
    ));
    let by = Bystanders::start(&ns);
    // An orphaned MCP-like server: the first sweep stops it, and its TERM handler kills the daemon
    // then. It is in place before the daemon starts (eager globals start before the first sweep).
    let killer = daemon_killer(&ns, "orphan", Some("SIGTERM"));
    let orphan = ns.orphan(ns.sb.path(), &killer);
    wait_armed(&ns, "orphan");
    ns.start_tmux("keep", ns.sb.path());
    let _ = ns.run(&["daemon", "start"]);
    assert!(
        wait_for(Duration::from_secs(30), || ns
            .sb
            .path()
            .join("orphan.killed-daemon")
            .exists()),
        "no sweep reached the orphan"
    );
    assert!(
        wait_for(Duration::from_secs(30), || daemon_pid(&ns).is_none()),
        "the daemon did not die"
    );
    assert!(ns.alive(orphan), "the orphan ignores TERM");
    let g = owned_by(&ns, "global:g");
    assert_eq!(g.len(), 1, "{:#?}", ns.procs());
    let g = g[0];
    let before = records(&ns);

    ns.ok(&["daemon", "start"]);
    assert_eq!(running(&ns, "g", None), g, "g was not re-adopted");
    let notes = running(&ns, "notes", Some("keep"));
    // The new daemon's sweep finishes what the first one began.
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(orphan)),
        "the orphan outlived the restarted daemon's sweeps: {:#}",
        status(&ns)
    );
    assert!(
        journaled(&ns).contains(&(orphan as i64)),
        "{:#?}",
        ns.events()
    );
    sweep_n(&ns, 2);
    assert!(ns.alive(g) && ns.alive(notes), "a server was stopped");
    assert_eq!(named_in(&ns, "mcp-server-g"), vec![g], "a second g");
    assert_eq!(named_in(&ns, "mcp-server-notes"), vec![notes]);
    let after = records(&ns);
    for r in &before {
        assert!(after.contains(r), "record {r:?} lost: {after:?}");
    }
    assert!(
        after.contains(&("session:keep".to_string(), notes)),
        "{after:?}"
    );
    by.alive(&ns);
}

#[test]
fn daemon_killed_mid_stop_fails_the_stop_loudly_and_the_restart_keeps_the_server() {
    let ns = daemon_ns("");
    let killer = daemon_killer(&ns, "stubborn", Some("SIGTERM"));
    std::fs::write(
        &ns.sb.config,
        format!(
            "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n\n\
             [servers.stubborn]\ncommand = \"sh\"\nargs = [\"-c\", {:?}]\n{}",
            format!("exec {killer}"),
            server("g", "global", &sleeper("mcp-server-g")),
        ),
    )
    .unwrap();
    let by = Bystanders::start(&ns);
    ns.ok(&["daemon", "start"]);
    let stubborn = running(&ns, "stubborn", None);
    wait_armed(&ns, "stubborn");
    let g = running(&ns, "g", None);
    let first = daemon_pid(&ns).unwrap();
    let before = records(&ns);
    assert_eq!(before.len(), 2, "{before:?}");

    // The stop's TERM kills the daemon: the stop did not happen, and `mcpd stop` must say so.
    let out = ns.run(&["stop", "stubborn"]);
    daemon_died(&ns, first);
    assert!(
        !out.status.success(),
        "`mcpd stop` reported success though the daemon died mid-stop: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(ns.alive(stubborn), "it ignores TERM: the KILL never came");

    ns.ok(&["daemon", "start"]);
    assert_eq!(running(&ns, "g", None), g, "g was not re-adopted");
    assert_eq!(
        running(&ns, "stubborn", None),
        stubborn,
        "the half-stopped server is live and recorded: re-adopted, not lost"
    );
    assert_eq!(records(&ns), before, "records changed");
    // Stopping it again works: TERM is ignored, the KILL after the grace ends it.
    ns.ok(&["stop", "stubborn"]);
    assert!(
        !ns.alive(stubborn),
        "stop returned before the server was gone"
    );
    assert!(ns.alive(g));
    assert_eq!(named_in(&ns, "mcp-server-g"), vec![g]);
    by.alive(&ns);
}

#[test]
fn daemon_killed_mid_spawn_is_restarted_and_every_server_runs_once() {
    let ns = daemon_ns("");
    // Eager globals start in name order; b's first act kills the daemon while it spawns the rest.
    let killer = daemon_killer(&ns, "b", None);
    let mut cfg = String::from(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n\n",
    );
    let names = ["a", "b", "c", "d", "e", "f"];
    for n in names {
        let script = if n == "b" {
            format!("exec {killer}")
        } else {
            sleeper(&format!("mcp-server-{n}"))
        };
        cfg.push_str(&server(n, "global", &script));
    }
    std::fs::write(&ns.sb.config, cfg).unwrap();
    let by = Bystanders::start(&ns);
    let out = ns.run(&["daemon", "start"]);
    let killed = ns.sb.path().join("b.killed-daemon");
    assert!(
        wait_for(Duration::from_secs(30), || killed.exists()),
        "b never killed the daemon: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        wait_for(Duration::from_secs(30), || daemon_pid(&ns).is_none()),
        "the daemon did not die"
    );
    let survivors: Vec<(String, Vec<i32>)> = names
        .iter()
        .map(|n| (n.to_string(), owned_by(&ns, &format!("global:{n}"))))
        .collect();

    ns.ok(&["daemon", "start"]);
    for n in names {
        let pid = running(&ns, n, None);
        let mine = owned_by(&ns, &format!("global:{n}"));
        assert_eq!(
            mine,
            vec![pid],
            "{n}: not exactly one process (before the restart: {survivors:?})"
        );
    }
    sweep_n(&ns, 2);
    let recs = records(&ns);
    for n in names {
        let pid = running(&ns, n, None);
        assert!(
            recs.contains(&(format!("global:{n}"), pid)),
            "{n} (pid {pid}) is not recorded: {recs:?}"
        );
    }
    assert_eq!(recs.len(), names.len(), "stale records: {recs:?}");
    by.alive(&ns);
}

#[test]
fn tmux_server_killed_stops_session_servers_only_and_a_new_server_gets_its_own() {
    let ns = daemon_ns(&format!(
        "{}{}",
        server("g", "global", &sleeper("mcp-server-g")),
        server("notes", "session", &sleeper("mcp-server-notes"))
    ));
    let by = Bystanders::start(&ns);
    ns.ok(&["tm", "-d", "one"]);
    ns.ok(&["tm", "-d", "two"]);
    let g = running(&ns, "g", None);
    let one = running(&ns, "notes", Some("one"));
    let two = running(&ns, "notes", Some("two"));
    ns.tmux_ok(&["kill-server"]);
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(one) && !ns.alive(two)),
        "session servers outlived their tmux server: {:#}",
        status(&ns)
    );
    // Journaled by the stops once they have seen the processes gone: wait for the lines.
    assert!(
        wait_for(Duration::from_secs(30), || {
            let j = journaled(&ns);
            j.contains(&(one as i64)) && j.contains(&(two as i64))
        }),
        "{:#?}",
        ns.events()
    );
    assert!(
        wait_for(Duration::from_secs(30), || records(&ns)
            == vec![("global:g".to_string(), g)]),
        "records: {:?}",
        records(&ns)
    );
    assert!(ns.alive(g), "the global server was stopped");
    // A new tmux server: its sessions get their servers from the same daemon.
    ns.ok(&["tm", "-d", "three"]);
    let three = running(&ns, "notes", Some("three"));
    sweep_n(&ns, 2);
    assert!(ns.alive(three) && ns.alive(g));
    assert_eq!(named_in(&ns, "mcp-server-notes"), vec![three]);
    by.alive(&ns);
}
