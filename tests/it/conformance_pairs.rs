//! Pairs of real clients that differ in one contract element, at once through one daemon, each
//! seeing what it sees directly: protocol version, capabilities, roots, protocol era. Plus many
//! clients with many calls.

use serde_json::{Value, json};

use crate::conformance::*;
use crate::support::*;

const TS: Sdk = Sdk::Ts;
const PY: Sdk = Sdk::Py;

fn text_of(step: &Value) -> String {
    step["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn clients_of_two_protocol_versions_each_get_their_own() {
    let Some(kit) = kit() else { return };
    let server = vec![kit.bin("mcp-server-everything")];
    let sb = Sandbox::with_config(&config(&[("everything", server.clone(), "")]));
    let steps = json!([{"op": "list_tools"}, {"op": "call", "name": "echo", "arguments": {"message": "hi"}}]);
    let new = json!({"name": "new", "steps": steps});
    let old = json!({"name": "old", "protocolVersion": "2025-06-18", "steps": steps});
    let got = direct_equals_shared(kit, &sb, &server, "everything", &[(TS, new), (TS, old)]);
    assert_eq!(got[0]["initialize"]["protocolVersion"], "2025-11-25");
    assert_eq!(got[1]["initialize"]["protocolVersion"], "2025-06-18");
    sb.track_marked();
}

#[test]
fn declared_capabilities_reach_the_server_and_its_requests_the_declaring_client() {
    let Some(kit) = kit() else { return };
    let server = vec![kit.bin("mcp-server-everything")];
    let sb = Sandbox::with_config(&config(&[("everything", server.clone(), "")]));
    let steps = json!([
        {"op": "list_tools"},
        {"op": "call", "name": "trigger-sampling-request", "arguments": {"prompt": "hello"}},
        {"op": "call", "name": "get-roots-list"},
    ]);
    let plain = json!({"name": "plain", "steps": steps});
    let rich = json!({"name": "rich", "capabilities": {"sampling": {}, "elicitation": {}, "roots": {}},
        "roots": ["/rich"], "steps": steps});
    let got = direct_equals_shared(kit, &sb, &server, "everything", &[(TS, plain), (TS, rich)]);
    let tools = |t: &Value| {
        t["steps"][0]["result"]["tools"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert!(
        tools(&got[1]) > tools(&got[0]),
        "{} vs {}",
        tools(&got[1]),
        tools(&got[0])
    );
    assert!(
        text_of(&got[1]["steps"][1]).contains("sampled by rich"),
        "{}",
        got[1]["steps"][1]
    );
    assert!(
        text_of(&got[1]["steps"][2]).contains("file:///rich"),
        "{}",
        got[1]["steps"][2]
    );
    assert_eq!(
        got[1]["server_requests"],
        json!(["sampling/createMessage", "roots/list"])
    );
    assert_eq!(got[0]["server_requests"], json!([]));
    sb.track_marked();
}

#[test]
fn the_filesystem_server_serves_each_client_its_own_roots() {
    let Some(kit) = kit() else { return };
    let base = tempfile::tempdir().unwrap();
    let (a, b, start) = (
        base.path().join("a"),
        base.path().join("b"),
        base.path().join("start"),
    );
    for (d, f) in [(&a, "a.txt"), (&b, "b.txt"), (&start, "s.txt")] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join(f), format!("this is {f}")).unwrap();
    }
    let server = vec![
        kit.bin("mcp-server-filesystem"),
        start.display().to_string(),
    ];
    let sb = Sandbox::with_config(&config(&[("fs", server.clone(), "")]));
    let start_name = start.display().to_string();
    let read = |p: &std::path::Path| json!({"op": "call", "name": "read_text_file", "arguments": {"path": p.display().to_string()}});
    let client = |name: &str, root: &std::path::Path| {
        json!({"name": name, "capabilities": {"roots": {"listChanged": true}},
            "roots": [root.display().to_string()],
            // server-filesystem applies roots asynchronously after it asked for them: a client
            // that calls at once can see its start directory, directly too. Wait that out.
            "steps": [{"op": "until", "name": "list_allowed_directories", "absent": start_name},
                      {"op": "call", "name": "list_allowed_directories"},
                      read(&a.join("a.txt")), read(&b.join("b.txt"))]})
    };
    let clients = [
        (TS, client("A", &a)),
        (TS, client("B", &b)),
        (TS, client("A2", &a)),
    ];
    let got = direct_equals_shared(kit, &sb, &server, "fs", &clients);
    // Steps: list_allowed_directories, read a.txt, read b.txt.
    for (i, own, other) in [(0, "a.txt", 2), (1, "b.txt", 1), (2, "a.txt", 2)] {
        let t = &got[i];
        let mine = if own == "a.txt" { 1 } else { 2 };
        assert_eq!(text_of(&t["steps"][mine]), format!("this is {own}"), "{t}");
        assert!(
            t["steps"][other]["result"]["isError"] == true
                || t["steps"][other].get("error").is_some(),
            "client {i} read another project's file: {}",
            t["steps"][other]
        );
    }
    // A and A2 (same roots) share a process; B has its own.
    let insts = instances(&sb, "fs");
    assert_eq!(insts.len(), 2, "{insts:?}");
    sb.track_marked();
}

#[test]
fn stateless_and_handshake_era_clients_of_the_time_server_never_share() {
    let Some(kit) = kit() else { return };
    let server = vec![
        kit.py_bin("mcp-server-time"),
        "--local-timezone".into(),
        "UTC".into(),
    ];
    let sb = Sandbox::with_config(&config(&[("time", server.clone(), "")]));
    let steps = json!([{"op": "list_tools"},
        {"op": "call", "name": "convert_time", "arguments": {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}}]);
    let modern = json!({"mode": "auto", "steps": steps});
    let legacy = json!({"mode": "legacy", "steps": steps});
    // Twice each, at once: the second pair must find the instances the first left running.
    let clients = [
        (PY, modern.clone()),
        (PY, legacy.clone()),
        (PY, modern),
        (PY, legacy),
    ];
    let got = direct_equals_shared(kit, &sb, &server, "time", &clients);
    assert_eq!(got[0]["initialize"]["protocolVersion"], "2026-07-28");
    assert_ne!(got[1]["initialize"]["protocolVersion"], "2026-07-28");
    let insts = instances(&sb, "time");
    assert_eq!(insts.len(), 2, "one instance per era: {insts:?}");
    sb.track_marked();
}

#[test]
fn twenty_clients_with_two_hundred_calls_each_get_only_their_own_answers() {
    let Some(kit) = kit() else { return };
    let server = vec![kit.bin("mcp-server-everything")];
    let sb = Sandbox::with_config(&config(&[("everything", server, "")]));
    let results: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|c| {
                let sb = &sb;
                s.spawn(move || {
                    let steps: Vec<Value> = (0..200)
                        .map(|i| json!({"op": "call", "name": "echo", "arguments": {"message": format!("c{c}-{i}")}}))
                        .collect();
                    run_client(kit, sb, Sdk::Ts, &via("everything"), &json!({"name": format!("c{c}"), "steps": steps}))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (c, t) in results.iter().enumerate() {
        let steps = t["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 200);
        for (i, step) in steps.iter().enumerate() {
            assert_eq!(
                text_of(step),
                format!("Echo: c{c}-{i}"),
                "client {c} call {i}: {step}"
            );
        }
    }
    assert_eq!(
        instances(&sb, "everything").len(),
        1,
        "equal contracts share one process"
    );
    sb.track_marked();
}

#[test]
fn a_later_stateless_client_is_answered_server_discover_from_cache() {
    let Some(kit) = kit() else { return };
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("to-server.log");
    let time = format!("{} --local-timezone UTC", kit.py_bin("mcp-server-time"));
    // What reaches the process is copied to a file on the way.
    let server = vec![
        "sh".to_string(),
        "-c".into(),
        format!("tee -a '{}' | exec {time}", seen.display()),
    ];
    let sb = Sandbox::with_config(&config(&[("time", server.clone(), "")]));
    let modern = json!({"mode": "auto", "steps": [{"op": "list_tools"}]});
    let direct = comparable(&run_client(kit, &sb, PY, &server, &modern));
    std::fs::remove_file(&seen).unwrap();
    // One after the other: the second finds the instance the first left running.
    for i in 0..2 {
        let got = comparable(&run_client(kit, &sb, PY, &via("time"), &modern));
        if let Some(diff) = first_difference(&direct, &got, "") {
            panic!("client {i}: direct and through mcpd differ at {diff}");
        }
    }
    let log = std::fs::read_to_string(&seen).unwrap();
    let discovers = log
        .lines()
        .filter(|l| l.contains("\"server/discover\""))
        .count();
    let lists = log.lines().filter(|l| l.contains("\"tools/list\"")).count();
    assert_eq!((discovers, lists), (1, 2), "what the process got:\n{log}");
    assert_eq!(instances(&sb, "time").len(), 1);
    sb.track_marked();
}
