//! Regression tests for the `router` fuzz target's findings (continued from `tests_fuzz_moves`):
//! lines held for a client's roots when the process goes away, or when what gated them ends
//! without an answer. Held lines wait for the client's roots, not for the process: whatever the
//! process does, every held client has a question out to it or its comparison due.

use serde_json::{Value, json};

use super::tests::*;
use super::tests_fuzz::roots_params;
use super::*;
use crate::daemon::contract::Contract;

const ROOTS_A: &str = r#"[{"uri":"file:///a"}]"#;

/// The client answers every `roots/list` mcpd asks it (with /a) until none comes; returns every
/// answer it got (lines without a method) on the way, starting with those in `out`.
fn answer_roots_questions(r: &mut Router, cid: ClientId, mut out: Vec<Out>) -> Vec<Value> {
    let base = Instant::now();
    let mut answers = Vec::new();
    for _ in 0..10 {
        let lines = client_lines(&out, cid);
        answers.extend(lines.iter().filter(|v| v.get("method").is_none()).cloned());
        let asks: Vec<Value> = lines
            .into_iter()
            .filter(|v| v["method"] == "roots/list")
            .filter(|v| v["id"].as_str().is_some_and(|id| id.starts_with("mcpd-r-")))
            .collect();
        if asks.is_empty() {
            break;
        }
        let roots = json!({"roots": serde_json::from_str::<Value>(ROOTS_A).unwrap()});
        out = asks
            .iter()
            .flat_map(|a| r.from_client(cid, &ok(a["id"].clone(), roots.clone()), base))
            .collect();
    }
    answers
}

/// Found by fuzzing (fuzz/corpus/router/regression-held-while-the-server-asked-roots,
/// 2026-11-27): the server asked client 1 for its roots on behalf of a call it made before its
/// handshake; the instance's roots were bound meanwhile (client 2's roots change), so client 1's
/// `initialized` held its lines until its roots were known. The process exited with the server's
/// question unanswered: client 1's roots were unknown again, nobody asked it, and its held requests
/// were never answered ("client 1's request "r3" was never answered"). mcpd now asks it itself.
#[test]
fn a_client_held_while_the_server_asked_its_roots_is_asked_again_after_an_exit() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = Contract::of_first_line(&line);
    r.client_joined_with(1, contract.clone(), base);
    r.client_joined_with(2, contract, base);
    // A call before any handshake (a buggy agent): the server asks client 1 on its behalf.
    only_server(&r.from_client(1, &req(json!(1), "tools/call", json!({})), base));
    let s_ask = r.from_server(&req(json!("s1"), "roots/list", json!({})), base);
    assert_eq!(only_client(&s_ask, 1)["method"], "roots/list");
    // Client 2's roots change binds the instance's roots (/a).
    let out = r.from_client(
        2,
        &note("notifications/roots/list_changed", Value::Null),
        base,
    );
    let ask = only_client(&out, 2);
    let roots = json!({"roots": [{"uri": "file:///a"}]});
    let out = r.from_client(2, &ok(ask["id"].clone(), roots), base);
    assert!(out.contains(&Out::Roots(ROOTS_A.into())), "{out:?}");
    // Client 1's handshake: its lines are held until its roots (being asked by the server) are
    // known and compared.
    let up = only_server(&r.from_client(1, &line, base));
    only_client(
        &r.from_server(&ok(up["id"].clone(), init_result()), base),
        1,
    );
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    let held = req(json!("r3"), "tools/list", json!({}));
    assert!(r.from_client(1, &held, base).is_empty(), "held");
    // The process exits before client 1 answers the server; none is coming.
    let mut out = r.server_down("exited");
    out.extend(r.server_state("stopped", false));
    let answers = answer_roots_questions(&mut r, 1, out);
    assert!(
        answers.iter().any(|v| v["id"] == json!("r3")),
        "client 1's held request is answered: {answers:?}"
    );
}

/// A held client whose roots were known and equal, waiting only for the server to read its roots
/// (mcpd's settle `ping`): the process exited with the ping unanswered, and nothing compared the
/// client again. Its held request was never answered.
#[test]
fn lines_held_behind_a_settle_ping_go_on_when_the_process_exits() {
    let base = Instant::now();
    let mut r = Router::new();
    let line = req(json!(0), "initialize", roots_params());
    let contract = Contract::of_first_line(&line);
    r.client_joined_with(1, contract.clone(), base);
    let up = only_server(&r.from_client(1, &line, base));
    r.from_server(&ok(up["id"].clone(), init_result()), base);
    r.from_client(1, &note("notifications/initialized", Value::Null), base);
    // The server learns the instance's roots (/a) from client 1.
    let s1 = only_client(
        &r.from_server(&req(json!("s1"), "roots/list", json!({})), base),
        1,
    );
    let roots = json!({"roots": [{"uri": "file:///a"}]});
    let out = r.from_client(1, &ok(s1["id"].clone(), roots.clone()), base);
    assert!(out.contains(&Out::Roots(ROOTS_A.into())), "{out:?}");
    // Client 2 initializes (the cached handshake): asked for its roots, its lines held.
    r.client_joined_with(2, contract, base);
    only_client(&r.from_client(2, &line, base), 2);
    let out = r.from_client(2, &note("notifications/initialized", Value::Null), base);
    let ask = only_client(&out, 2);
    let held = req(json!(5), "tools/list", json!({}));
    assert!(r.from_client(2, &held, base).is_empty(), "held");
    // The server asks again: answered with the instance's roots, and a settle ping follows.
    let out = r.from_server(&req(json!("s2"), "roots/list", json!({})), base);
    assert!(server_lines(&out).iter().any(|v| v["method"] == "ping"));
    // Client 2's roots are the same; its lines wait for the ping, and the process exits.
    assert!(
        server_lines(&r.from_client(2, &ok(ask["id"].clone(), roots), base)).is_empty(),
        "gated by the ping"
    );
    let mut out = r.server_down("exited");
    out.extend(r.server_state("stopped", false));
    let answers = client_lines(&out, 2);
    assert!(
        answers.iter().any(|v| v["id"] == json!(5)),
        "client 2's held request is answered: {out:?}"
    );
}

/// A moved-in client (its roots known and equal) waits for the `initialize` in flight before its
/// lines go on; that `initialize` ended without a result (an error answer, or a line the shell
/// could not deliver): nothing compared the client again, and its lines were held forever.
#[test]
fn lines_held_behind_a_failed_initialize_go_on() {
    for undeliverable in [false, true] {
        let base = Instant::now();
        let mut r = Router::new();
        let line = req(json!(0), "initialize", roots_params());
        let contract = Contract::of_first_line(&line);
        // Client 1 binds the instance's roots (/a) by a roots change, before any handshake.
        r.client_joined_with(1, contract.clone(), base);
        let out = r.from_client(
            1,
            &note("notifications/roots/list_changed", Value::Null),
            base,
        );
        let ask = only_client(&out, 1);
        let roots = json!({"roots": [{"uri": "file:///a"}]});
        let out = r.from_client(1, &ok(ask["id"].clone(), roots), base);
        assert!(out.contains(&Out::Roots(ROOTS_A.into())), "{out:?}");
        // Client 2 moves in with the same roots: its handshake is replayed (the first here).
        let mut moved_in = contract;
        moved_in.known_roots = Some(ROOTS_A.into());
        r.client_joined_with(2, moved_in, base);
        let out = r.replay_initialize(2, &line);
        let init = server_lines(&out)
            .into_iter()
            .find(|v| v["method"] == "initialize")
            .expect("the replayed initialize goes to the server");
        let held = req(json!(5), "tools/list", json!({}));
        assert!(r.from_client(2, &held, base).is_empty(), "held");
        let out = if undeliverable {
            r.undeliverable(&init.to_string(), "the server's stdin is full")
        } else {
            let refused = json!({"jsonrpc": "2.0", "id": init["id"],
                                 "error": {"code": -32602, "message": "no"}});
            r.from_server(&refused.to_string(), base)
        };
        assert!(
            server_lines(&out)
                .iter()
                .any(|v| v["method"] == "tools/list"),
            "client 2's held request goes on (undeliverable: {undeliverable}): {out:?}"
        );
    }
}
