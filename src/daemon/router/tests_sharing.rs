//! Unit tests of exact sharing: contracts, owned server requests, roots, per-client views,
//! fidelity, oversized lines, lifecycle words.

use serde_json::{Value, json};

use super::tests::*;
use super::wire::Oversize;
use super::*;

/// A client with a contract from its own initialize line.
fn contract(version: &str, caps: Value) -> crate::daemon::contract::Contract {
    let line = req(
        json!(0),
        "initialize",
        json!({"protocolVersion": version, "capabilities": caps, "clientInfo": {"name": "t", "version": "1"}}),
    );
    crate::daemon::contract::Contract::of_first_line(&line)
}

/// Two initialized clients joined with `caps` (version 2025-11-25).
fn with_caps(caps: Value) -> (Router, Instant) {
    let base = Instant::now();
    let mut r = Router::new();
    for cid in 1..=2 {
        r.client_joined_with(cid, contract("2025-11-25", caps.clone()), base);
    }
    let params = json!({"protocolVersion": "2025-11-25", "capabilities": caps, "clientInfo": {"name": "t", "version": "1"}});
    let up = only_server(&r.from_client(1, &req(json!(0), "initialize", params.clone()), base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    only_client(
        &r.from_client(2, &req(json!(0), "initialize", params), base),
        2,
    );
    r.from_client(2, &note("notifications/initialized", Value::Null), base);
    (r, base)
}

#[test]
fn a_capability_the_client_did_not_declare_is_refused_to_the_server() {
    let (mut r, base) = with_caps(json!({}));
    r.from_client(1, &req(json!(1), "tools/call", json!({})), base);
    for method in ["sampling/createMessage", "elicitation/create", "roots/list"] {
        let got = only_server(&r.from_server(&req(json!(9), method, json!({})), base));
        assert_eq!(
            (got["id"].clone(), error_code(&got)),
            (json!(9), -32601),
            "{method}"
        );
    }
}

#[test]
fn with_sampling_declared_calls_of_different_clients_do_not_overlap() {
    let (mut r, base) = with_caps(json!({"sampling": {}}));
    let a =
        only_server(&r.from_client(1, &req(json!(1), "tools/call", json!({"name": "a"})), base));
    // Client 2's call waits while client 1's is in flight.
    assert!(
        r.from_client(2, &req(json!(1), "tools/call", json!({"name": "b"})), base)
            .is_empty()
    );
    // Client 1's next call queues behind client 2's (no one starves).
    assert!(
        r.from_client(1, &req(json!(2), "tools/list", json!({})), base)
            .is_empty()
    );
    // The sampling request has exactly one owner: client 1.
    let s = only_client(
        &r.from_server(&req(json!(7), "sampling/createMessage", json!({})), base),
        1,
    );
    let back =
        only_server(&r.from_client(1, &ok(s["id"].clone(), json!({"role": "assistant"})), base));
    assert_eq!(back["id"], json!(7));
    // Client 1's call ends: client 2's goes, and client 1's next waits for it.
    let out = r.from_server(&ok(a["id"].clone(), json!({})), base);
    assert_eq!(client_lines(&out, 1).len(), 1);
    let b = server_lines(&out);
    assert_eq!(b.len(), 1, "only client 2's call goes now: {out:?}");
    assert_eq!(b[0]["params"]["name"], "b");
    let s = only_client(
        &r.from_server(&req(json!(8), "sampling/createMessage", json!({})), base),
        2,
    );
    assert_eq!(s["method"], "sampling/createMessage");
    let out = r.from_server(&ok(b[0]["id"].clone(), json!({})), base);
    assert_eq!(client_lines(&out, 2).len(), 1);
    assert_eq!(server_lines(&out)[0]["method"], "tools/list");
}

#[test]
fn a_cancel_of_a_waiting_call_removes_it() {
    let (mut r, base) = with_caps(json!({"elicitation": {}}));
    let a = only_server(&r.from_client(1, &req(json!(1), "tools/call", json!({})), base));
    assert!(
        r.from_client(2, &req(json!(4), "tools/call", json!({})), base)
            .is_empty()
    );
    let cancel = note("notifications/cancelled", json!({"requestId": 4}));
    assert!(r.from_client(2, &cancel, base).is_empty());
    let out = r.from_server(&ok(a["id"].clone(), json!({})), base);
    assert_eq!(out.len(), 1, "nothing left to send: {out:?}");
}

#[test]
fn relayed_lines_keep_their_bytes_except_rewritten_fields() {
    let (mut r, base) = setup(2);
    // Key order (z before a), spacing and number spelling survive; only the id changes.
    let line = r#"{"method":"tools/call","params":{"z":1.50,"a":{"y":[1, 2],"b":"\u00e9"}},"jsonrpc":"2.0","id":7}"#;
    let out = r.from_client(2, line, base);
    let Out::ToServer(sent) = &out[0] else {
        panic!("{out:?}")
    };
    let up = parse(sent)["id"].as_u64().unwrap();
    assert_eq!(sent, &line.replace(r#""id":7"#, &format!(r#""id":{up}"#)));
    let answer =
        format!(r#"{{"jsonrpc":"2.0","id":{up},"result":{{"zz":{{"b":1,"a":2}},"n":1e3}}}}"#);
    let out = r.from_server(&answer, base);
    assert_eq!(
        out,
        [Out::ToClient(
            2,
            r#"{"jsonrpc":"2.0","id":7,"result":{"zz":{"b":1,"a":2},"n":1e3}}"#.into()
        )]
    );
    // Progress: only the token is replaced.
    let call = r#"{"jsonrpc":"2.0","id":"p","method":"tools/call","params":{"_meta":{"progressToken":"t-1","x":0},"name":"n"}}"#;
    let Out::ToServer(sent) = &r.from_client(1, call, base)[0] else {
        panic!()
    };
    let token = parse(sent)["params"]["_meta"]["progressToken"].clone();
    let progress = format!(
        r#"{{"jsonrpc":"2.0","method":"notifications/progress","params":{{"progressToken":{token},"progress":1,"total":2}}}}"#
    );
    assert_eq!(
        r.from_server(&progress, base),
        [Out::ToClient(1, r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t-1","progress":1,"total":2}}"#.into())]
    );
}

#[test]
fn an_initialize_of_another_contract_moves_the_client() {
    let mut r = Router::new();
    let base = Instant::now();
    let line = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover",
        "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}})
    .to_string();
    r.client_joined_with(
        1,
        crate::daemon::contract::Contract::of_first_line(&line),
        base,
    );
    let up = only_server(&r.from_client(1, &line, base));
    let err = json!({"jsonrpc": "2.0", "id": up["id"], "error": {"code": -32601, "message": "Method not found"}});
    assert_eq!(
        only_client(&r.from_server(&err.to_string(), base), 1)["id"],
        json!(1)
    );
    // The fallback handshake belongs to another instance.
    let init = req(json!(2), "initialize", init_params());
    let moved = Moved {
        lines: vec![init.clone()],
        ..Moved::default()
    };
    assert_eq!(r.from_client(1, &init, base), [Out::Move(1, moved)]);
    assert_eq!(r.clients(), 0);
}

#[test]
fn log_levels_are_per_client_and_the_server_gets_the_most_verbose() {
    let (mut r, base) = setup(2);
    let set = |r: &mut Router, cid, level: &str| {
        let sent = only_server(&r.from_client(
            cid,
            &req(json!(3), "logging/setLevel", json!({"level": level})),
            base,
        ));
        only_client(
            &r.from_server(&ok(sent["id"].clone(), json!({})), base),
            cid,
        );
        sent
    };
    assert_eq!(set(&mut r, 1, "error")["params"]["level"], "error");
    assert_eq!(set(&mut r, 2, "debug")["params"]["level"], "debug");
    // Client 1 asks for warning: the server still gets debug, for client 2.
    assert_eq!(set(&mut r, 1, "warning")["params"]["level"], "debug");
    let msg = |level: &str| {
        note(
            "notifications/message",
            json!({"level": level, "data": "x"}),
        )
    };
    let out = r.from_server(&msg("info"), base);
    assert_eq!(
        (client_lines(&out, 1).len(), client_lines(&out, 2).len()),
        (0, 1)
    );
    let out = r.from_server(&msg("error"), base);
    assert_eq!(
        (client_lines(&out, 1).len(), client_lines(&out, 2).len()),
        (1, 1)
    );
    // Client 2 leaves: the server is told client 1's level.
    let out = r.client_left(2);
    assert_eq!(only_server(&out)["params"]["level"], "warning");
}

#[test]
fn tasks_belong_to_their_creator() {
    let (mut r, base) = setup(2);
    let call = req(
        json!(1),
        "tools/call",
        json!({"name": "slow", "task": {"ttl": 1000}}),
    );
    let up = only_server(&r.from_client(1, &call, base))["id"].clone();
    let created = json!({"task": {"taskId": "T1", "status": "working"}});
    only_client(&r.from_server(&ok(up, created), base), 1);
    // Client 2 cannot see or touch it.
    let got = only_client(
        &r.from_client(
            2,
            &req(json!(5), "tasks/get", json!({"taskId": "T1"})),
            base,
        ),
        2,
    );
    assert_eq!(error_code(&got), -32602);
    let up =
        only_server(&r.from_client(2, &req(json!(6), "tasks/list", json!({})), base))["id"].clone();
    let all = json!({"tasks": [{"taskId": "T1"}, {"taskId": "T0"}]});
    let got = only_client(&r.from_server(&ok(up, all.clone()), base), 2);
    assert_eq!(got["result"]["tasks"], json!([]));
    let up =
        only_server(&r.from_client(1, &req(json!(7), "tasks/list", json!({})), base))["id"].clone();
    let got = only_client(&r.from_server(&ok(up, all), base), 1);
    assert_eq!(got["result"]["tasks"], json!([{"taskId": "T1"}]));
    let status = note(
        "notifications/tasks/status",
        json!({"taskId": "T1", "status": "completed"}),
    );
    only_client(&r.from_server(&status, base), 1);
}

#[test]
fn requests_wait_for_a_coming_process_or_fail_with_the_real_state() {
    let (mut r, base) = setup(1);
    r.server_down("exit status 0");
    assert!(r.server_state("fs exited (exit status 0)", true).is_empty());
    assert!(
        r.from_client(1, &req(json!(2), "tools/list", json!({})), base)
            .is_empty()
    );
    assert!(r.holding());
    // Told before the output ended, the state applies at the end.
    let hs = only_server(&r.server_up());
    assert!(!r.holding());
    r.server_state("fs failed (crash loop)", false);
    let out = r.from_server(&ok(hs["id"].clone(), init_result()), base);
    let list = server_lines(&out)
        .into_iter()
        .find(|v| v["method"] == "tools/list")
        .unwrap();
    r.from_client(1, &req(json!(3), "tools/list", json!({})), base);
    let out = r.server_down("killed");
    assert_eq!(client_lines(&out, 1).len(), 2, "both pending fail: {out:?}");
    let _ = list;
    let got = only_client(
        &r.from_client(1, &req(json!(4), "tools/list", json!({})), base),
        1,
    );
    assert_eq!(got["error"]["message"], "fs failed (crash loop)");
}

#[test]
fn oversized_lines_are_answered_with_their_size_and_the_limit() {
    let (mut r, base) = setup(1);
    let over = Oversize {
        size: 70_000_000,
        head: br#"{"jsonrpc":"2.0","id":12,"method":"tools/call","params""#.to_vec(),
        tail: b"xx\"}}".to_vec(),
    };
    let got = only_client(&r.oversized_from_client(1, &over, 1 << 20), 1);
    assert_eq!(got["id"], json!(12));
    let msg = got["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("70000000 bytes") && msg.contains("1048576 bytes"),
        "{msg}"
    );
    // A server response over the limit reaches its client as an error.
    let up = only_server(&r.from_client(1, &req(json!("big"), "resources/read", json!({})), base))
        ["id"]
        .clone();
    let over = Oversize {
        size: 80_000_000,
        head: b"{\"result\":{\"contents\":[{\"blob\":\"AAAA".to_vec(),
        tail: format!("AAAA\"}}]}},\"jsonrpc\":\"2.0\",\"id\":{up}}}").into_bytes(),
    };
    let got = only_client(&r.oversized_from_server(&over, 1 << 20), 1);
    assert_eq!(got["id"], json!("big"));
    assert!(
        got["error"]["message"]
            .as_str()
            .unwrap()
            .contains("80000000 bytes")
    );
}

/// Answers mcpd's own roots question to `cid` (the only line in `out` for it) with `dirs`.
fn answer_roots(r: &mut Router, out: &[Out], cid: ClientId, dirs: &[&str]) -> Vec<Out> {
    let ask = client_lines(out, cid)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("mcpd asks the client for its roots");
    let roots: Vec<Value> = dirs
        .iter()
        .map(|d| json!({"uri": format!("file://{d}")}))
        .collect();
    r.from_client(
        cid,
        &ok(ask["id"].clone(), json!({ "roots": roots })),
        Instant::now(),
    )
}

#[test]
fn clients_with_other_roots_are_moved_and_equal_roots_share() {
    let (mut r, base) = (Router::new(), Instant::now());
    let caps = json!({"roots": {"listChanged": true}});
    let params = json!({"protocolVersion": "2025-11-25", "capabilities": caps, "clientInfo": {"name": "t", "version": "1"}});
    let init = req(json!(0), "initialize", params);
    for cid in 1..=3 {
        r.client_joined_with(cid, contract("2025-11-25", caps.clone()), base);
    }
    let up = only_server(&r.from_client(1, &init, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    let out = r.from_client(1, &note("notifications/initialized", Value::Null), base);
    // The first (the definer) is not asked by mcpd: the server asks it, as directly.
    assert_eq!(only_server(&out)["method"], "notifications/initialized");
    let sent = only_server(&r.from_client(1, &req(json!(1), "tools/list", json!({})), base));
    r.from_server(&ok(sent["id"].clone(), json!({})), base);
    let ask = only_client(
        &r.from_server(&req(json!(50), "roots/list", json!({})), base),
        1,
    );
    let out = r.from_client(
        1,
        &ok(ask["id"].clone(), json!({"roots": [{"uri": "file:///a"}]})),
        base,
    );
    assert_eq!(
        only_server(
            &out.iter()
                .filter(|o| matches!(o, Out::ToServer(_)))
                .cloned()
                .collect::<Vec<_>>()
        )["id"],
        json!(50)
    );
    assert!(out.contains(&Out::Roots(r#"[{"uri":"file:///a"}]"#.into())));
    // The server's next roots/list, with no call in flight, is answered from the instance's roots.
    let got = only_server(&r.from_server(&req(json!(51), "roots/list", json!({})), base));
    assert_eq!(got["result"]["roots"][0]["uri"], "file:///a");
    // Same roots: client 2 stays; its requests wait for the comparison.
    only_client(&r.from_client(2, &init, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    assert!(
        r.from_client(2, &req(json!(9), "tools/list", json!({})), base)
            .is_empty()
    );
    let out = answer_roots(&mut r, &out, 2, &["/a"]);
    assert_eq!(only_server(&out)["method"], "tools/list");
    // Other roots: client 3 moves, taking its initialize (answered) and held lines along.
    only_client(&r.from_client(3, &init, base), 3);
    let out = r.from_client(3, &note("notifications/initialized", Value::Null), base);
    let call = req(json!(4), "tools/call", json!({}));
    assert!(r.from_client(3, &call, base).is_empty());
    let out = answer_roots(&mut r, &out, 3, &["/b"]);
    let want = Moved {
        init: Some(init.clone()),
        lines: vec![call],
        roots: Some(r#"[{"uri":"file:///b"}]"#.into()),
    };
    assert_eq!(out.last(), Some(&Out::Move(3, want)));
    assert_eq!(r.client_ids(), [1, 2]);
    // Client 1's roots change while it shares: it moves; alone, client 2 keeps the instance.
    let out = r.from_client(
        1,
        &note("notifications/roots/list_changed", Value::Null),
        base,
    );
    let out = answer_roots(&mut r, &out, 1, &["/c"]);
    assert!(matches!(out.last(), Some(Out::Move(1, _))), "{out:?}");
    let out = r.from_client(
        2,
        &note("notifications/roots/list_changed", Value::Null),
        base,
    );
    let out = answer_roots(&mut r, &out, 2, &["/d"]);
    assert_eq!(
        only_server(
            &out.iter()
                .filter(|o| matches!(o, Out::ToServer(_)))
                .cloned()
                .collect::<Vec<_>>()
        )["method"],
        "notifications/roots/list_changed"
    );
    assert!(out.contains(&Out::Roots(r#"[{"uri":"file:///d"}]"#.into())));
}

#[test]
fn a_moved_client_is_initialized_silently() {
    let (mut r, base) = (Router::new(), Instant::now());
    let caps = json!({"roots": {}});
    let mut k = contract("2025-11-25", caps.clone());
    k.known_roots = Some(r#"[{"uri":"file:///b"}]"#.into());
    r.client_joined_with(3, k, base);
    let params = json!({"protocolVersion": "2025-11-25", "capabilities": caps, "clientInfo": {"name": "t", "version": "1"}});
    let init = req(json!(0), "initialize", params);
    let out = r.replay_initialize(3, &init);
    // Alone, its roots are the instance's.
    assert!(
        out.contains(&Out::Roots(r#"[{"uri":"file:///b"}]"#.into())),
        "{out:?}"
    );
    let up = server_lines(&out)[0]["id"].clone();
    // Its calls wait until the server has its handshake and roots.
    assert!(
        r.from_client(3, &req(json!(4), "tools/call", json!({})), base)
            .is_empty()
    );
    let out = r.from_server(&ok(up, init_result()), base);
    // No answer to the client; the server hears `initialized` from mcpd, then a settle ping.
    let sent = server_lines(&out);
    assert_eq!(sent[0]["method"], "notifications/initialized");
    assert_eq!(sent[1]["method"], "ping");
    // The server's roots/list is answered with its roots, and another ping follows.
    let out = r.from_server(&req(json!(0), "roots/list", json!({})), base);
    let got = server_lines(&out);
    assert_eq!(got[0]["result"]["roots"][0]["uri"], "file:///b");
    assert!(
        r.from_server(&ok(sent[1]["id"].clone(), json!({})), base)
            .is_empty(),
        "a stale ping"
    );
    let out = r.from_server(&ok(got[1]["id"].clone(), json!({})), base);
    assert_eq!(only_server(&out)["method"], "tools/call");
}

#[test]
fn after_a_restart_clients_hear_list_changed_only_when_a_list_differs() {
    let (mut r, base) = setup(2);
    let tools = |names: &[&str]| json!({"tools": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
    for (cid, list) in [(1, "tools/list"), (2, "prompts/list")] {
        let sent = only_server(&r.from_client(cid, &req(json!(5), list, json!({})), base));
        let result = if cid == 1 {
            tools(&["a", "b"])
        } else {
            json!({"prompts": []})
        };
        r.from_server(&ok(sent["id"].clone(), result), base);
    }
    r.server_down("killed");
    let hs = only_server(&r.server_up());
    let out = r.from_server(&ok(hs["id"].clone(), init_result()), base);
    let asks: Vec<Value> = server_lines(&out)
        .into_iter()
        .filter(|v| v["id"].is_number())
        .collect();
    assert_eq!(
        asks.len(),
        2,
        "the new process is asked for both lists: {out:?}"
    );
    for ask in asks {
        let out = if ask["method"] == "tools/list" {
            r.from_server(&ok(ask["id"].clone(), tools(&["a", "c"])), base)
        } else {
            r.from_server(&ok(ask["id"].clone(), json!({"prompts": []})), base)
        };
        let told: Vec<Value> = [1, 2].iter().flat_map(|c| client_lines(&out, *c)).collect();
        if ask["method"] == "tools/list" {
            assert_eq!(told.len(), 2, "{out:?}");
            assert!(
                told.iter()
                    .all(|v| v["method"] == "notifications/tools/list_changed")
            );
        } else {
            assert!(told.is_empty(), "prompts did not change: {out:?}");
        }
    }
}
