//! Unit tests of the router, with synthetic lines.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

/// A fixed origin so that "most recently active" is deterministic.
pub(super) fn at(base: Instant, secs: u64) -> Instant {
    base + Duration::from_secs(secs)
}

pub(super) fn parse(line: &str) -> Value {
    assert!(!line.contains('\n'), "embedded newline in {line}");
    serde_json::from_str(line).expect("router emitted invalid JSON")
}

pub(super) fn server_lines(out: &[Out]) -> Vec<Value> {
    out.iter()
        .filter_map(|o| match o {
            Out::ToServer(l) => Some(parse(l)),
            Out::ToClient(..) | Out::Move(..) | Out::Roots(..) => None,
        })
        .collect()
}

pub(super) fn client_lines(out: &[Out], cid: ClientId) -> Vec<Value> {
    out.iter()
        .filter_map(|o| match o {
            Out::ToClient(c, l) if *c == cid => Some(parse(l)),
            _ => None,
        })
        .collect()
}

pub(super) fn only_server(out: &[Out]) -> Value {
    assert_eq!(out.len(), 1, "{out:?}");
    server_lines(out).remove(0)
}

pub(super) fn only_client(out: &[Out], cid: ClientId) -> Value {
    assert_eq!(out.len(), 1, "{out:?}");
    let mut lines = client_lines(out, cid);
    assert_eq!(lines.len(), 1, "{out:?}");
    lines.remove(0)
}

pub(super) fn req(id: Value, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

pub(super) fn note(method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

pub(super) fn ok(id: Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

pub(super) fn init_params() -> Value {
    json!({"protocolVersion": "2025-11-25", "capabilities": {"roots": {}}, "clientInfo": {"name": "a", "version": "1"}})
}

pub(super) fn init_result() -> Value {
    json!({"protocolVersion": "2025-11-25", "capabilities": {"tools": {"listChanged": true}}, "serverInfo": {"name": "s", "version": "1"}})
}

pub(super) fn error_code(v: &Value) -> i64 {
    v["error"]["code"].as_i64().expect("an error response")
}

/// `n` clients (ids 1..=n, client k last active at second k), all initialized; client 1 did
/// the upstream handshake with upstream id 1.
pub(super) fn setup(n: u64) -> (Router, Instant) {
    let base = Instant::now();
    let mut r = Router::new();
    for cid in 1..=n {
        r.client_joined(cid, at(base, 0));
    }
    let out = r.from_client(1, &req(json!(0), "initialize", init_params()), at(base, 1));
    assert_eq!(only_server(&out)["id"], json!(1));
    let out = r.from_server(&ok(json!(1), init_result()), at(base, 1));
    assert_eq!(only_client(&out, 1)["result"], init_result());
    let out = r.from_client(
        1,
        &note("notifications/initialized", Value::Null),
        at(base, 1),
    );
    assert_eq!(only_server(&out)["method"], "notifications/initialized");
    for cid in 2..=n {
        let out = r.from_client(
            cid,
            &req(json!(0), "initialize", init_params()),
            at(base, cid),
        );
        assert_eq!(only_client(&out, cid)["result"], init_result());
        let out = r.from_client(
            cid,
            &note("notifications/initialized", Value::Null),
            at(base, cid),
        );
        assert!(out.is_empty(), "{out:?}");
    }
    (r, base)
}

#[test]
fn three_clients_with_the_same_ids_get_only_their_own_answers() {
    let (mut r, base) = setup(3);
    let mut upstream = Vec::new();
    for cid in 1..=3 {
        for id in 1..=3 {
            let out = r.from_client(
                cid,
                &req(json!(id), "tools/call", json!({"name": format!("c{cid}")})),
                at(base, 9),
            );
            let sent = only_server(&out);
            upstream.push((cid, id, sent["id"].as_u64().expect("integer upstream id")));
        }
    }
    let ids: BTreeSet<u64> = upstream.iter().map(|u| u.2).collect();
    assert_eq!(ids.len(), 9, "upstream ids are unique");
    assert!(ids.iter().all(|&id| id > 1), "1 was the initialize");
    assert_eq!(r.pending(), 9);
    // Answer in reverse order; each goes to its owner with its own id.
    for &(cid, id, up) in upstream.iter().rev() {
        let out = r.from_server(&ok(json!(up), json!({"who": cid, "n": id})), at(base, 10));
        let got = only_client(&out, cid);
        assert_eq!(got["id"], json!(id));
        assert_eq!(got["result"], json!({"who": cid, "n": id}));
    }
    assert_eq!(r.pending(), 0);
}

#[test]
fn initialize_is_cached_for_later_clients_and_initialized_sent_once() {
    let (mut r, base) = setup(1);
    r.client_joined(2, at(base, 2));
    let out = r.from_client(
        2,
        &req(json!("init-x"), "initialize", init_params()),
        at(base, 2),
    );
    let got = only_client(&out, 2);
    assert_eq!(got["id"], json!("init-x"));
    assert_eq!(got["result"], init_result());
    assert!(
        r.from_client(
            2,
            &note("notifications/initialized", Value::Null),
            at(base, 2)
        )
        .is_empty()
    );
    assert_eq!(r.pending(), 0);
}

#[test]
fn concurrent_initialize_waits_for_the_first_answer() {
    let base = Instant::now();
    let mut r = Router::new();
    let out = r.from_client(1, &req(json!(1), "initialize", init_params()), base);
    let up = only_server(&out)["id"].clone();
    assert!(
        r.from_client(2, &req(json!("b"), "initialize", init_params()), base)
            .is_empty()
    );
    let out = r.from_server(&ok(up, init_result()), base);
    assert_eq!(out.len(), 2);
    assert_eq!(client_lines(&out, 1)[0]["id"], json!(1));
    assert_eq!(client_lines(&out, 2)[0]["id"], json!("b"));
    assert_eq!(client_lines(&out, 2)[0]["result"], init_result());
    // Both count as initialized: a broadcast reaches both.
    let out = r.from_server(&note("notifications/tools/list_changed", Value::Null), base);
    assert_eq!(r.client_ids(), vec![1, 2]);
    assert_eq!(out.len(), 2);
}

#[test]
fn initialize_error_is_passed_on_and_not_cached() {
    let base = Instant::now();
    let mut r = Router::new();
    let up =
        only_server(&r.from_client(1, &req(json!(1), "initialize", init_params()), base))["id"]
            .clone();
    assert!(
        r.from_client(2, &req(json!(7), "initialize", init_params()), base)
            .is_empty()
    );
    let err =
        json!({"jsonrpc": "2.0", "id": up, "error": {"code": -32602, "message": "bad version"}});
    let out = r.from_server(&err.to_string(), base);
    assert_eq!(error_code(&client_lines(&out, 1)[0]), -32602);
    assert_eq!(client_lines(&out, 2)[0]["id"], json!(7));
    // Not cached: the next initialize goes upstream again, with a fresh id.
    let again = only_server(&r.from_client(2, &req(json!(8), "initialize", init_params()), base));
    assert_eq!(again["method"], "initialize");
    assert_ne!(again["id"], up);
}

#[test]
fn string_ids_are_preserved() {
    let (mut r, base) = setup(2);
    let up1 =
        only_server(&r.from_client(1, &req(json!("abc"), "tools/list", json!({})), base))["id"]
            .clone();
    let up2 =
        only_server(&r.from_client(2, &req(json!(1), "tools/list", json!({})), base))["id"].clone();
    let up3 = only_server(&r.from_client(2, &req(json!("1"), "tools/list", json!({})), base))["id"]
        .clone();
    assert!(up1.is_u64() && up2.is_u64() && up3.is_u64());
    assert_eq!(
        only_client(&r.from_server(&ok(up1, json!({})), base), 1)["id"],
        json!("abc")
    );
    assert_eq!(
        only_client(&r.from_server(&ok(up3, json!({})), base), 2)["id"],
        json!("1")
    );
    assert_eq!(
        only_client(&r.from_server(&ok(up2, json!({})), base), 2)["id"],
        json!(1)
    );
}

#[test]
fn client_cancel_is_mapped_to_the_upstream_id() {
    let (mut r, base) = setup(2);
    let up_a =
        only_server(&r.from_client(1, &req(json!(5), "tools/call", json!({})), base))["id"].clone();
    let up_b =
        only_server(&r.from_client(2, &req(json!(5), "tools/call", json!({})), base))["id"].clone();
    let out = r.from_client(
        2,
        &note(
            "notifications/cancelled",
            json!({"requestId": 5, "reason": "user"}),
        ),
        base,
    );
    let sent = only_server(&out);
    assert_eq!(sent["params"]["requestId"], up_b);
    assert_eq!(sent["params"]["reason"], "user");
    assert_eq!(r.pending(), 1);
    // Unknown ids, and ids already cancelled, are dropped.
    assert!(
        r.from_client(
            2,
            &note("notifications/cancelled", json!({"requestId": 5})),
            base
        )
        .is_empty()
    );
    assert!(
        r.from_client(
            2,
            &note("notifications/cancelled", json!({"requestId": "zz"})),
            base
        )
        .is_empty()
    );
    // A late answer to the cancelled request goes nowhere; client 1's request is untouched.
    assert!(r.from_server(&ok(up_b, json!({})), base).is_empty());
    assert_eq!(
        only_client(&r.from_server(&ok(up_a, json!({})), base), 1)["id"],
        json!(5)
    );
}

#[test]
fn progress_goes_to_the_requesting_client_with_its_token() {
    let (mut r, base) = setup(2);
    let call = |token: Value| {
        req(
            json!(1),
            "tools/call",
            json!({"name": "t", "_meta": {"progressToken": token}}),
        )
    };
    let s1 = only_server(&r.from_client(1, &call(json!("tok")), base));
    let s2 = only_server(&r.from_client(2, &call(json!("tok")), base));
    let t1 = s1["params"]["_meta"]["progressToken"].clone();
    let t2 = s2["params"]["_meta"]["progressToken"].clone();
    assert_ne!(t1, t2);
    assert_eq!(s1["params"]["name"], "t");
    let progress = |t: &Value| {
        note(
            "notifications/progress",
            json!({"progressToken": t, "progress": 1, "total": 2}),
        )
    };
    let got = only_client(&r.from_server(&progress(&t2), base), 2);
    assert_eq!(got["params"]["progressToken"], json!("tok"));
    assert_eq!(got["params"]["progress"], json!(1));
    // Numeric tokens come back as numbers.
    let s3 = only_server(&r.from_client(1, &call(json!(42)), base));
    let t3 = s3["params"]["_meta"]["progressToken"].clone();
    assert_eq!(
        only_client(&r.from_server(&progress(&t3), base), 1)["params"]["progressToken"],
        json!(42)
    );
    // Unknown tokens are dropped; a token dies with its request.
    assert!(r.from_server(&progress(&json!("other")), base).is_empty());
    r.from_server(&ok(s1["id"].clone(), json!({})), base);
    assert!(r.from_server(&progress(&t1), base).is_empty());
}

#[test]
fn notifications_are_broadcast_to_initialized_clients() {
    let (mut r, base) = setup(2);
    r.client_joined(3, base); // connected but not initialized
    let line = note("notifications/tools/list_changed", Value::Null);
    let out = r.from_server(&line, base);
    assert_eq!(
        out,
        vec![
            Out::ToClient(1, line.clone()),
            Out::ToClient(2, line.clone())
        ]
    );
    let log = note(
        "notifications/message",
        json!({"level": "info", "data": "x"}),
    );
    assert_eq!(r.from_server(&log, base).len(), 2);
}

#[test]
fn resource_updates_go_to_subscribers_and_subscribe_is_deduplicated() {
    let (mut r, base) = setup(3);
    let sub = |id: u64, uri: &str| req(json!(id), "resources/subscribe", json!({"uri": uri}));
    let unsub = |id: u64, uri: &str| req(json!(id), "resources/unsubscribe", json!({"uri": uri}));
    let sent = only_server(&r.from_client(1, &sub(10, "file:///a"), base));
    assert_eq!(sent["method"], "resources/subscribe");
    assert_eq!(
        only_client(&r.from_server(&ok(sent["id"].clone(), json!({})), base), 1)["id"],
        json!(10)
    );
    // The second subscriber is answered locally.
    let got = only_client(&r.from_client(2, &sub(11, "file:///a"), base), 2);
    assert_eq!(
        (got["id"].clone(), got["result"].clone()),
        (json!(11), json!({}))
    );
    let updated = note(
        "notifications/resources/updated",
        json!({"uri": "file:///a"}),
    );
    let out = r.from_server(&updated, base);
    assert_eq!(
        out,
        vec![
            Out::ToClient(1, updated.clone()),
            Out::ToClient(2, updated.clone())
        ]
    );
    let other = note(
        "notifications/resources/updated",
        json!({"uri": "file:///b"}),
    );
    assert!(r.from_server(&other, base).is_empty());
    // Unsubscribe: local while others remain, upstream for the last one.
    assert_eq!(
        only_client(&r.from_client(1, &unsub(12, "file:///a"), base), 1)["result"],
        json!({})
    );
    assert_eq!(
        r.from_server(&updated, base),
        vec![Out::ToClient(2, updated.clone())]
    );
    let sent = only_server(&r.from_client(2, &unsub(13, "file:///a"), base));
    assert_eq!(sent["method"], "resources/unsubscribe");
    assert_eq!(
        only_client(&r.from_server(&ok(sent["id"].clone(), json!({})), base), 2)["id"],
        json!(13)
    );
    assert!(r.from_server(&updated, base).is_empty());
}

#[test]
fn refused_subscribe_is_forgotten() {
    let (mut r, base) = setup(1);
    let sent = only_server(&r.from_client(
        1,
        &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
        base,
    ));
    let err =
        json!({"jsonrpc": "2.0", "id": sent["id"], "error": {"code": -32002, "message": "no"}});
    assert_eq!(
        error_code(&only_client(&r.from_server(&err.to_string(), base), 1)),
        -32002
    );
    let again = r.from_client(
        1,
        &req(json!(2), "resources/subscribe", json!({"uri": "u"})),
        base,
    );
    assert_eq!(only_server(&again)["method"], "resources/subscribe");
}

#[test]
fn leaving_last_subscriber_unsubscribes_upstream_and_swallows_the_answer() {
    let (mut r, base) = setup(2);
    let sent = only_server(&r.from_client(
        1,
        &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
        base,
    ));
    r.from_server(&ok(sent["id"].clone(), json!({})), base);
    r.from_client(
        2,
        &req(json!(1), "resources/subscribe", json!({"uri": "u"})),
        base,
    );
    assert!(r.client_left(1).is_empty(), "client 2 still holds u");
    let sent = only_server(&r.client_left(2));
    assert_eq!(sent["method"], "resources/unsubscribe");
    assert_eq!(sent["params"]["uri"], "u");
    assert_eq!(r.pending(), 1);
    assert!(
        r.from_server(&ok(sent["id"].clone(), json!({})), base)
            .is_empty()
    );
    assert_eq!(r.pending(), 0);
}

#[test]
fn server_ping_is_answered_locally() {
    let (mut r, base) = setup(1);
    let out = r.from_server(&req(json!("p1"), "ping", Value::Null), base);
    assert_eq!(
        out,
        vec![Out::ToServer(
            r#"{"id":"p1","jsonrpc":"2.0","result":{}}"#.into()
        )]
    );
}

#[test]
fn roots_list_goes_to_the_client_whose_call_is_in_flight_and_back() {
    let (mut r, base) = setup(3);
    r.from_client(2, &req(json!(99), "tools/list", json!({})), at(base, 50));
    let out = r.from_server(&req(json!(7), "roots/list", json!({})), base);
    let fwd = only_client(&out, 2);
    assert_eq!(fwd["method"], "roots/list");
    let rid = fwd["id"].clone();
    assert_ne!(rid, json!(7));
    // Another client cannot answer it; the chosen one can.
    assert!(
        r.from_client(1, &ok(rid.clone(), json!({"roots": []})), at(base, 51))
            .is_empty()
    );
    let out = r.from_client(
        2,
        &ok(rid.clone(), json!({"roots": [{"uri": "file:///w"}]})),
        at(base, 52),
    );
    let back = only_server(&out);
    assert_eq!(back["id"], json!(7));
    assert_eq!(back["result"]["roots"][0]["uri"], "file:///w");
    // Answered once only.
    assert!(
        r.from_client(2, &ok(rid, json!({})), at(base, 53))
            .is_empty()
    );
    // Client 2's call ends; client 1's is now the one in flight, though 2 was active last.
    let up = r.pending.keys().copied().max().unwrap();
    r.from_server(&ok(json!(up), json!({"tools": []})), base);
    r.from_client(1, &req(json!(5), "tools/call", json!({})), at(base, 40));
    r.from_client(2, "nonsense", at(base, 60));
    let out = r.from_server(&req(json!(8), "sampling/createMessage", json!({})), base);
    assert_eq!(client_lines(&out, 1).len(), 1);
}

#[test]
fn server_request_without_clients_is_refused() {
    let mut r = Router::new();
    let base = Instant::now();
    r.client_joined(1, base); // not initialized: not eligible
    let got = only_server(&r.from_server(&req(json!(3), "elicitation/create", json!({})), base));
    assert_eq!(got["id"], json!(3));
    assert_eq!(error_code(&got), -32603);
    assert_eq!(got["error"]["message"], "no client connected");
}

#[test]
fn server_cancel_of_a_forwarded_request_reaches_the_client() {
    let (mut r, base) = setup(1);
    let rid = only_client(
        &r.from_server(&req(json!(4), "sampling/createMessage", json!({})), base),
        1,
    )["id"]
        .clone();
    let got = only_client(
        &r.from_server(
            &note("notifications/cancelled", json!({"requestId": 4})),
            base,
        ),
        1,
    );
    assert_eq!(got["params"]["requestId"], rid);
    assert!(
        r.from_server(
            &note("notifications/cancelled", json!({"requestId": 4})),
            base
        )
        .is_empty()
    );
    assert!(r.from_client(1, &ok(rid, json!({})), base).is_empty());
}

#[test]
fn client_leaving_with_a_server_request_answers_the_server() {
    let (mut r, base) = setup(1);
    only_client(
        &r.from_server(&req(json!(4), "roots/list", json!({})), base),
        1,
    );
    let got = only_server(&r.client_left(1));
    assert_eq!(got["id"], json!(4));
    assert_eq!(got["error"]["message"], "client disconnected");
}

#[test]
fn client_leaving_mid_request_cancels_upstream_and_swallows_the_answer() {
    let (mut r, base) = setup(2);
    let call = req(
        json!(1),
        "tools/call",
        json!({"_meta": {"progressToken": 1}}),
    );
    let sent = only_server(&r.from_client(1, &call, base));
    let up = sent["id"].clone();
    let token = sent["params"]["_meta"]["progressToken"].clone();
    let cancel = only_server(&r.client_left(1));
    assert_eq!(cancel["method"], "notifications/cancelled");
    assert_eq!(
        cancel["params"],
        json!({"requestId": up, "reason": "client disconnected"})
    );
    assert_eq!(r.clients(), 1);
    let progress = note(
        "notifications/progress",
        json!({"progressToken": token, "progress": 1}),
    );
    assert!(r.from_server(&progress, base).is_empty());
    assert!(r.from_server(&ok(up, json!({})), base).is_empty());
    assert!(r.client_left(1).is_empty(), "leaving twice is harmless");
}
