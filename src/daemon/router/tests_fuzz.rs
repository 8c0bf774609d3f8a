//! Regression tests for what the `router` fuzz target found (fuzz/fuzz_targets/router.rs; see
//! FUZZING.md), each as the smallest sequence of events that showed it.

use serde_json::{Value, json};

use super::tests::*;
use super::wire::{OVERSIZE_KEEP, Oversize};
use super::*;

/// What the shell keeps of a line over the limit: its size and its ends.
fn oversize(line: &str) -> Oversize {
    let b = line.as_bytes();
    Oversize {
        size: b.len(),
        head: b[..OVERSIZE_KEEP.min(b.len())].to_vec(),
        tail: b[b.len().saturating_sub(OVERSIZE_KEEP)..].to_vec(),
    }
}

/// An `initialize`'s params for a client that declares roots (with list changes).
pub(super) fn roots_params() -> Value {
    json!({"protocolVersion": "2025-11-25", "capabilities": {"roots": {"listChanged": true}},
           "clientInfo": {"name": "t", "version": "1"}})
}

/// Client 1 joins as one moved here with its roots (/a) known: it defines the instance's roots.
pub(super) fn join_moved_in(
    r: &mut Router,
    contract: &crate::daemon::contract::Contract,
    now: Instant,
) {
    let mut moved_in = contract.clone();
    moved_in.known_roots = Some(r#"[{"uri":"file:///a"}]"#.into());
    r.client_joined_with(1, moved_in, now);
}

fn big_result(id: u64) -> String {
    let pad = "y".repeat(2 * OVERSIZE_KEEP);
    ok(json!(id), json!({ "instructions": pad })).to_string()
}

/// Found by fuzzing (fuzz/artifacts/router/crash-…, 2026-11-27): the server's answer to the one
/// forwarded `initialize` was over the size limit; the router dropped the pending entry without
/// answering, so the client (and every client waiting for the same handshake) never got an answer.
#[test]
fn an_oversized_initialize_answer_fails_every_waiter_instead_of_losing_them() {
    let base = Instant::now();
    let mut r = Router::new();
    r.client_joined(1, at(base, 0));
    r.client_joined(2, at(base, 0));
    let out = r.from_client(
        1,
        &req(json!("r1"), "initialize", init_params()),
        at(base, 1),
    );
    let up = only_server(&out)["id"].as_u64().unwrap();
    // The second client waits for the same handshake.
    assert!(
        r.from_client(2, &req(json!(7), "initialize", init_params()), at(base, 1))
            .is_empty()
    );
    let out = r.oversized_from_server(&oversize(&big_result(up)), 100);
    for (cid, id) in [(1, json!("r1")), (2, json!(7))] {
        let got = client_lines(&out, cid);
        assert_eq!(got.len(), 1, "{out:?}");
        assert_eq!(got[0]["id"], id);
        assert!(
            got[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("exceeds the size limit")
        );
    }
    assert_eq!(r.pending(), 0);
    // Nothing was cached: the next initialize goes to the server again.
    let out = r.from_client(
        1,
        &req(json!("r2"), "initialize", init_params()),
        at(base, 2),
    );
    assert_eq!(only_server(&out)["method"], "initialize");
}

/// The same for the router's own replay of the handshake after a restart: requests queued behind
/// it failed instead of waiting forever.
#[test]
fn an_oversized_answer_to_the_replayed_handshake_fails_what_waited() {
    let (mut r, base) = setup(1);
    assert!(
        r.server_down("exited")
            .iter()
            .all(|o| !matches!(o, Out::ToServer(_)))
    );
    let out = r.server_up();
    let up = only_server(&out)["id"].as_u64().unwrap();
    assert!(
        r.from_client(1, &req(json!(5), "tools/list", json!({})), at(base, 9))
            .is_empty()
    );
    let out = r.oversized_from_server(&oversize(&big_result(up)), 100);
    let got = client_lines(&out, 1);
    assert_eq!(got.len(), 1, "{out:?}");
    assert_eq!(got[0]["id"], json!(5));
    assert!(got[0].get("error").is_some());
    assert_eq!(r.pending(), 0);
}

/// A client's own call answered over the limit still gets exactly one error with its own id.
#[test]
fn an_oversized_answer_to_a_call_is_one_error_for_its_client() {
    let (mut r, base) = setup(2);
    let out = r.from_client(2, &req(json!(3), "tools/call", json!({})), at(base, 9));
    let up = only_server(&out)["id"].as_u64().unwrap();
    let out = r.oversized_from_server(&oversize(&big_result(up)), 100);
    let got = only_client(&out, 2);
    assert_eq!(got["id"], json!(3));
    assert!(
        got["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds the size limit")
    );
    assert_eq!(r.pending(), 0);
}

/// Found by fuzzing (2026-11-27): a client that declared roots initialized and left; another one,
/// also declaring roots, was connected but not initialized when the server asked `roots/list`.
/// The request waited for a definer that might never come; it is now answered at once, as any
/// server request with no initialized client is.
#[test]
fn roots_list_with_no_initialized_client_is_answered_not_held() {
    let base = Instant::now();
    let mut r = Router::new();
    let caps = json!({"protocolVersion": "2025-11-25", "capabilities": {"roots": {}},
        "clientInfo": {"name": "a", "version": "1"}});
    let contract =
        crate::daemon::contract::Contract::of_first_line(&req(json!(0), "initialize", caps));
    r.client_joined_with(1, contract.clone(), at(base, 0));
    r.client_joined_with(2, contract, at(base, 0));
    r.from_client(
        1,
        &note("notifications/initialized", json!(null)),
        at(base, 1),
    );
    r.client_left(1);
    let out = r.from_server(&req(json!("s3"), "roots/list", json!({})), at(base, 2));
    let got = only_server(&out);
    assert_eq!(got["id"], json!("s3"));
    assert!(got.get("error").is_some(), "{got}");
}

/// Found by fuzzing (fuzz/findings/router-move-with-initialize-in-flight, 2026-11-27): a client
/// that said `initialized` before its `initialize` was answered (MCP forbids it, a buggy agent may
/// do it) was moved for its roots with that `initialize` taken as answered, so its new instance
/// replayed it silently and the client never got an answer. An unanswered `initialize` moves as
/// an ordinary line, answered where it lands.
#[test]
fn a_client_moved_while_its_initialize_is_in_flight_carries_it_unanswered() {
    let base = Instant::now();
    let mut r = Router::new();
    let params = roots_params();
    let line = req(json!(0), "initialize", params.clone());
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    // Client 1 was moved here with its roots (/a): its handshake is replayed silently, in flight.
    join_moved_in(&mut r, &contract, base);
    let replayed = r.replay_initialize(1, &line);
    let up = only_server(
        &replayed
            .into_iter()
            .filter(|o| matches!(o, Out::ToServer(_)))
            .collect::<Vec<_>>(),
    );
    // Client 2 initializes (waits for the one in flight) and says `initialized` too early.
    r.client_joined_with(2, contract, base);
    let init2 = req(json!("two"), "initialize", params);
    assert!(
        r.from_client(2, &init2, base).is_empty(),
        "waits for the one in flight"
    );
    let out = r.from_client(
        2,
        &note("notifications/initialized", serde_json::Value::Null),
        base,
    );
    let ask = client_lines(&out, 2)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("mcpd asks client 2 for its roots");
    // Other roots than the instance's: it moves, its initialize still unanswered.
    let out = r.from_client(
        2,
        &ok(ask["id"].clone(), json!({"roots": [{"uri": "file:///b"}]})),
        base,
    );
    let m = out
        .iter()
        .find_map(|o| match o {
            Out::Move(2, m) => Some(m.clone()),
            _ => None,
        })
        .expect("client 2 moves for its roots");
    assert_eq!(m.init, None, "its initialize was never answered: {m:?}");
    assert_eq!(m.lines.first(), Some(&init2), "{m:?}");
    // The handshake in flight completes for client 1 alone.
    let out = r.from_server(&ok(up["id"].clone(), init_result()), base);
    assert!(client_lines(&out, 2).is_empty(), "{out:?}");
}

/// Found by fuzzing (fuzz/artifacts/router/crash-3dcd63be…, 2026-11-27): the server asked
/// `roots/list` twice; the first went to the only client, the second waited for that answer, and
/// the client left. The first was answered "client disconnected", the second never.
#[test]
fn a_roots_list_waiting_on_a_client_that_leaves_is_answered() {
    let base = Instant::now();
    let mut r = Router::new();
    let params = roots_params();
    let line = req(json!(0), "initialize", params);
    r.client_joined_with(
        1,
        crate::daemon::contract::Contract::of_first_line(&line),
        base,
    );
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(
        1,
        &note("notifications/initialized", serde_json::Value::Null),
        base,
    );
    let ask = only_client(
        &r.from_server(&req(json!("s1"), "roots/list", json!({})), base),
        1,
    );
    assert_eq!(ask["method"], "roots/list");
    assert!(
        r.from_server(&req(json!("s2"), "roots/list", json!({})), base)
            .is_empty(),
        "waits for the question in flight"
    );
    let out = r.client_left(1);
    let answered: Vec<Value> = out
        .iter()
        .filter_map(|o| match o {
            Out::ToServer(l) => serde_json::from_str::<Value>(l).ok(),
            _ => None,
        })
        .filter(|v| v.get("error").is_some())
        .map(|v| v["id"].clone())
        .collect();
    assert!(answered.contains(&json!("s1")), "{out:?}");
    assert!(answered.contains(&json!("s2")), "{out:?}");
}

/// Found by fuzzing (fuzz/findings/router-task-call-never-answered, 2026-11-27): with
/// `share = always` (roots ignored), a client that said `notifications/roots/list_changed` while
/// the server's `roots/list` to it was in flight was marked as waiting for its roots, which nothing
/// in that mode ever resolves: every later line of it was held forever.
#[test]
fn ignoring_roots_a_roots_change_never_holds_the_client() {
    let base = Instant::now();
    let mut r = Router::ignoring_roots();
    let params = roots_params();
    let line = req(json!(0), "initialize", params);
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    for cid in 1..=2 {
        r.client_joined_with(cid, contract.clone(), base);
    }
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    only_client(&r.from_client(2, &line, base), 2);
    r.from_client(2, &note("notifications/initialized", Value::Null), base);
    // Client 2 has a call in flight; the server asks for roots on its behalf, and client 2 says
    // its roots changed before it answers.
    only_server(&r.from_client(
        2,
        &req(json!(1), "tools/call", json!({"name": "long"})),
        base,
    ));
    let out = r.from_server(&req(json!("s1"), "roots/list", json!({})), base);
    let (asked, _) = match out.as_slice() {
        [Out::ToClient(cid, l)] => (*cid, l.clone()),
        other => panic!("{other:?}"),
    };
    r.from_client(
        asked,
        &note("notifications/roots/list_changed", Value::Null),
        base,
    );
    // Its next request still reaches the server.
    let sent = only_server(&r.from_client(asked, &req(json!(5), "tools/list", json!({})), base));
    assert_eq!(sent["method"], "tools/list");
}

/// Found by fuzzing (fuzz/corpus/router/regression-moved-with-a-call-in-flight, 2026-11-27): a
/// client moved to another instance while a call of it was in flight here: the call was cancelled
/// upstream and never answered. It is answered with an error naming the move.
#[test]
fn a_client_moved_with_a_call_in_flight_gets_an_error_for_it() {
    let base = Instant::now();
    let mut r = Router::new();
    let params = roots_params();
    let line = req(json!(0), "initialize", params);
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    join_moved_in(&mut r, &contract, base);
    let replayed: Vec<Out> = r
        .replay_initialize(1, &line)
        .into_iter()
        .filter(|o| matches!(o, Out::ToServer(_)))
        .collect();
    let up = only_server(&replayed);
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    // Client 2 sends a call before its handshake (a buggy agent): it goes to the server.
    r.client_joined_with(2, contract, base);
    let sent = r.from_client(2, &req(json!(7), "tools/call", json!({"name": "x"})), base);
    assert_eq!(only_server(&sent)["method"], "tools/call", "{sent:?}");
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let ask = client_lines(&out, 2)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("client 2 is asked for its roots");
    // Other roots: it moves, and its call in flight here is answered.
    let out = r.from_client(
        2,
        &ok(ask["id"].clone(), json!({"roots": [{"uri": "file:///b"}]})),
        base,
    );
    assert!(
        out.iter().any(|o| matches!(o, Out::Move(2, _))),
        "client 2 moves: {out:?}"
    );
    let answered = client_lines(&out, 2)
        .into_iter()
        .any(|v| v["id"] == json!(7) && v.get("error").is_some());
    assert!(answered, "its call in flight is answered: {out:?}");
}

/// Found by fuzzing (fuzz/corpus/router/regression-moved-with-a-waiting-call, 2026-11-27): a
/// client's call waiting its turn here (another client's call with the same id in flight) was
/// dropped when the client moved for its roots. Lines never sent go along with the move.
#[test]
fn a_client_moved_with_a_call_waiting_its_turn_carries_it() {
    let base = Instant::now();
    let mut r = Router::new();
    let params = roots_params();
    let line = req(json!(0), "initialize", params);
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    join_moved_in(&mut r, &contract, base);
    let replayed: Vec<Out> = r
        .replay_initialize(1, &line)
        .into_iter()
        .filter(|o| matches!(o, Out::ToServer(_)))
        .collect();
    let up = only_server(&replayed);
    let mut out = r.from_server(&ok(up["id"].clone(), init_result()), base);
    // The server reads what it was told (mcpd's settle ping) before clients go on.
    while let Some(ping) = out.iter().find_map(|o| match o {
        Out::ToServer(l) => serde_json::from_str::<Value>(l)
            .ok()
            .filter(|v| v["method"] == "ping"),
        _ => None,
    }) {
        out = r.from_server(&ok(ping["id"].clone(), json!({})), base);
    }
    let call = req(json!("r1"), "tools/call", json!({"name": "long"}));
    assert_eq!(
        only_server(&r.from_client(1, &call, base))["method"],
        "tools/call"
    );
    // Client 2 sends a call with the same id: it waits its turn, then the client moves.
    r.client_joined_with(2, contract, base);
    let waiting = r.from_client(2, &call, base);
    assert!(waiting.is_empty(), "it waits its turn: {waiting:?}");
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let ask = client_lines(&out, 2)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("client 2 is asked for its roots");
    let out = r.from_client(
        2,
        &ok(ask["id"].clone(), json!({"roots": [{"uri": "file:///b"}]})),
        base,
    );
    let moved = out
        .iter()
        .find_map(|o| match o {
            Out::Move(2, m) => Some(m.clone()),
            _ => None,
        })
        .expect("client 2 moves");
    assert!(moved.lines.contains(&call), "{moved:?}");
}

/// Found by fuzzing (fuzz/corpus/router/regression-roots-bound-by-a-change, 2026-11-27): the
/// instance's roots were first bound by its definer's roots change; another client, waiting with
/// other roots known, was never compared, so it was neither moved nor let through.
#[test]
fn roots_bound_by_a_change_compare_the_clients_that_wait() {
    let base = Instant::now();
    let mut r = Router::new();
    let params = roots_params();
    let line = req(json!(0), "initialize", params);
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    for cid in 1..=2 {
        r.client_joined_with(cid, contract.clone(), base);
    }
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    // Client 1 (the definer) says its roots changed: mcpd asks it.
    let out = r.from_client(
        1,
        &note("notifications/roots/list_changed", Value::Null),
        base,
    );
    let ask1 = client_lines(&out, 1)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("client 1 is asked");
    // Client 2 initializes and answers /b first; its lines wait for the instance's roots.
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let ask2 = client_lines(&out, 2)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("client 2 is asked");
    r.from_client(
        2,
        &ok(ask2["id"].clone(), json!({"roots": [{"uri": "file:///b"}]})),
        base,
    );
    // Client 1 answers /a: the instance's roots are /a, and client 2 (other roots) moves.
    let out = r.from_client(
        1,
        &ok(ask1["id"].clone(), json!({"roots": [{"uri": "file:///a"}]})),
        base,
    );
    assert!(
        out.iter().any(|o| matches!(o, Out::Move(2, _))),
        "client 2 is compared and moves: {out:?}"
    );
}
