//! Unit tests of the router's lifecycle: the server going down and up, replayed handshakes, held
//! queues, lines that cannot reach the server, and garbage.

use serde_json::{Value, json};

use super::tests::*;
use super::wire::Oversize;
use super::*;

#[test]
fn server_down_fails_pending_and_rejects_new_requests() {
    let (mut r, base) = setup(2);
    r.from_client(1, &req(json!(1), "tools/call", json!({})), base);
    r.from_client(2, &req(json!("x"), "tools/call", json!({})), base);
    let rid = only_client(
        &r.from_server(&req(json!(9), "roots/list", json!({})), base),
        2,
    )["id"]
        .clone();
    let out = r.server_down("exit status 1");
    let c1 = client_lines(&out, 1);
    assert_eq!(
        (c1[0]["id"].clone(), error_code(&c1[0])),
        (json!(1), -32603)
    );
    assert!(
        c1[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("exit status 1"))
    );
    let c2 = client_lines(&out, 2);
    assert_eq!(c2.len(), 2);
    assert!(c2.iter().any(|v| v["id"] == json!("x")));
    assert!(
        c2.iter()
            .any(|v| v["method"] == "notifications/cancelled" && v["params"]["requestId"] == rid)
    );
    assert!(server_lines(&out).is_empty());
    assert_eq!(r.pending(), 0);
    // Until the supervisor tells what follows, a request waits; then it fails with those words.
    assert!(
        r.from_client(1, &req(json!(2), "tools/list", json!({})), base)
            .is_empty()
    );
    let got = only_client(&r.server_state("slow exited (exit status 1)", false), 1);
    assert_eq!(got["error"]["message"], "slow exited (exit status 1)");
    assert!(
        r.from_client(
            1,
            &note("notifications/roots/list_changed", Value::Null),
            base
        )
        .is_empty()
    );
    // initialize is still answered from the cache.
    assert_eq!(
        only_client(
            &r.from_client(3, &req(json!(1), "initialize", init_params()), base),
            3
        )["result"],
        init_result()
    );
    // Stale output of the dead process is ignored.
    assert!(
        r.from_server(&req(json!(1), "roots/list", json!({})), base)
            .is_empty()
    );
}

#[test]
fn server_up_replays_the_handshake_queues_and_flushes() {
    let (mut r, base) = setup(2);
    let sent = only_server(&r.from_client(
        1,
        &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
        base,
    ));
    r.from_server(&ok(sent["id"].clone(), json!({})), base);
    r.server_down("killed");
    let hs = only_server(&r.server_up());
    assert_eq!(hs["method"], "initialize");
    assert_eq!(hs["params"], init_params());
    let hs_id = hs["id"].as_u64().expect("integer id");
    assert!(
        hs_id > sent["id"].as_u64().expect("integer id"),
        "ids are never reused"
    );
    // Queued while the handshake runs, in order.
    assert!(
        r.from_client(2, &req(json!(1), "tools/list", json!({})), base)
            .is_empty()
    );
    assert!(
        r.from_client(1, &req(json!(1), "tools/call", json!({})), base)
            .is_empty()
    );
    assert!(
        r.from_client(
            2,
            &note("notifications/cancelled", json!({"requestId": 1})),
            base
        )
        .is_empty()
    );
    assert!(
        r.from_client(2, &note("notifications/initialized", Value::Null), base)
            .is_empty()
    );
    // A server ping during the handshake is still answered.
    assert_eq!(
        server_lines(&r.from_server(&req(json!(0), "ping", Value::Null), base)).len(),
        1
    );
    let out = r.from_server(&ok(json!(hs_id), init_result()), base);
    let up = server_lines(&out);
    assert!(
        client_lines(&out, 1).is_empty() && client_lines(&out, 2).is_empty(),
        "handshake is private"
    );
    let methods: Vec<&str> = up
        .iter()
        .map(|v| v["method"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        methods,
        [
            "notifications/initialized",
            "resources/subscribe",
            "tools/list",
            "tools/call",
            "notifications/cancelled"
        ]
    );
    assert_eq!(
        up[4]["params"]["requestId"], up[2]["id"],
        "the cancel follows its request"
    );
    // The resubscribe answer is swallowed; client 1's call is answered as usual.
    assert!(
        r.from_server(&ok(up[1]["id"].clone(), json!({})), base)
            .is_empty()
    );
    assert_eq!(
        only_client(&r.from_server(&ok(up[3]["id"].clone(), json!({})), base), 1)["id"],
        json!(1)
    );
    // No second notifications/initialized for this process.
    assert!(
        r.from_client(1, &note("notifications/initialized", Value::Null), base)
            .is_empty()
    );
}

#[test]
fn server_up_without_cache_is_ready_at_once() {
    let mut r = Router::new();
    let base = Instant::now();
    assert!(r.server_down("crash").is_empty());
    assert!(r.server_up().is_empty());
    assert_eq!(
        only_server(&r.from_client(1, &req(json!(1), "initialize", init_params()), base))["method"],
        "initialize"
    );
}

#[test]
fn failed_replay_fails_the_queue_and_forgets_the_cache() {
    let (mut r, base) = setup(1);
    r.server_down("x");
    let hs = only_server(&r.server_up());
    r.from_client(1, &req(json!(3), "tools/list", json!({})), base);
    let err = json!({"jsonrpc": "2.0", "id": hs["id"], "error": {"code": -32602, "message": "unsupported"}});
    let got = only_client(&r.from_server(&err.to_string(), base), 1);
    assert_eq!((got["id"].clone(), error_code(&got)), (json!(3), -32603));
    assert_eq!(
        only_server(&r.from_client(1, &req(json!(4), "initialize", init_params()), base))["method"],
        "initialize"
    );
}

#[test]
fn subscribe_pending_at_server_down_is_not_replayed() {
    let (mut r, base) = setup(1);
    r.from_client(
        1,
        &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
        base,
    );
    assert_eq!(error_code(&only_client(&r.server_down("x"), 1)), -32603);
    let hs = only_server(&r.server_up());
    let out = r.from_server(&ok(hs["id"].clone(), init_result()), base);
    assert_eq!(only_server(&out)["method"], "notifications/initialized");
}

#[test]
fn down_during_replay_fails_the_queue() {
    let (mut r, base) = setup(1);
    r.server_down("x");
    r.server_up();
    r.from_client(1, &req(json!(3), "tools/list", json!({})), base);
    let got = only_client(&r.server_down("again"), 1);
    assert_eq!(got["id"], json!(3));
    assert_eq!(r.pending(), 0);
}

#[test]
fn queue_is_capped() {
    let (mut r, base) = setup(1);
    r.server_down("x");
    r.server_up();
    for i in 0..QUEUE_CAP {
        assert!(
            r.from_client(1, &req(json!(i), "tools/list", json!({})), base)
                .is_empty()
        );
    }
    let got = only_client(
        &r.from_client(1, &req(json!("over"), "tools/list", json!({})), base),
        1,
    );
    assert_eq!(
        (got["id"].clone(), error_code(&got)),
        (json!("over"), -32603)
    );
}

#[test]
fn server_up_while_up_replaces_the_process() {
    let (mut r, base) = setup(1);
    r.from_client(1, &req(json!(1), "tools/list", json!({})), base);
    let out = r.server_up();
    assert_eq!(client_lines(&out, 1)[0]["id"], json!(1));
    assert_eq!(server_lines(&out)[0]["method"], "initialize");
}

#[test]
fn garbage_and_batches_get_errors() {
    let (mut r, base) = setup(2);
    let one = |r: &mut Router, line: &str| only_client(&r.from_client(1, line, base), 1);
    let got = one(&mut r, "{not json");
    assert_eq!((got["id"].clone(), error_code(&got)), (Value::Null, -32700));
    assert_eq!(error_code(&one(&mut r, "42")), -32600);
    let got = one(&mut r, r#"{"jsonrpc":"1.0","id":5,"method":"x"}"#);
    assert_eq!((got["id"].clone(), error_code(&got)), (json!(5), -32600));
    let got = one(&mut r, r#"{"jsonrpc":"2.0","id":"s","method":3}"#);
    assert_eq!(got["id"], json!("s"));
    assert_eq!(
        one(&mut r, r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#)["id"],
        Value::Null
    );
    assert_eq!(
        error_code(&one(&mut r, r#"{"jsonrpc":"2.0","id":1}"#)),
        -32600
    );
    // Missing "jsonrpc" is tolerated.
    assert_eq!(
        only_server(&r.from_client(1, r#"{"id":1,"method":"tools/list"}"#, base))["method"],
        "tools/list"
    );
    let out = r.from_client(
        1,
        &format!(
            "[{},{}]",
            req(json!(1), "a", Value::Null),
            req(json!("b"), "b", Value::Null)
        ),
        base,
    );
    let ids: Vec<Value> = client_lines(&out, 1)
        .iter()
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(ids, [json!(1), json!("b")]);
    assert!(
        client_lines(&out, 1)
            .iter()
            .all(|v| v["error"]["message"] == "batch requests are not supported")
    );
    let got = one(&mut r, &format!("[{}]", note("n", Value::Null)));
    assert_eq!((got["id"].clone(), error_code(&got)), (Value::Null, -32600));
    assert_eq!(one(&mut r, "[]")["id"], Value::Null);
    let got = only_client(&r.oversized_from_client(1, &Oversize::default(), 64), 1);
    assert_eq!((got["id"].clone(), error_code(&got)), (Value::Null, -32600));
    // A stray response from a client is dropped.
    assert!(r.from_client(1, &ok(json!(1), json!({})), base).is_empty());
    // Nothing reached client 2.
    assert_eq!(r.pending(), 1);
}

#[test]
fn unknown_or_garbage_server_lines_are_dropped() {
    let (mut r, base) = setup(1);
    assert!(r.from_server(&ok(json!(12345), json!({})), base).is_empty());
    assert!(
        r.from_server(&ok(json!("mcpd-x"), json!({})), base)
            .is_empty()
    );
    assert!(r.from_server("not json", base).is_empty());
    assert!(r.from_server("[1,2]", base).is_empty());
    assert!(r.from_server(r#"{"jsonrpc":"2.0"}"#, base).is_empty());
    assert!(
        r.from_server(&ok(json!(1), json!({})), base).is_empty(),
        "the initialize id is spent"
    );
}

#[test]
fn uninitialized_clients_are_still_forwarded() {
    let mut r = Router::new();
    let base = Instant::now();
    let sent = only_server(&r.from_client(9, &req(json!(1), "tools/list", json!({})), base));
    assert_eq!(r.client_ids(), vec![9]);
    assert_eq!(
        only_client(
            &r.from_server(&ok(sent["id"].clone(), json!({"tools": []})), base),
            9
        )["id"],
        json!(1)
    );
}

#[test]
fn a_request_that_cannot_reach_the_server_is_answered_at_once_and_not_left_pending() {
    let (mut r, base) = setup(2);
    let mut params = json!({"name": "t"});
    params["_meta"] = json!({"progressToken": "tok"});
    let out = r.from_client(1, &req(json!(5), "tools/call", params), base);
    let line = match &out[..] {
        [Out::ToServer(l)] => l.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(r.pending(), 1);
    let out = r.undeliverable(&line, "the server is not reading its stdin");
    let err = only_client(&out, 1);
    assert_eq!(err["id"], json!(5));
    assert_eq!(
        err["error"]["message"],
        "the server is not reading its stdin"
    );
    assert_eq!(
        r.pending(),
        0,
        "nothing waits for an answer that cannot come"
    );
    // A late answer for it (had it reached the server after all) goes nowhere.
    let up = parse(&line)["id"].clone();
    assert!(r.from_server(&ok(up, json!({})), base).is_empty());
    // Notifications and answers to the server's requests have nobody to tell.
    assert!(
        r.undeliverable(&note("notifications/progress", json!({})), "x")
            .is_empty()
    );
}

#[test]
fn an_initialize_that_cannot_reach_the_server_fails_its_waiters_and_the_next_is_sent() {
    let base = Instant::now();
    let mut r = Router::new();
    r.client_joined(1, base);
    r.client_joined(2, base);
    let first = only_server(&r.from_client(1, &req(json!(0), "initialize", init_params()), base));
    assert!(
        r.from_client(2, &req(json!(9), "initialize", init_params()), base)
            .is_empty()
    );
    let out = r.undeliverable(&first.to_string(), "the server's stdin is closed");
    assert_eq!(client_lines(&out, 1)[0]["id"], json!(0));
    assert_eq!(client_lines(&out, 2)[0]["id"], json!(9));
    assert_eq!(r.pending(), 0);
    let again = r.from_client(1, &req(json!(1), "initialize", init_params()), base);
    assert_eq!(only_server(&again)["method"], "initialize");
}

#[test]
fn held_requests_are_capped_in_bytes_too() {
    let (mut r, base) = setup(1);
    r.server_down("x");
    r.server_up();
    let big = json!({"pad": "x".repeat(QUEUE_BYTES / 4)});
    for i in 0..3 {
        let out = r.from_client(1, &req(json!(i), "tools/call", big.clone()), base);
        assert!(out.is_empty(), "{out:?}");
    }
    // The fourth would take the queue past its bytes: answered at once, not held.
    let got = only_client(
        &r.from_client(1, &req(json!("over"), "tools/call", big), base),
        1,
    );
    assert_eq!(
        (got["id"].clone(), error_code(&got)),
        (json!("over"), -32603)
    );
}
