//! Sharing, truthfully: what clients of a shared server get when it exits, crash-loops, when a
//! message is too big, when the pool is full; and what `status` shows of the pool. Real daemon,
//! real bridges, the small Python server of tests/fixtures/slow_server.py.

use serde_json::{Value, json};

use crate::connect::{Agent, slow_config, text_of};
use crate::support::*;

fn call(a: &mut Agent, id: i64, name: &str, args: Value) -> Value {
    a.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": args}}));
    a.response(json!(id), 60).0
}

/// The handshake of a client that declares nothing (so its calls run beside others').
fn plain_init(a: &mut Agent) {
    a.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "plain", "version": "1"}}}));
    a.response(json!(1), 60);
    a.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
}

fn error_message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn calls_in_flight_fail_when_the_server_exits_and_the_next_request_starts_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), ""));
    let mut a = Agent::connect(&sb, "slow");
    let mut b = Agent::connect(&sb, "slow");
    plain_init(&mut a);
    plain_init(&mut b);
    let pid = text_of(&call(&mut a, 2, "whoami", json!({})));
    // a's long call (100 progress steps) is in flight when b makes the server exit cleanly.
    a.send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "slow", "arguments": {"steps": 100}}}));
    let gone = call(&mut b, 3, "exit", json!({"code": 0}));
    assert!(error_message(&gone).contains("exited"), "{gone}");
    let (failed, _) = a.response(json!(3), 60);
    assert!(
        error_message(&failed).contains("exited"),
        "the call in flight fails, it does not wait for an answer that cannot come: {failed}"
    );
    // restart = "on-failure": a clean exit is not restarted on its own, but the next request
    // starts it again (and the handshake is replayed for it).
    let again = text_of(&call(&mut a, 4, "whoami", json!({})));
    assert!(!again.is_empty() && again != pid, "{again} vs {pid}");
    assert_eq!(text_of(&call(&mut b, 5, "whoami", json!({}))), again);
    sb.track_marked();
}

#[test]
fn a_crash_loop_gives_connected_clients_the_error_new_clients_get() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), "restart = \"always\"\n"));
    let mut a = Agent::connect(&sb, "slow");
    a.initialize();
    // Five failures within the crash window (backoff 1, 2, 4, 8 s between them).
    let mut id = 10;
    for _ in 0..5 {
        let r = call(&mut a, id, "exit", json!({"code": 3}));
        assert!(error_message(&r).contains("exited"), "{r}");
        id += 1;
        let r = call(&mut a, id, "whoami", json!({}));
        id += 1;
        if r.get("error").is_some() {
            break;
        }
    }
    let r = call(&mut a, id + 1, "whoami", json!({}));
    let connected = error_message(&r);
    assert!(connected.contains("crash loop"), "{r}");
    assert!(connected.contains("mcpd restart slow"), "{connected}");
    // A new client gets the same words, as a JSON-RPC error to its initialize.
    let mut b = Agent::connect(&sb, "slow");
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {"roots": {}}, "clientInfo": {"name": "b", "version": "1"}}}));
    let (r, _) = b.response(json!(1), 30);
    assert_eq!(error_message(&r), connected);
    sb.track_marked();
}

#[test]
fn messages_over_max_message_get_an_error_naming_their_size_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), "max_message = \"4KB\"\n"));
    let mut a = Agent::connect(&sb, "slow");
    a.initialize();
    // From the client: its id is still read, so it gets its answer.
    let big = "y".repeat(10_000);
    let line = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"whoami","arguments":{{"pad":"{big}"}}}}}}"#
    );
    a.send_raw(&line);
    let (r, _) = a.response(json!(7), 30);
    let msg = error_message(&r);
    assert!(
        msg.contains(&format!("{} bytes", line.len())) && msg.contains("4000 bytes"),
        "{r}"
    );
    // From the server: the answer over the limit becomes an error for its client.
    let r = call(&mut a, 8, "big", json!({"bytes": 9000}));
    let msg = error_message(&r);
    assert!(msg.contains("exceeds the size limit of 4000 bytes"), "{r}");
    // Nothing else is lost.
    assert!(!text_of(&call(&mut a, 9, "whoami", json!({}))).is_empty());
    sb.track_marked();
}

#[test]
fn past_max_instances_a_client_gets_an_error_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), "max_instances = 1\n"));
    let mut a = Agent::connect(&sb, "slow");
    a.initialize();
    let mut b = Agent::connect(&sb, "slow");
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}}));
    let (r, _) = b.response(json!(1), 30);
    let msg = error_message(&r);
    assert!(
        msg.contains("max_instances") && msg.contains("all 1 instances"),
        "{msg}"
    );
    assert!(
        msg.contains("2024-11-05"),
        "names what the client asked for: {msg}"
    );
    // The first client is unaffected.
    assert!(!text_of(&call(&mut a, 2, "whoami", json!({}))).is_empty());
    sb.track_marked();
}

#[test]
fn status_shows_each_instance_with_its_contract_and_clients() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::with_config(&slow_config(dir.path(), ""));
    let mut a = Agent::connect(&sb, "slow");
    a.initialize();
    let mut b = Agent::connect(&sb, "slow");
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}}}));
    let (r, _) = b.response(json!(1), 30);
    assert_eq!(
        r["result"]["protocolVersion"], "2025-06-18",
        "the fixture answers 2025-06-18: {r}"
    );
    let status = sb.json(&["status", "--json"]);
    let mut rows: Vec<(String, String, u64)> = status["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "slow")
        .map(|s| {
            (
                s["instance"].as_str().unwrap_or_default().to_string(),
                s["contract"].as_str().unwrap_or_default().to_string(),
                s["clients"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("slow".into(), "handshake 2025-06-18 [roots]".into(), 1),
            ("slow#1".into(), "handshake 2024-11-05".into(), 1)
        ],
        "{status}"
    );
    let text = sb.ok(&["status"]);
    assert!(
        text.contains("slow#1") && text.contains("handshake 2024-11-05"),
        "{text}"
    );
    sb.track_marked();
}
