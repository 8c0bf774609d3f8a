//! Per-client views and the `share` modes with a real server: server-everything (pinned in
//! conformance.rs), real `mcpd connect` bridges, a real daemon. Two clients of one shared process
//! each get their own logging level (the server the most verbose) and only their own tasks;
//! `share = "never" | "always" | "session"` decide who shares a process, and `status --json` and
//! `ps --json` show each instance with its clients.

use serde_json::{Value, json};

use crate::conformance::{config, instances, kit};
use crate::connect::Agent;
use crate::support::*;

/// A handshake that declares nothing (so the clients' calls may overlap).
fn init(a: &mut Agent, name: &str, version: &str, caps: Value) {
    a.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": caps, "clientInfo": {"name": name, "version": "1"}}}));
    let (r, _) = a.response(json!(1), 60);
    assert!(r.get("result").is_some(), "{name}: {r}");
    a.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
}

/// A request and its response, with the messages that came before it.
fn request(a: &mut Agent, id: i64, method: &str, params: Value) -> (Value, Vec<Value>) {
    a.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    a.response(json!(id), 60)
}

/// `(level, data)` of the `notifications/message` among `msgs`.
fn logs(msgs: &[Value]) -> Vec<(String, String)> {
    msgs.iter()
        .filter(|m| m["method"] == "notifications/message")
        .map(|m| {
            (
                m["params"]["level"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                m["params"]["data"].to_string(),
            )
        })
        .collect()
}

/// At or above `error` (the levels below it: debug, info, notice, warning).
fn severe(level: &str) -> bool {
    !["debug", "info", "notice", "warning"].contains(&level)
}

fn everything(extra: &str) -> Option<Sandbox> {
    let kit = kit()?;
    let server = vec![kit.bin("mcp-server-everything")];
    Some(Sandbox::with_config(&config(&[(
        "everything",
        server,
        extra,
    )])))
}

#[test]
fn each_client_gets_only_its_logging_level_while_the_server_gets_the_most_verbose() {
    let Some(sb) = everything("") else { return };
    let (mut a, mut b) = (
        Agent::connect(&sb, "everything"),
        Agent::connect(&sb, "everything"),
    );
    init(&mut a, "a", "2025-11-25", json!({}));
    init(&mut b, "b", "2025-11-25", json!({}));
    let pool = instances(&sb, "everything");
    assert_eq!(pool.len(), 1, "equal contracts share: {pool:?}");
    assert_eq!(pool[0]["clients"], 2, "{pool:?}");
    let (r, _) = request(&mut a, 2, "logging/setLevel", json!({"level": "debug"}));
    assert!(r.get("result").is_some(), "{r}");
    let (r, mut seen_b) = request(&mut b, 2, "logging/setLevel", json!({"level": "error"}));
    assert!(r.get("result").is_some(), "{r}");
    // server-everything then sends one message at once and one every 5 s, at a random level,
    // filtered by the level it was told: if b's "error" had reached it, a would get nothing below.
    let (r, mut seen_a) = request(
        &mut a,
        3,
        "tools/call",
        json!({"name": "toggle-simulated-logging", "arguments": {}}),
    );
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Started"))
    );
    // Until a has seen a message below error, and one at or above it after that.
    let done = |log: &[(String, String)]| {
        log.iter()
            .position(|(l, _)| !severe(l))
            .is_some_and(|i| log[i..].iter().any(|(l, _)| severe(l)))
    };
    while !done(&logs(&seen_a)) {
        seen_a.push(a.recv(60));
    }
    let log_a = logs(&seen_a);
    let wanted_b: Vec<(String, String)> =
        log_a.iter().filter(|(l, _)| severe(l)).cloned().collect();
    while logs(&seen_b).len() < wanted_b.len() {
        seen_b.push(b.recv(60));
    }
    assert_eq!(
        logs(&seen_b),
        wanted_b,
        "b asked for error and above; a (debug) saw {log_a:?}"
    );
    sb.track_marked();
}

#[test]
fn tasks_are_visible_and_controllable_only_by_their_creator() {
    let Some(sb) = everything("") else { return };
    let (mut a, mut b) = (
        Agent::connect(&sb, "everything"),
        Agent::connect(&sb, "everything"),
    );
    init(&mut a, "a", "2025-11-25", json!({}));
    init(&mut b, "b", "2025-11-25", json!({}));
    assert_eq!(instances(&sb, "everything").len(), 1);
    // A task-augmented call: the server answers with the task at once and works ~4 s on it.
    let (r, _) = request(
        &mut a,
        2,
        "tools/call",
        json!({"name": "simulate-research-query", "arguments": {"topic": "mcpd"}, "task": {"ttl": 60000}}),
    );
    let task = r["result"]["task"]["taskId"]
        .as_str()
        .unwrap_or_else(|| panic!("no task created: {r}"))
        .to_string();
    // b sees no such task and cannot touch it.
    let (r, _) = request(&mut b, 2, "tasks/list", json!({}));
    let listed = |r: &Value| {
        r["result"]["tasks"]
            .as_array()
            .unwrap_or_else(|| panic!("no task list: {r}"))
            .iter()
            .any(|t| t["taskId"] == task.as_str())
    };
    assert!(!listed(&r), "b sees a's task: {r}");
    for (id, method) in [(3, "tasks/get"), (4, "tasks/cancel"), (5, "tasks/result")] {
        let (r, _) = request(&mut b, id, method, json!({"taskId": task}));
        assert!(
            r["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("unknown task")),
            "b's {method} on a's task: {r}"
        );
    }
    // a sees it and gets its result (b's cancel did not reach the server).
    let (r, _) = request(&mut a, 3, "tasks/list", json!({}));
    assert!(listed(&r), "a does not see its own task: {r}");
    let (r, _) = request(&mut a, 4, "tasks/get", json!({"taskId": task}));
    assert_eq!(r["result"]["taskId"], task.as_str(), "{r}");
    let (r, _) = request(&mut a, 5, "tasks/result", json!({"taskId": task}));
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("mcpd")),
        "a's task result: {r}"
    );
    sb.track_marked();
}

/// `(instance, clients, client_sessions)` of each running instance, sorted.
fn pool(sb: &Sandbox) -> Vec<(String, u64, Vec<String>)> {
    let mut rows: Vec<_> = instances(sb, "everything")
        .iter()
        .map(|s| {
            let sessions = s["client_sessions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect();
            (
                s["instance"].as_str().unwrap_or_default().to_string(),
                s["clients"].as_u64().unwrap_or(0),
                sessions,
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn share_never_gives_each_connection_its_own_process() {
    let Some(sb) = everything("share = \"never\"\n") else {
        return;
    };
    let (mut a, mut b) = (
        Agent::connect(&sb, "everything"),
        Agent::connect(&sb, "everything"),
    );
    init(&mut a, "a", "2025-11-25", json!({}));
    init(&mut b, "b", "2025-11-25", json!({}));
    let rows = pool(&sb);
    assert_eq!(rows.len(), 2, "equal contracts, yet one each: {rows:?}");
    assert!(rows.iter().all(|(_, n, _)| *n == 1), "{rows:?}");
    let pids: Vec<Value> = instances(&sb, "everything")
        .iter()
        .map(|s| s["pid"].clone())
        .collect();
    assert_ne!(pids[0], pids[1]);
    sb.track_marked();
}

#[test]
fn share_always_puts_clients_of_different_capabilities_on_one_process_but_not_other_versions() {
    let Some(sb) = everything("share = \"always\"\n") else {
        return;
    };
    let (mut a, mut b, mut c) = (
        Agent::connect(&sb, "everything"),
        Agent::connect(&sb, "everything"),
        Agent::connect(&sb, "everything"),
    );
    init(&mut a, "a", "2025-11-25", json!({}));
    init(
        &mut b,
        "b",
        "2025-11-25",
        json!({"sampling": {}, "elicitation": {}}),
    );
    // Nobody may receive another client's negotiated version, whatever `share` says.
    init(&mut c, "c", "2025-06-18", json!({}));
    let dash = || "-".to_string();
    assert_eq!(
        pool(&sb),
        [
            ("everything".to_string(), 2, vec![dash(), dash()]),
            ("everything#1".to_string(), 1, vec![dash()])
        ]
    );
    sb.track_marked();
}

#[test]
fn share_session_gives_each_tmux_session_its_process_and_ps_shows_each_with_its_clients() {
    let Some(sb) = everything("share = \"session\"\n") else {
        return;
    };
    sb.start_tmux("s1");
    sb.tmux_ok(&["new-session", "-d", "-s", "s2"]);
    // A bridge inside a pane of `session`, as an agent started there runs it.
    let inside = |session: &str| {
        let pane = sb.tmux_ok(&["display-message", "-p", "-t", session, "#{pane_id}"]);
        let server_pid = sb.tmux_ok(&["display-message", "-p", "#{pid}"]);
        let tmux = format!("{},{},0", sb.socket.display(), server_pid.trim());
        Agent::connect_env(
            &sb,
            "everything",
            &[("TMUX", tmux), ("TMUX_PANE", pane.trim().to_string())],
        )
    };
    let (mut a, mut b, mut c) = (inside("s1"), inside("s1"), inside("s2"));
    init(&mut a, "a", "2025-11-25", json!({}));
    init(&mut b, "b", "2025-11-25", json!({}));
    init(&mut c, "c", "2025-11-25", json!({}));
    let rows = pool(&sb);
    let (mut by_s1, mut by_s2) = (None, None);
    for (inst, n, sessions) in &rows {
        match sessions.as_slice() {
            [x, y] if x == "s1" && y == "s1" && *n == 2 => by_s1 = Some(inst.clone()),
            [x] if x == "s2" && *n == 1 => by_s2 = Some(inst.clone()),
            _ => panic!("an instance with clients of another session: {rows:?}"),
        }
    }
    let (Some(by_s1), Some(by_s2)) = (by_s1, by_s2) else {
        panic!("one instance per session: {rows:?}")
    };
    // ps: each instance's process names its instance and counts its own clients.
    let ps = sb.json(&["ps", "--json"]);
    for s in instances(&sb, "everything") {
        let row = ps
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["pid"] == s["pid"])
            .unwrap_or_else(|| panic!("ps does not show {}: {ps}", s["pid"]));
        assert_eq!(row["server"], "everything", "{row}");
        assert_eq!(row["instance"], s["instance"], "{row}");
        assert_eq!(row["clients"], s["clients"], "{row}");
        assert_eq!(row["client_sessions"], s["client_sessions"], "{row}");
        assert!(
            row["contract"]
                .as_str()
                .is_some_and(|c| c.contains("2025-11-25"))
        );
    }
    let text = sb.ok(&["ps"]);
    assert!(
        text.contains(&format!("[{by_s1}: 2 client(s) from s1, s1]"))
            && text.contains(&format!("[{by_s2}: 1 client(s) from s2]")),
        "{text}"
    );
    sb.track_marked();
}
