//! What sharing costs and saves (a bench binary: `cargo bench --bench share_bench`). For 5 and 20
//! agents, each an MCP client making 200 sequential `tools/call echo` round trips to the real
//! `@modelcontextprotocol/server-everything` (installed by the conformance tests into
//! target/tmp/conformance-npm; run `cargo test --test it conformance` once first):
//! - direct: every agent starts its own server, as agents do without mcpd;
//! - shared: every agent runs `mcpd connect everything`; equal contracts share one process.
//!
//! Printed as Markdown for BENCHMARKS.md: per-call latency (median, p99) over all agents' calls,
//! and the RSS of everything involved after the calls (direct: the servers' trees; shared: the
//! daemon's tree, which holds the server, plus the bridges). Every process started here is
//! stopped by pid.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

const CALLS: usize = 200;

struct Agent {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Agent {
    fn start(mut cmd: Command) -> Agent {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start the agent's server or bridge");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Agent {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one request and reads lines until its response.
    fn call(&mut self, id: usize, method: &str, params: serde_json::Value) -> serde_json::Value {
        let req =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{req}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "EOF");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id && v.get("method").is_none() {
                return v;
            }
        }
    }

    fn handshake(&mut self) {
        let init = serde_json::json!({"protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}});
        self.call(0, "initialize", init);
        writeln!(
            self.stdin,
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .unwrap();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `n` agents at once; returns every call's latency (ms) and the agents (still running).
fn run(n: usize, make: &(dyn Fn() -> Command + Sync)) -> (Vec<f64>, Vec<Agent>) {
    let mut agents: Vec<Agent> = (0..n).map(|_| Agent::start(make())).collect();
    for a in &mut agents {
        a.handshake();
    }
    let lat: Vec<Vec<f64>> = std::thread::scope(|s| {
        let hs: Vec<_> = agents
            .iter_mut()
            .map(|a| {
                s.spawn(move || {
                    (1..=CALLS)
                        .map(|i| {
                            let t = Instant::now();
                            let r = a.call(i, "tools/call", serde_json::json!({"name": "echo", "arguments": {"message": format!("m{i}")}}));
                            assert!(r.get("result").is_some(), "{r}");
                            t.elapsed().as_secs_f64() * 1000.0
                        })
                        .collect()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    (lat.into_iter().flatten().collect(), agents)
}

fn main() {
    let kit = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance-npm");
    let server = kit.join("node_modules/.bin/mcp-server-everything");
    assert!(
        server.exists(),
        "{} is missing: run `cargo test --test it conformance` once to install it",
        server.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[servers.everything]\ncommand = {:?}\nstart = \"on-connect\"\n",
            server.display().to_string()
        ),
    )
    .unwrap();
    let mcpd = env!("CARGO_BIN_EXE_mcpd");
    let envs = [
        ("MCPD_CONFIG", config.clone()),
        ("MCPD_STATE_DIR", dir.path().join("state")),
        ("MCPD_RUNTIME_DIR", dir.path().join("run")),
    ];
    let direct = || Command::new(&server);
    let shared = || {
        let mut c = Command::new(mcpd);
        c.args(["connect", "everything"])
            .envs(envs.iter().cloned())
            .env_remove("TMUX");
        c
    };
    println!("| agents | setup | calls | median (ms) | p99 (ms) | RSS after (MB) |");
    println!("|---:|---|---:|---:|---:|---:|");
    for n in [5, 20] {
        for (name, make) in [
            ("direct", &direct as &(dyn Fn() -> Command + Sync)),
            ("shared (mcpd connect)", &shared),
        ] {
            let (mut lat, agents) = run(n, make);
            let snap = mcpd::procs::Snapshot::take().unwrap();
            let mut rss: u64 = agents
                .iter()
                .map(|a| snap.tree_rss(a.child.id() as i32))
                .sum();
            if name != "direct" {
                let lock = std::fs::read_to_string(dir.path().join("state/daemon.lock")).unwrap();
                rss += snap.tree_rss(lock.trim().parse().unwrap());
            }
            let count = lat.len();
            let (median, p99) = (pct(&mut lat, 0.5), pct(&mut lat, 0.99));
            println!(
                "| {n} | {name} | {count} | {median:.2} | {p99:.2} | {:.0} |",
                rss as f64 / 1e6
            );
            drop(agents);
        }
    }
    let _ = Command::new(mcpd)
        .args(["daemon", "stop"])
        .envs(envs.iter().cloned())
        .status();
}
