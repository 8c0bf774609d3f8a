//! `cargo bench --bench mcpd_bench -- bridge`: per-request latency and throughput at 1, 5 and 20
//! clients at once through `mcpd connect`, side by side in the same run with direct connections (a
//! server spawned per client), against the real `@modelcontextprotocol/server-everything` that
//! `cargo test --test it conformance` installs into target/tmp/conformance-npm.
//!
//! Each client does the handshake and WARMUP `tools/call echo` round trips, then all clients start
//! together and each makes CALLS sequential round trips. Latency is per request over every client's
//! requests (p50, p99); throughput is all requests over the wall time from the start until the last
//! client is done. For each size the two setups run one after the other (direct first), so both see
//! the same machine; through mcpd the server is one process, started at the first connect.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::common::{Sandbox, Stdio2, pct};

const WARMUP: u64 = 20;
const CALLS: u64 = 500;

struct Run {
    lat: Vec<f64>,
    per_sec: f64,
}

fn run(n: usize, make: &dyn Fn() -> Command) -> Run {
    let mut clients: Vec<Stdio2> = (0..n).map(|_| Stdio2::spawn(make())).collect();
    for c in &mut clients {
        c.init();
        for i in 0..WARMUP {
            c.call(1 + i, "tools/call", echo(i));
        }
    }
    let start = std::sync::Barrier::new(n + 1);
    let (lat, wall) = std::thread::scope(|s| {
        let hs: Vec<_> = clients
            .iter_mut()
            .map(|c| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    (0..CALLS)
                        .map(|i| {
                            let t = Instant::now();
                            let r = c.call(1000 + i, "tools/call", echo(i));
                            assert!(r.get("result").is_some(), "{r}");
                            t.elapsed().as_secs_f64() * 1000.0
                        })
                        .collect::<Vec<f64>>()
                })
            })
            .collect();
        start.wait();
        let t0 = Instant::now();
        let lat: Vec<f64> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        (lat, t0.elapsed().as_secs_f64())
    });
    Run {
        per_sec: lat.len() as f64 / wall,
        lat,
    }
}

fn echo(i: u64) -> serde_json::Value {
    serde_json::json!({"name": "echo", "arguments": {"message": format!("m{i}")}})
}

pub fn run_all() {
    let kit = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance-npm");
    let server = kit.join("node_modules/.bin/mcp-server-everything");
    assert!(
        server.exists(),
        "{} is missing: run `cargo test --test it conformance` once to install it",
        server.display()
    );
    let sb = Sandbox::new(&format!(
        "[servers.everything]\ncommand = {:?}\nstart = \"on-connect\"\n",
        server.display().to_string()
    ));
    let direct = || Command::new(&server);
    let bridged = || {
        let mut c = sb.mcpd();
        c.args(["connect", "everything"]);
        c
    };
    println!(
        "## Bridge: latency and throughput, `mcpd connect` vs a server per client ({CALLS} `tools/call echo` per client)\n"
    );
    println!(
        "| clients | setup | requests | p50 (ms) | p99 (ms) | requests/s | p50 ratio | requests/s ratio |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for n in [1usize, 5, 20] {
        let mut d = run(n, &direct);
        let mut b = run(n, &bridged);
        let (d50, d99) = (pct(&mut d.lat, 0.5), pct(&mut d.lat, 0.99));
        let (b50, b99) = (pct(&mut b.lat, 0.5), pct(&mut b.lat, 0.99));
        println!(
            "| {n} | direct (a server per client) | {} | {d50:.2} | {d99:.2} | {:.0} | 1.0x | 1.0x |",
            d.lat.len(),
            d.per_sec
        );
        println!(
            "| {n} | `mcpd connect` (one shared server) | {} | {b50:.2} | {b99:.2} | {:.0} | {:.2}x | {:.2}x |",
            b.lat.len(),
            b.per_sec,
            b50 / d50,
            b.per_sec / d.per_sec
        );
    }
    println!();
    sb.mcpd()
        .args(["daemon", "stop"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
}
