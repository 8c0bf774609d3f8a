//! Bounded everything (issue 12): a client that never reads, an endless stdin line, a flood of idle
//! control connections. Real daemon, real `mcpd connect` bridges, the small Python server of
//! tests/fixtures/slow_server.py. Memory is judged by the kernel's peak (VmHWM), descriptors by
//! /proc/PID/fd: bounds, never times.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::connect::{Agent, slow_config, text_of};
use crate::support::*;

/// A field of /proc/PID/status in bytes (VmRSS, VmHWM).
fn status_bytes(pid: i32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn fd_count(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// The slow server's config with these `[daemon]` keys added.
fn config(dir: &std::path::Path, daemon: &str, server: &str) -> String {
    slow_config(dir, server).replacen("[daemon]\n", &format!("[daemon]\n{daemon}"), 1)
}

/// The handshake of a client that declares nothing.
fn plain_init(a: &mut Agent) {
    a.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "plain", "version": "1"}}}));
    a.response(json!(1), 60);
    a.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
}

fn whoami(a: &mut Agent, id: i64) -> String {
    a.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}));
    text_of(&a.response(json!(id), 60).0)
}

/// An `mcpd connect` whose stdout nobody reads; its stderr is collected.
fn bridge(sb: &Sandbox, server: &str) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = sb
        .mcpd()
        .args(["connect", server])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sb.track(child.id() as i32);
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    (child, rx)
}

#[test]
fn a_client_that_never_reads_is_disconnected_and_the_daemon_stays_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = "client_buffer = \"4MB\"\nslow_client_timeout = \"2s\"\n";
    let sb = Sandbox::with_config(&config(dir.path(), daemon, "share = \"always\"\n"));
    let mut reader = Agent::connect(&sb, "slow");
    plain_init(&mut reader);
    let server_pid = whoami(&mut reader, 2);
    let daemon_pid = sb.daemon_pid().expect("the daemon runs");
    let before = status_bytes(daemon_pid, "VmRSS");

    // An agent that sends a call whose progress is 400 MB, and never reads a byte of it.
    let (mut stuck, stderr) = bridge(&sb, "slow");
    let mut w = stuck.stdin.take().unwrap();
    for msg in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "stuck", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "flood",
            "arguments": {"count": 400, "bytes": 1_000_000}, "_meta": {"progressToken": "f"}}}),
    ] {
        writeln!(w, "{msg}").unwrap();
    }
    w.flush().unwrap();
    // The other agent is answered meanwhile, by the same process.
    assert_eq!(whoami(&mut reader, 3), server_pid);

    // The stuck bridge says why it ends; the daemon logs and journals the disconnection.
    let ended = wait_for(Duration::from_secs(120), || {
        stuck.try_wait().unwrap().is_some()
    });
    assert!(ended, "the stuck bridge was never disconnected");
    let err = stderr.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        err.contains("has not read its stdout") || err.contains("the daemon closed the connection"),
        "a clear error on the bridge's stderr: {err}"
    );
    let log_has = |needle: &str| {
        std::fs::read_to_string(sb.state.join("daemon.log"))
            .unwrap_or_default()
            .contains(needle)
    };
    assert!(
        wait_for(Duration::from_secs(30), || log_has(
            "did not read its output"
        )),
        "the daemon log names the disconnection"
    );
    let mut events = Value::Null;
    let journaled = wait_for(Duration::from_secs(10), || {
        events = sb.json(&["events", "--json"]);
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["ending"] == "disconnected" && e["pid"] == json!(stuck.id()))
    });
    assert!(journaled, "{events:#}");

    // Its budget bounded the daemon: the peak stayed far below what the server wrote.
    let peak = status_bytes(daemon_pid, "VmHWM");
    eprintln!(
        "daemon RSS before the flood {} MiB, peak {} MiB",
        before >> 20,
        peak >> 20
    );
    assert!(
        peak < before + (96 << 20),
        "daemon peak RSS {} MB (before the flood {} MB)",
        peak >> 20,
        before >> 20
    );
    assert_eq!(whoami(&mut reader, 4), server_pid);
}

#[test]
fn an_endless_stdin_line_is_answered_by_mcpd_connect_without_buffering_it() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&config(dir.path(), "", "max_message = \"1MB\"\n"));
    let (mut child, stderr) = bridge(&sb, "slow");
    let pid = child.id() as i32;
    let mut w = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    // 200 MB without a newline, then the newline and a normal request.
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        w.write_all(&chunk).unwrap();
    }
    w.write_all(b"\n").unwrap();
    w.flush().unwrap();
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let answer: Value = serde_json::from_str(&line).unwrap();
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("209715200 bytes") && message.contains("1000000"),
        "a JSON-RPC error naming the size and the limit: {answer}"
    );
    let peak = status_bytes(pid, "VmHWM");
    eprintln!("mcpd connect peak RSS {} MiB", peak >> 20);
    assert!(peak < 48 << 20, "mcpd connect peak RSS {} MB", peak >> 20);
    // The bridge still works.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    writeln!(w, "{init}").unwrap();
    w.flush().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["id"], json!(1), "{v}");
    assert!(v.get("result").is_some(), "{v}");
    drop(w);
    assert!(child.wait().unwrap().success());
    let err = stderr.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(err.contains("exceeds max_message"), "{err}");
}

#[test]
fn idle_control_connections_cannot_exhaust_the_daemons_descriptors() {
    let sb = Sandbox::with_config(
        "[daemon]\nsweep_interval = \"1s\"\nsweep_orphans = false\nstop_grace = \"1s\"\n",
    );
    // The daemon gets 512 descriptors (as a service often gets 1,024); 600 idle connections
    // exhausted them before, and every sweep then failed with EMFILE.
    let mut start = std::process::Command::new("sh");
    start
        .arg("-c")
        .arg("ulimit -n 512 && exec \"$0\" daemon start")
        .arg(env!("CARGO_BIN_EXE_mcpd"))
        .envs(sb.envs())
        .stdin(Stdio::null());
    expect_ok(&["daemon", "start"], start.output().unwrap());
    let pid = sb.daemon_pid().expect("the daemon runs");
    let base = fd_count(pid);
    let sock = sb.runtime.join("mcpd.sock");
    let mut idle = Vec::new();
    let mut most = 0;
    for _ in 0..600 {
        idle.push(UnixStream::connect(&sock).unwrap());
        most = most.max(fd_count(pid));
    }
    // Still answering, and sweeping (which opens files of its own) without running out.
    let sweeps = |sb: &Sandbox| sb.json(&["status", "--json"])["daemon"]["sweeps"].as_u64();
    let first = sweeps(&sb).expect("status answers with the sweep count");
    assert!(
        wait_for(Duration::from_secs(30), || {
            most = most.max(fd_count(pid));
            sweeps(&sb).is_some_and(|n| n >= first + 2)
        }),
        "the daemon kept sweeping"
    );
    eprintln!("daemon descriptors: base {base}, peak {most}");
    assert!(
        most <= base + 128 + 16,
        "daemon descriptors peaked at {most} (base {base})"
    );
    // Every idle connection is answered: the oldest were closed to make room, with a clear word.
    let mut busy = 0;
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        if answer.contains("the daemon is busy") {
            busy += 1;
        } else {
            assert!(answer.contains("timed out"), "{answer}");
        }
    }
    assert!(
        busy >= 600 - 128,
        "only {busy} connections were told the daemon is busy"
    );
    let log = std::fs::read_to_string(sb.state.join("daemon.log")).unwrap_or_default();
    assert!(!log.contains("Too many open files"), "{log}");
}
