//! Regression tests for the `router` fuzz target's findings (continued from `tests_fuzz`): what a
//! moving client's requests and the instance's roots meet, each as the smallest sequence of
//! events that showed it.

use serde_json::{Value, json};

use super::tests::*;
use super::tests_fuzz::{join_moved_in, roots_params};
use super::*;

/// Found by fuzzing (fuzz/corpus/router/regression-moved-with-two-initializes, 2026-11-27): a
/// client sent `initialize` twice before either was answered (the first forwarded, the second
/// waiting for it) and moved for its roots: only its last `initialize` went along, the first was
/// neither answered nor carried. Every line a moving client sent and was not answered goes along.
#[test]
fn a_client_moved_with_two_initializes_unanswered_carries_both() {
    let base = Instant::now();
    let mut r = Router::new();
    let params = roots_params();
    let contract = crate::daemon::contract::Contract::of_first_line(&req(
        json!(0),
        "initialize",
        params.clone(),
    ));
    // Client 1 came with its roots (/a) known and says `initialized` (its handshake was elsewhere).
    join_moved_in(&mut r, &contract, base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    // Client 2's first `initialize` goes to the server; its second waits for that answer.
    r.client_joined_with(2, contract, base);
    let first = req(json!("r1"), "initialize", params.clone());
    let second = req(json!("r2"), "initialize", params);
    assert_eq!(
        only_server(&r.from_client(2, &first, base))["method"],
        "initialize"
    );
    assert!(
        r.from_client(2, &second, base).is_empty(),
        "waits for the first"
    );
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let ask = client_lines(&out, 2)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("client 2 is asked for its roots");
    // Other roots (/b): it moves, with both its `initialize`s still to be answered.
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
    assert_eq!(m.init, None, "its handshake was never answered: {m:?}");
    assert_eq!(m.lines, vec![first, second], "{m:?}");
    assert!(client_lines(&out, 2).is_empty(), "{out:?}");
}

/// What a move meets when it happens while the router handles lines it held: a client whose lines
/// wait for its roots sends an `initialize` with another handshake, then a request; once its roots
/// are known the held lines go on, the `initialize` moves it, and the request after it was handled
/// for a client that was gone (never answered). It goes along with the move.
#[test]
fn a_client_moved_by_a_held_line_carries_the_lines_after_it() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    for cid in 1..=2 {
        r.client_joined_with(cid, contract.clone(), base);
    }
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let asked = |cid| {
        client_lines(&out, cid)
            .into_iter()
            .find(|v| v["method"] == "roots/list")
            .expect("asked for its roots")
    };
    let (ask1, ask2) = (asked(1), asked(2));
    // Held for its roots: another handshake, then a call.
    let other = json!({"protocolVersion": "2024-11-05", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}});
    let init = req(json!(1), "initialize", other);
    let call = req(json!(2), "tools/list", json!({}));
    for l in [&init, &call] {
        assert!(r.from_client(2, l, base).is_empty(), "held");
    }
    let roots = json!({"roots": [{"uri": "file:///a"}]});
    r.from_client(1, &ok(ask1["id"].clone(), roots.clone()), base);
    // The same roots: its held lines go on, and the first moves it.
    let out = r.from_client(2, &ok(ask2["id"].clone(), roots), base);
    let m = out
        .iter()
        .find_map(|o| match o {
            Out::Move(2, m) => Some(m.clone()),
            _ => None,
        })
        .expect("client 2 moves for its handshake");
    assert_eq!(m.lines, vec![init, call], "{m:?}");
    assert!(server_lines(&out).is_empty(), "{out:?}");
    assert_eq!(r.pending(), 0);
}

/// Found by fuzzing (fuzz/corpus/router/regression-roots-waiting-on-a-non-definer, 2026-11-27):
/// with a call of a second client (not initialized yet) in flight, the server asked `roots/list`
/// twice: the first went to that client, the second waited for its answer. That answer does not
/// give the instance's roots (they are the definer's, the first initialized client's, never
/// asked), so the second waited forever. The definer is asked, and its answer ends the wait.
#[test]
fn a_roots_list_waiting_on_a_client_that_is_not_the_definer_is_answered() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    for cid in 1..=2 {
        r.client_joined_with(cid, contract.clone(), base);
    }
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    // Client 2 calls before its handshake (a buggy agent); the server asks for roots twice.
    let call = req(json!(7), "tools/call", json!({"name": "x"}));
    only_server(&r.from_client(2, &call, base));
    let ask = only_client(
        &r.from_server(&req(json!("s1"), "roots/list", json!({})), base),
        2,
    );
    let out = r.from_server(&req(json!("s2"), "roots/list", json!({})), base);
    assert!(out.is_empty(), "waits for the question out: {out:?}");
    let out = r.from_client(
        2,
        &ok(ask["id"].clone(), json!({"roots": [{"uri": "file:///b"}]})),
        base,
    );
    assert_eq!(server_lines(&out)[0]["id"], json!("s1"), "{out:?}");
    let ask1 = client_lines(&out, 1)
        .into_iter()
        .find(|v| v["method"] == "roots/list")
        .expect("the definer is asked");
    let out = r.from_client(
        1,
        &ok(ask1["id"].clone(), json!({"roots": [{"uri": "file:///a"}]})),
        base,
    );
    let s2 = server_lines(&out)
        .into_iter()
        .find(|v| v["id"] == json!("s2"))
        .expect("the second roots/list is answered");
    assert_eq!(s2["result"]["roots"], json!([{"uri": "file:///a"}]));
    // Met on the way: client 2's roots (/b), learnt before its handshake, were never compared
    // with the instance's (/a) when it ended; it stayed. Known roots are compared like asked ones.
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    assert!(
        out.iter().any(|o| matches!(o, Out::Move(2, _))),
        "client 2 (/b) leaves the /a instance: {out:?}"
    );
}

/// Met on the way: the server's `roots/list` to a client answered with an error left the client
/// "being asked" for good: never asked again, and what waited for its roots waited forever. Its
/// roots count as unlistable, as when it fails mcpd's own question.
#[test]
fn a_roots_list_answered_with_an_error_still_settles_the_roots() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    r.client_joined_with(1, contract, base);
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    let ask = only_client(
        &r.from_server(&req(json!("s1"), "roots/list", json!({})), base),
        1,
    );
    assert!(
        r.from_server(&req(json!("s2"), "roots/list", json!({})), base)
            .is_empty()
    );
    let err = json!({"jsonrpc": "2.0", "id": ask["id"], "error": {"code": -1, "message": "no"}});
    let out = r.from_client(1, &err.to_string(), base);
    let ids: Vec<Value> = server_lines(&out)
        .into_iter()
        .map(|v| v["id"].clone())
        .collect();
    assert!(
        ids.contains(&json!("s1")) && ids.contains(&json!("s2")),
        "{out:?}"
    );
}

/// Found by fuzzing (fuzz/corpus/router/regression-roots-question-dropped, 2026-11-27): the
/// server's `roots/list` to the definer was dropped unanswered when the process exited; the
/// definer stayed "being asked" for good, so a second client, held until its roots were compared
/// with the definer's, was held forever (its requests never answered). The dropped question makes
/// the definer's roots unknown again, and mcpd asks it.
#[test]
fn a_roots_question_dropped_by_an_exit_is_asked_again() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    for cid in 1..=2 {
        r.client_joined_with(cid, contract.clone(), base);
    }
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    let asked = only_client(
        &r.from_server(&req(json!("s1"), "roots/list", json!({})), base),
        1,
    );
    assert_eq!(asked["method"], "roots/list");
    // The process exits before client 1 answers; a new one comes (the handshake is replayed).
    r.server_down("exited");
    let hs = only_server(&r.server_up());
    r.from_server(&ok(hs["id"].clone(), init_result()), base);
    // Client 2 initializes: its lines wait for its roots, compared with client 1's.
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let ask = |out: &[Out], cid| {
        client_lines(out, cid)
            .into_iter()
            .find(|v| v["method"] == "roots/list")
    };
    let mut ask1 = ask(&out, 1);
    let ask2 = ask(&out, 2).expect("client 2 is asked");
    let held = req(json!(5), "tools/list", json!({}));
    assert!(r.from_client(2, &held, base).is_empty(), "held");
    let roots = json!({"roots": [{"uri": "file:///a"}]});
    let out = r.from_client(2, &ok(ask2["id"].clone(), roots.clone()), base);
    ask1 = ask1.or_else(|| ask(&out, 1));
    let ask1 = ask1.expect("client 1 (the definer) is asked again");
    let mut out = r.from_client(1, &ok(ask1["id"].clone(), roots), base);
    // The server reads what it was told (mcpd's settle ping) before held lines go on.
    while let Some(ping) = server_lines(&out)
        .into_iter()
        .find(|v| v["method"] == "ping")
    {
        out = r.from_server(&ok(ping["id"].clone(), json!({})), base);
    }
    let sent = server_lines(&out);
    assert!(
        sent.iter().any(|v| v["method"] == "tools/list"),
        "client 2's held request goes on: {out:?}"
    );
}

/// Found by fuzzing (fuzz/corpus/router/regression-roots-change-while-the-server-asks, 2026-11-27):
/// the server asked a client for its roots (on behalf of its call); the client said its roots
/// changed before answering, so mcpd asked it too and held its lines. The answer to the server's
/// question came first and was taken as the client's roots, forgetting mcpd's question: its answer
/// (the change) was then ignored, and the client's lines were held forever.
#[test]
fn a_roots_change_while_the_server_asks_still_releases_the_client() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = crate::daemon::contract::Contract::of_first_line(&line);
    r.client_joined_with(1, contract, base);
    // A call before any handshake (a buggy agent): the server asks on its behalf.
    only_server(&r.from_client(1, &req(json!(1), "tools/call", json!({})), base));
    let s_ask = only_client(
        &r.from_server(&req(json!("s1"), "roots/list", json!({})), base),
        1,
    );
    let out = r.from_client(
        1,
        &note("notifications/roots/list_changed", Value::Null),
        base,
    );
    let r_ask = only_client(&out, 1);
    assert_eq!(r_ask["method"], "roots/list");
    let held = req(json!(2), "tools/list", json!({}));
    assert!(r.from_client(1, &held, base).is_empty(), "held");
    let roots = json!({"roots": [{"uri": "file:///a"}]});
    let out = r.from_client(1, &ok(s_ask["id"].clone(), roots.clone()), base);
    assert_eq!(only_server(&out)["id"], json!("s1"));
    let out = r.from_client(1, &ok(r_ask["id"].clone(), roots), base);
    let sent = server_lines(&out);
    assert!(
        sent.iter().any(|v| v["method"] == "tools/list"),
        "the held request goes on: {out:?}"
    );
}
