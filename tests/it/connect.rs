//! `mcpd connect`: many agents on one server, through real bridges, a real daemon, and real MCP
//! servers (the npm filesystem server, and a small Python server for progress, cancellation and
//! server-to-client requests).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// One agent: an `mcpd connect` process with its stdin and a channel of its stdout lines.
pub struct Agent {
    pub child: Child,
    pub stdin: Arc<Mutex<ChildStdin>>,
    pub lines: Receiver<Value>,
    /// Directories this agent offers when the server (or mcpd) asks for roots.
    pub roots: Arc<Mutex<Vec<String>>>,
    pub answer_roots: bool,
    /// Responses that arrived while another was awaited.
    pub stash: Vec<Value>,
}

impl Agent {
    pub fn connect(sb: &Sandbox, server: &str) -> Agent {
        Agent::connect_env(sb, server, &[])
    }

    /// An agent whose bridge runs with `env` too (e.g. `TMUX`/`TMUX_PANE`: inside a tmux pane).
    pub fn connect_env(sb: &Sandbox, server: &str, env: &[(&str, String)]) -> Agent {
        let mut child = sb
            .mcpd()
            .args(["connect", server])
            .envs(env.iter().map(|(k, v)| (*k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        sb.track(child.id() as i32);
        let stdin = Arc::new(Mutex::new(child.stdin.take().unwrap()));
        let out = child.stdout.take().unwrap();
        let roots: Arc<Mutex<Vec<String>>> = Arc::default();
        let (tx, lines) = channel();
        let (w, r) = (stdin.clone(), roots.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("bridge wrote non-JSON ({e}): {line}"));
                // mcpd's own question for the roots (asked of a client that joins a shared
                // instance: roots decide where it belongs) is answered at once, as SDKs do.
                if v["method"] == "roots/list"
                    && v["id"].as_str().is_some_and(|id| id.starts_with("mcpd-r-"))
                {
                    let answer = roots_answer(&v["id"], &r.lock().unwrap());
                    let mut w = w.lock().unwrap();
                    let _ = writeln!(w, "{answer}").and_then(|()| w.flush());
                    continue;
                }
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Agent {
            child,
            stdin,
            lines,
            roots,
            answer_roots: true,
            stash: Vec::new(),
        }
    }

    pub fn send(&mut self, v: Value) {
        self.send_raw(&v.to_string());
    }

    pub fn send_raw(&mut self, line: &str) {
        let mut w = self.stdin.lock().unwrap();
        w.write_all(line.as_bytes()).unwrap();
        w.write_all(b"\n").unwrap();
        w.flush().unwrap();
    }

    /// The next message, or panic after `secs`.
    #[track_caller]
    pub fn recv(&mut self, secs: u64) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(secs))
            .expect("no message from the bridge in time")
    }

    /// Sets the directories this agent offers as its roots.
    pub fn set_roots(&mut self, dirs: Vec<String>) {
        *self.roots.lock().unwrap() = dirs;
    }

    /// Waits for the response with `id`, collecting what came before it. A `roots/list` request from
    /// the server is answered on the way, as an agent would (with `self.roots`).
    #[track_caller]
    pub fn response(&mut self, id: Value, secs: u64) -> (Value, Vec<Value>) {
        if let Some(i) = self
            .stash
            .iter()
            .position(|m| m.get("id") == Some(&id) && m.get("method").is_none())
        {
            return (self.stash.remove(i), Vec::new());
        }
        let mut before = Vec::new();
        loop {
            let m = self.recv(secs);
            if m.get("id") == Some(&id) && m.get("method").is_none() {
                return (m, before);
            }
            if m.get("id").is_some() && m.get("method").is_none() {
                // Another response: kept for whoever waits for it.
                self.stash.push(m);
                continue;
            }
            if m["method"] == "roots/list" && self.answer_roots {
                self.roots_answer(m["id"].clone());
                continue;
            }
            before.push(m);
        }
    }

    /// The handshake of a client that declares roots.
    pub fn initialize(&mut self) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {"roots": {}}, "clientInfo": {"name": "test-agent", "version": "1"}}}));
        let (r, _) = self.response(json!(1), 60);
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        r
    }

    fn roots_answer(&mut self, id: Value) {
        let answer = roots_answer(&id, &self.roots.lock().unwrap());
        self.send(answer);
    }
}

/// A `roots/list` answer offering `dirs`.
fn roots_answer(id: &Value, dirs: &[String]) -> Value {
    let roots: Vec<Value> = dirs
        .iter()
        .map(|r| json!({"uri": format!("file://{r}"), "name": "root"}))
        .collect();
    json!({"jsonrpc": "2.0", "id": id, "result": {"roots": roots}})
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fs_config(cache: &Path, served: &Path) -> String {
    format!(
        "[daemon]\nsweep_interval = \"2s\"\nsweep_orphans = false\n\n[servers.fs]\ncommand = \"{}\"\nargs = [\"{}\"]\nstart = \"on-connect\"\n",
        cache
            .join("node_modules/.bin/mcp-server-filesystem")
            .display(),
        served.display()
    )
}

pub fn slow_config(sb_dir: &Path, extra: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slow_server.py");
    format!(
        "[daemon]\nsweep_interval = \"2s\"\nsweep_orphans = false\nstop_grace = \"1s\"\n\n[servers.slow]\ncommand = \"python3\"\nargs = [\"-u\", \"{}\"]\nstart = \"on-connect\"\nenv = {{ CANCEL_LOG = \"{}\", INIT_LOG = \"{}\" }}\n{extra}",
        script.display(),
        sb_dir.join("cancel.log").display(),
        sb_dir.join("init.log").display(),
    )
}

pub fn text_of(result: &Value) -> String {
    result["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn fs_servers(served: &Path) -> Vec<i32> {
    let needle = served.display().to_string();
    let snap = mcpd::procs::Snapshot::take().unwrap();
    snap.procs
        .values()
        .filter(|p| !p.is_zombie() && p.comm == "node" && p.command().contains(&needle))
        .map(|p| p.pid)
        .collect()
}

#[test]
fn three_agents_with_the_same_ids_share_one_filesystem_server() {
    let Some(cache) = npm_cache() else { return };
    let probe = tempfile::tempdir().unwrap();
    let served = probe.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let sb = Sandbox::with_config(&fs_config(&cache, &served));
    for i in 0..3 {
        std::fs::write(
            served.join(format!("file{i}.txt")),
            format!("contents of file {i}"),
        )
        .unwrap();
    }
    let mut agents: Vec<Agent> = (0..3).map(|_| Agent::connect(&sb, "fs")).collect();
    for a in &mut agents {
        a.set_roots(vec![served.display().to_string()]);
    }
    for a in &mut agents {
        let init = a.initialize();
        assert_eq!(
            init["result"]["serverInfo"]["name"], "secure-filesystem-server",
            "{init}"
        );
    }
    // All at once, all with ids 2 and 3.
    for (i, a) in agents.iter_mut().enumerate() {
        let path = served.join(format!("file{i}.txt")).display().to_string();
        a.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "read_text_file", "arguments": {"path": path}}}));
        a.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}));
    }
    for (i, a) in agents.iter_mut().enumerate() {
        let (r2, _) = a.response(json!(2), 30);
        assert_eq!(
            text_of(&r2),
            format!("contents of file {i}"),
            "agent {i} got another's answer: {r2}"
        );
        let (r3, _) = a.response(json!(3), 30);
        assert!(
            r3["result"]["tools"]
                .as_array()
                .is_some_and(|t| !t.is_empty()),
            "{r3}"
        );
    }
    let servers = fs_servers(&served);
    assert_eq!(
        servers.len(),
        1,
        "one server process for three agents: {servers:?}"
    );
    let status = sb.json(&["status", "--json"]);
    let fs = status["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "fs")
        .unwrap()
        .clone();
    assert_eq!(fs["clients"], 3, "{fs}");

    // They leave; a fourth comes and gets the same server, initialize answered from cache.
    drop(agents);
    assert!(wait_for(Duration::from_secs(5), || sb
        .server_status("fs")
        .unwrap()["clients"]
        == 0));
    let mut fourth = Agent::connect(&sb, "fs");
    fourth.set_roots(vec![served.display().to_string()]);
    fourth.initialize();
    let path = served.join("file1.txt").display().to_string();
    fourth.send(json!({"jsonrpc": "2.0", "id": "four", "method": "tools/call", "params": {"name": "read_text_file", "arguments": {"path": path}}}));
    let (r, _) = fourth.response(json!("four"), 30);
    assert_eq!(text_of(&r), "contents of file 1");
    assert_eq!(
        fs_servers(&served),
        servers,
        "the fourth agent got a new server"
    );
}

#[test]
fn progress_and_cancellation_reach_the_right_agent() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), ""));
    let mut a = Agent::connect(&sb, "slow");
    let mut b = Agent::connect(&sb, "slow");
    a.initialize();
    b.initialize();
    // Only one initialize reached the server.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("init.log"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    // Both use id 7 and progress token "p".
    for x in [&mut a, &mut b] {
        x.send(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "slow", "arguments": {"steps": 6}, "_meta": {"progressToken": "p"}}}));
    }
    // b cancels its request after the first progress.
    let first = b.recv(10);
    assert_eq!(first["method"], "notifications/progress", "{first}");
    assert_eq!(first["params"]["progressToken"], "p");
    b.send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user"}}));
    let (done, progress) = a.response(json!(7), 10);
    assert_eq!(text_of(&done), "done 6");
    assert_eq!(progress.len(), 6, "a saw {progress:?}");
    assert!(progress.iter().all(|p| p["params"]["progressToken"] == "p"));
    assert!(wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(dir.path().join("cancel.log")).is_ok_and(|s| s.lines().count() == 1)
    }));
    // b gets no answer for the cancelled request.
    while let Ok(m) = b.lines.recv_timeout(Duration::from_millis(500)) {
        assert!(
            m.get("id").is_none(),
            "b got an answer to a cancelled request: {m}"
        );
    }
}

#[test]
fn server_to_client_requests_go_to_one_agent_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), ""));
    let mut a = Agent::connect(&sb, "slow");
    a.answer_roots = false;
    a.initialize();
    a.send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "ask_roots", "arguments": {}}}));
    let req = a.recv(10);
    assert_eq!(req["method"], "roots/list", "{req}");
    a.send(json!({"jsonrpc": "2.0", "id": req["id"].clone(), "result": {"roots": [{"uri": "file:///a", "name": "a"}]}}));
    let (r, _) = a.response(json!(1), 10);
    assert!(text_of(&r).contains("file:///a"), "{r}");
}

#[test]
fn garbage_a_killed_agent_and_a_killed_server_leave_the_others_working() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), "restart = \"always\"\n"));
    let mut good = Agent::connect(&sb, "slow");
    let mut bad = Agent::connect(&sb, "slow");
    good.initialize();
    bad.initialize();
    // Garbage: not JSON, a batch, an object without method or id.
    bad.send_raw("this is not json");
    assert_eq!(bad.recv(10)["error"]["code"], -32700);
    bad.send_raw(r#"[{"jsonrpc":"2.0","id":5,"method":"tools/list"}]"#);
    let e = bad.recv(10);
    assert_eq!(e["id"], 5, "{e}");
    assert!(e.get("error").is_some());
    // A killed agent with a request in flight: the server hears the cancellation.
    bad.send(json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "slow", "arguments": {"steps": 40}, "_meta": {"progressToken": "p9"}}}));
    // Its first progress: the server is working on it.
    assert_eq!(bad.recv(10)["method"], "notifications/progress");
    drop(bad);
    assert!(
        wait_for(Duration::from_secs(5), || std::fs::read_to_string(
            dir.path().join("cancel.log")
        )
        .is_ok_and(|s| !s.is_empty())),
        "no cancel upstream"
    );
    good.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}));
    let (who, _) = good.response(json!(2), 10);
    let pid: i32 = text_of(&who).parse().unwrap();
    // The server is killed mid-request: the pending request gets an error, the daemon restarts the
    // server and re-initializes it, and the agent goes on without a new handshake.
    good.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "slow", "arguments": {"steps": 100}, "_meta": {"progressToken": "p3"}}}));
    assert_eq!(good.recv(10)["method"], "notifications/progress");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let (err, _) = good.response(json!(3), 10);
    assert!(err.get("error").is_some(), "{err}");
    let restarted = wait_for(Duration::from_secs(10), || {
        let s = sb.server_status("slow").unwrap();
        s["state"] == "running" && s["pid"] != pid
    });
    assert!(restarted);
    good.send(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}));
    let (who2, _) = good.response(json!(4), 15);
    assert_ne!(text_of(&who2), pid.to_string());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("init.log"))
            .unwrap()
            .lines()
            .count(),
        2,
        "re-initialized once"
    );
}

#[test]
fn unshared_servers_get_one_process_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), "share = false\n"));
    let mut a = Agent::connect(&sb, "slow");
    let mut b = Agent::connect(&sb, "slow");
    a.initialize();
    b.initialize();
    let who = |x: &mut Agent, id: i64| -> i32 {
        x.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}));
        text_of(&x.response(json!(id), 10).0)
            .parse::<i32>()
            .unwrap()
    };
    let (pa, pb) = (who(&mut a, 2), who(&mut b, 2));
    assert_ne!(pa, pb);
    drop(a);
    assert!(
        wait_for(Duration::from_secs(5), || gone(pa)),
        "a private server outlived its connection"
    );
    assert!(!gone(pb));
}

#[test]
fn connect_to_an_unknown_server_is_a_clear_error() {
    let sb = Sandbox::new();
    let out = sb
        .mcpd()
        .args(["connect", "nope"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no server named \"nope\""),
        "{}",
        text(&out.stderr)
    );
    let _ = Command::new("true");
}

#[test]
fn an_idle_server_is_stopped_and_the_next_connect_starts_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(
        &slow_config(dir.path(), "idle_timeout = \"2s\"\n")
            .replace("sweep_interval = \"2s\"", "sweep_interval = \"1s\""),
    );
    let mut a = Agent::connect(&sb, "slow");
    a.initialize();
    a.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}));
    let first: i32 = text_of(&a.response(json!(2), 10).0).parse().unwrap();
    // Connected: never idle, however long: sweeps (each 1 s apart) go by past the idle timeout.
    let sweeps = || {
        sb.json(&["status", "--json"])["daemon"]["sweeps"]
            .as_u64()
            .unwrap()
    };
    let start = sweeps();
    assert!(wait_for(Duration::from_secs(20), || sweeps() >= start + 3));
    assert!(!gone(first), "stopped while a client was connected");
    drop(a);
    assert!(
        wait_for(Duration::from_secs(10), || gone(first)),
        "not stopped after idle_timeout"
    );
    let mut b = Agent::connect(&sb, "slow");
    b.initialize();
    b.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}));
    let second: i32 = text_of(&b.response(json!(2), 10).0).parse().unwrap();
    assert_ne!(first, second);
}

#[test]
fn a_bridge_in_a_tmux_pane_is_counted_for_its_session() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), ""));
    sb.tmux_started();
    sb.ok(&["tm", "-d", "work"]);
    // A client counts once its first message shows which instance it needs.
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let cmd = format!(
        "(echo '{init}'; sleep 100000) | {} connect slow >/dev/null",
        env!("CARGO_BIN_EXE_mcpd")
    );
    sb.tmux_ok(&["new-window", "-d", "-t", "=work:", &cmd]);
    let counted = wait_for(Duration::from_secs(15), || {
        sb.server_status("slow")
            .is_some_and(|s| s["clients"] == 1 && s["client_sessions"] == json!(["work"]))
    });
    assert!(counted, "{:?}", sb.server_status("slow"));
    let ps = sb.ok(&["ps"]);
    assert!(ps.contains("[slow: 1 client(s) from work]"), "{ps}");
    sb.track_marked();
}
