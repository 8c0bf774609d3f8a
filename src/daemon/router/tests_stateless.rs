//! Unit tests of the stateless era (2026-07-28): `server/discover` answered from cache per
//! protocol version, errors passed on uncached, the cache gone with the process.

use serde_json::{Value, json};

use super::tests::*;
use super::*;
use crate::daemon::contract::Contract;

fn discover(id: i64, version: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "server/discover",
        "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": version,
            "io.modelcontextprotocol/clientInfo": {"name": format!("c{id}"), "version": "1"}}}})
    .to_string()
}

fn discover_result() -> Value {
    json!({"supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}, "instructions": "hi"})
}

/// Two stateless clients of one instance.
fn stateless() -> (Router, Instant) {
    let base = Instant::now();
    let mut r = Router::new();
    for cid in 1..=2 {
        r.client_joined_with(
            cid,
            Contract::of_first_line(&discover(7, "2026-07-28")),
            base,
        );
    }
    (r, base)
}

#[test]
fn discover_reaches_the_server_once_and_later_clients_get_its_answer_with_their_id() {
    let (mut r, base) = stateless();
    let up = only_server(&r.from_client(1, &discover(7, "2026-07-28"), base));
    // The server's bytes, as sent (key order kept), with the client's id back.
    let answer = format!(
        r#"{{"result":{{"supportedVersions":["2026-07-28"],"instructions":"hi","capabilities":{{}}}},"jsonrpc":"2.0","id":{}}}"#,
        up["id"]
    );
    let out = r.from_server(&answer, base);
    assert_eq!(
        out,
        [Out::ToClient(
            1,
            r#"{"result":{"supportedVersions":["2026-07-28"],"instructions":"hi","capabilities":{}},"jsonrpc":"2.0","id":7}"#.into()
        )]
    );
    // Client 2 (and client 1 again) are answered from the cache: nothing goes upstream.
    for (cid, id) in [(2, 40), (1, 8)] {
        let out = r.from_client(cid, &discover(id, "2026-07-28"), base);
        assert!(server_lines(&out).is_empty(), "{out:?}");
        let got = only_client(&out, cid);
        assert_eq!(got["id"], json!(id));
        assert_eq!(got["result"]["instructions"], "hi");
    }
    // Another version is the server's to answer.
    let out = r.from_client(2, &discover(41, "2027-01-01"), base);
    assert_eq!(only_server(&out)["method"], "server/discover");
}

#[test]
fn a_refused_discover_is_passed_on_and_asked_again() {
    let (mut r, base) = stateless();
    let up = only_server(&r.from_client(1, &discover(7, "2026-07-28"), base));
    let err = json!({"jsonrpc": "2.0", "id": up["id"], "error": {"code": -32022, "message": "Unsupported protocol version", "data": {"supported": ["2026-07-28"]}}});
    let got = only_client(&r.from_server(&err.to_string(), base), 1);
    assert_eq!(error_code(&got), -32022);
    assert_eq!(got["error"]["data"]["supported"], json!(["2026-07-28"]));
    let out = r.from_client(2, &discover(9, "2026-07-28"), base);
    assert_eq!(only_server(&out)["method"], "server/discover");
}

#[test]
fn a_new_process_is_asked_what_it_is() {
    let (mut r, base) = stateless();
    let up = only_server(&r.from_client(1, &discover(7, "2026-07-28"), base));
    r.from_server(&ok(up["id"].clone(), discover_result()), base);
    r.server_down("exit status 0");
    r.server_state("restarting", true);
    // Queued while down, then asked of the new process (no handshake to replay).
    assert!(server_lines(&r.from_client(2, &discover(9, "2026-07-28"), base)).is_empty());
    let out = r.server_up();
    assert_eq!(only_server(&out)["method"], "server/discover");
}
