//! The multiplexer task against fake pipes: a "server" whose stdin and stdout are pipes the test
//! holds, and clients whose queues the test reads (or never reads). Every wait has a deadline that
//! only turns a hang into a failure; nothing asserts how fast anything happens.

use std::os::fd::OwnedFd;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::pipe;

use super::queue::{self, ClientLimits};
use super::*;

const HANG: Duration = Duration::from_secs(30);

/// The test's end of a server process's stdio.
struct FakeServer {
    /// What the multiplexer wrote to the server's stdin.
    stdin: Lines<BufReader<pipe::Receiver>>,
    /// What the server says (drop it: the server's stdout closes).
    stdout: Option<pipe::Sender>,
}

impl FakeServer {
    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(HANG, self.stdin.next_line())
            .await
            .expect("nothing reached the server")
            .unwrap()
            .expect("the server's stdin closed");
        serde_json::from_str(&line).unwrap()
    }

    async fn send(&mut self, v: Value) {
        let w = self.stdout.as_mut().expect("stdout closed");
        w.write_all(format!("{v}\n").as_bytes()).await.unwrap();
    }
}

/// A pair of pipes as the spawner hands them over, and the test's ends.
fn fake_server() -> (ServerMsg, FakeServer) {
    let (in_r, in_w): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    let (out_r, out_w): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    let msg = ServerMsg::Attach {
        stdin: std::process::ChildStdin::from(in_w),
        stdout: std::process::ChildStdout::from(out_r),
    };
    let fake = FakeServer {
        stdin: BufReader::new(pipe::Receiver::from_owned_fd(in_r).unwrap()).lines(),
        stdout: Some(pipe::Sender::from_owned_fd(out_w).unwrap()),
    };
    (msg, fake)
}

/// A client's end: the lines the multiplexer queued for it, or a writer that never gets read.
struct FakeClient {
    cid: ClientId,
    lines: Option<Lines<BufReader<tokio::io::DuplexStream>>>,
    writer: tokio::task::JoinHandle<Option<String>>,
    /// Held so that the client's socket stays open while it does not read.
    _unread: Option<tokio::io::DuplexStream>,
}

impl FakeClient {
    async fn recv(&mut self) -> Value {
        let lines = self.lines.as_mut().expect("a client that reads");
        let line = tokio::time::timeout(HANG, lines.next_line())
            .await
            .expect("nothing reached the client")
            .unwrap()
            .expect("the client's connection closed");
        serde_json::from_str(&line).unwrap()
    }

    /// The response with this id (skipping notifications).
    async fn response(&mut self, id: i64) -> Value {
        loop {
            let v = self.recv().await;
            if v["id"] == json!(id) && v.get("method").is_none() {
                return v;
            }
        }
    }
}

async fn join(mux: &MuxHandle, cid: ClientId, limits: ClientLimits, reads: bool) -> FakeClient {
    let (tx, rx) = queue::channel(limits.buffer);
    let (mut ours, theirs) = tokio::io::duplex(1024);
    let writer = tokio::spawn(async move { rx.write_all_to(&mut ours).await });
    let (moved, _) = mpsc::unbounded_channel();
    let msg = MuxMsg::ClientJoined {
        cid,
        session: None,
        contract: Contract::of_first_line(&init(0).to_string()),
        tx,
        moved,
        limits,
        pid: None,
    };
    mux.tx.send(msg).await.unwrap();
    let (lines, unread) = if reads {
        (Some(BufReader::new(theirs).lines()), None)
    } else {
        (None, Some(theirs))
    };
    FakeClient {
        cid,
        lines,
        writer,
        _unread: unread,
    }
}

async fn say(mux: &MuxHandle, c: &FakeClient, v: Value) {
    let msg = MuxMsg::FromClient {
        cid: c.cid,
        line: v.to_string(),
        held: None,
    };
    mux.tx.send(msg).await.unwrap();
}

fn init(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}})
}

fn init_result(id: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-06-18",
        "capabilities": {"tools": {}}, "serverInfo": {"name": "fake", "version": "1"}}})
}

fn call(id: i64, pad: usize) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "t", "arguments": {"pad": "x".repeat(pad)}}})
}

fn mux_with(stdin_budget: usize) -> MuxHandle {
    spawn_with(
        "fake".into(),
        1 << 20,
        stdin_budget,
        crate::config::Share::Always,
        |_| {},
    )
}

/// The client's handshake through `server` (which answers it).
async fn handshake(mux: &MuxHandle, c: &mut FakeClient, server: &mut FakeServer) {
    say(mux, c, init(0)).await;
    let got = server.recv().await;
    assert_eq!(got["method"], "initialize");
    server.send(init_result(&got["id"])).await;
    assert!(c.response(0).await.get("result").is_some());
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    say(mux, c, note).await;
    assert_eq!(server.recv().await["method"], "notifications/initialized");
}

#[tokio::test]
async fn a_new_process_attached_before_the_old_ones_eof_is_still_initialized() {
    let mux = mux_with(STDIN_BUDGET);
    let (attach_a, mut a) = fake_server();
    mux.ctl.send(attach_a).unwrap();
    let mut c = join(&mux, 1, ClientLimits::default(), true).await;
    handshake(&mux, &mut c, &mut a).await;
    // The supervisor's order after a crash: it saw the exit, says a restart comes, starts the
    // new process and attaches it, all before the old process's stdout has ended.
    let state = ServerMsg::State {
        why: "restarting".into(),
        hold: true,
    };
    mux.ctl.send(state).unwrap();
    let (attach_b, mut b) = fake_server();
    mux.ctl.send(attach_b).unwrap();
    let replay = b.recv().await;
    assert_eq!(
        replay["method"], "initialize",
        "the new process is initialized"
    );
    b.send(init_result(&replay["id"])).await;
    assert_eq!(b.recv().await["method"], "notifications/initialized");
    // Only now does the old process's output end: it must not take the new one down.
    a.stdout = None;
    say(&mux, &c, call(7, 0)).await;
    let got = b.recv().await;
    assert_eq!(got["method"], "tools/call");
    b.send(json!({"jsonrpc": "2.0", "id": got["id"], "result": {"content": []}}))
        .await;
    let answer = c.response(7).await;
    assert!(answer.get("result").is_some(), "{answer}");
}

#[tokio::test]
async fn a_request_the_full_server_queue_refuses_is_answered_at_once_and_none_is_lost() {
    // 4 KiB of queue in front of a 64 KiB pipe that nobody reads for now.
    let mux = mux_with(4096);
    let (attach, mut server) = fake_server();
    mux.ctl.send(attach).unwrap();
    let mut c = join(&mux, 1, ClientLimits::default(), true).await;
    handshake(&mux, &mut c, &mut server).await;
    const N: i64 = 100;
    for id in 1..=N {
        say(&mux, &c, call(id, 2000)).await;
    }
    // 200 KB cannot fit: some requests are refused, and their answers come while the server
    // still reads nothing.
    let first = c.recv().await;
    let message = first["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not reading its stdin"),
        "a clear error: {first}"
    );
    let mut answered = vec![first["id"].as_i64().unwrap()];
    // Now the server reads and answers everything that reached it; every request ends up with
    // exactly one answer, an error or a result.
    let drain = async {
        loop {
            let got = server.recv().await;
            if got["method"] == "tools/call" {
                let ok = json!({"jsonrpc": "2.0", "id": got["id"], "result": {"content": []}});
                server.send(ok).await;
            }
        }
    };
    let collect = async {
        while answered.len() < N as usize {
            let v = c.recv().await;
            answered.push(v["id"].as_i64().unwrap());
        }
    };
    tokio::select! {
        _ = drain => unreachable!(),
        _ = collect => {}
    }
    answered.sort();
    assert_eq!(answered, (1..=N).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_client_over_its_byte_budget_is_disconnected_and_the_others_still_get_answers() {
    let mux = mux_with(STDIN_BUDGET);
    let (attach, mut server) = fake_server();
    mux.ctl.send(attach).unwrap();
    let mut reader = join(&mux, 1, ClientLimits::default(), true).await;
    handshake(&mux, &mut reader, &mut server).await;
    let small = ClientLimits {
        buffer: 64 << 10,
        ..ClientLimits::default()
    };
    let stuck = join(&mux, 2, small, false).await;
    say(&mux, &stuck, init(0)).await;
    let mut flood = call(5, 0);
    flood["params"]["_meta"] = json!({"progressToken": "p"});
    say(&mux, &stuck, flood).await;
    let got = server.recv().await;
    let (up, token) = (
        got["id"].clone(),
        got["params"]["_meta"]["progressToken"].clone(),
    );
    // 100 progress notifications of 4 KiB, for the client that does not read.
    for i in 0..100 {
        let p = json!({"jsonrpc": "2.0", "method": "notifications/progress",
            "params": {"progressToken": token, "progress": i, "message": "y".repeat(4096)}});
        server.send(p).await;
    }
    let why = tokio::time::timeout(HANG, stuck.writer)
        .await
        .expect("the stuck client is disconnected")
        .unwrap()
        .expect("closed by the multiplexer");
    assert!(why.contains("client_buffer of 65536 bytes"), "{why}");
    // Its call is cancelled upstream; the other client is served.
    let cancel = server.recv().await;
    assert_eq!(cancel["method"], "notifications/cancelled");
    assert_eq!(cancel["params"]["requestId"], up);
    say(&mux, &reader, call(9, 0)).await;
    let got = server.recv().await;
    server
        .send(json!({"jsonrpc": "2.0", "id": got["id"], "result": {"content": []}}))
        .await;
    assert!(reader.response(9).await.get("result").is_some());
    assert_eq!(mux.clients(), 1);
}

#[tokio::test]
async fn a_client_whose_output_does_not_move_is_disconnected_after_its_timeout() {
    let mux = mux_with(STDIN_BUDGET);
    let (attach, mut server) = fake_server();
    mux.ctl.send(attach).unwrap();
    let limits = ClientLimits {
        stall: Duration::from_millis(200),
        ..ClientLimits::default()
    };
    let stuck = join(&mux, 1, limits, false).await;
    say(&mux, &stuck, init(0)).await;
    let got = server.recv().await;
    // An answer bigger than what the unread connection takes: the rest waits, well under the
    // budget, and never moves.
    let mut answer = init_result(&got["id"]);
    answer["result"]["instructions"] = json!("z".repeat(8192));
    server.send(answer).await;
    let why = tokio::time::timeout(HANG, stuck.writer)
        .await
        .expect("the stalled client is disconnected")
        .unwrap()
        .expect("closed by the multiplexer");
    assert!(why.contains("slow_client_timeout"), "{why}");
    assert_eq!(mux.clients(), 0);
}

#[tokio::test]
async fn a_request_after_the_servers_stdin_was_closed_is_answered_at_once() {
    let mux = mux_with(STDIN_BUDGET);
    let (attach, mut server) = fake_server();
    mux.ctl.send(attach).unwrap();
    let mut c = join(&mux, 1, ClientLimits::default(), true).await;
    handshake(&mux, &mut c, &mut server).await;
    // The first step of a stop: the process is still there, its output has not ended.
    mux.ctl.send(ServerMsg::Detach).unwrap();
    say(&mux, &c, call(3, 0)).await;
    let answer = c.response(3).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("stdin is closed"), "{answer}");
}
