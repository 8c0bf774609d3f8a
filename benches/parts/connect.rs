//! `connect` part of `cargo bench --bench mcpd_bench`: memory of N agents on the filesystem server,
//! directly vs through `mcpd connect`, and the latency one bridge adds per request. (Latency and
//! throughput at 1, 5 and 20 concurrent clients are the `bridge` part, bridge.rs.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common::*;

pub fn connect() {
    let Some(cache) = npm_cache() else {
        println!("(connect benchmark skipped: the npm registry could not be reached)\n");
        return;
    };
    let served = tempfile::tempdir().unwrap();
    let direct_cmd = || {
        let mut c = Command::new("npm");
        c.args([
            "exec",
            "--offline",
            "--",
            "@modelcontextprotocol/server-filesystem",
        ])
        .arg(served.path())
        .current_dir(&cache);
        c
    };
    println!(
        "## Shared server: N agents on the filesystem server, directly vs through `mcpd connect`\n"
    );
    println!(
        "Each agent starts the server as agents do (`npm exec` -> sh -> node) and completes `initialize`"
    );
    println!(
        "and one `tools/list`; through mcpd, the daemon runs the same `npm exec` tree once and each agent runs"
    );
    println!(
        "a bridge. RSS summed over every process involved (through mcpd: daemon + server tree + bridges).\n"
    );
    println!(
        "| agents | direct: processes | direct RSS | through mcpd: processes | through mcpd RSS | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in [1usize, 3, 5] {
        let mut direct: Vec<Stdio2> = (0..n).map(|_| Stdio2::spawn(direct_cmd())).collect();
        for (i, a) in direct.iter_mut().enumerate() {
            a.init();
            a.call(i as u64 + 1, "tools/list", serde_json::json!({}));
        }
        std::thread::sleep(Duration::from_millis(500));
        let snap = mcpd::procs::Snapshot::take().unwrap();
        let d_pids: Vec<i32> = direct
            .iter()
            .flat_map(|a| {
                let p = a.child.id() as i32;
                std::iter::once(p).chain(snap.descendants(p))
            })
            .collect();
        let d_rss: u64 = d_pids
            .iter()
            .filter_map(|p| snap.get(*p))
            .map(|p| p.rss_bytes)
            .sum();
        drop(direct);

        let sb = Sandbox::new(&format!(
            "[daemon]\nsweep_orphans = false\n\n[servers.fs]\ncommand = \"npm\"\nargs = [\"exec\", \"--offline\", \"--\", \"@modelcontextprotocol/server-filesystem\", \"{}\"]\ncwd = \"{}\"\nstart = \"on-connect\"\n",
            served.path().display(),
            cache.display()
        ));
        let mut shared: Vec<Stdio2> = (0..n)
            .map(|_| {
                let mut c = sb.mcpd();
                c.args(["connect", "fs"]);
                Stdio2::spawn(c)
            })
            .collect();
        for (i, a) in shared.iter_mut().enumerate() {
            a.init();
            a.call(i as u64 + 1, "tools/list", serde_json::json!({}));
        }
        std::thread::sleep(Duration::from_millis(500));
        let snap = mcpd::procs::Snapshot::take().unwrap();
        let daemon = daemon_pid(&sb);
        let mut s_pids: Vec<i32> = std::iter::once(daemon)
            .chain(snap.descendants(daemon))
            .collect();
        s_pids.extend(shared.iter().map(|a| a.child.id() as i32));
        let s_rss: u64 = s_pids
            .iter()
            .filter_map(|p| snap.get(*p))
            .map(|p| p.rss_bytes)
            .sum();
        println!(
            "| {n} | {} | {} | {} | {} | {:.1}x less |",
            d_pids.len(),
            mcpd::units::human_bytes(d_rss),
            s_pids.len(),
            mcpd::units::human_bytes(s_rss),
            d_rss as f64 / s_rss as f64
        );
        drop(shared);
        sb.mcpd()
            .args(["daemon", "stop"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
    }
    println!();

    println!(
        "## Added latency per request through the bridge (`tools/list`, 300 sequential requests)\n"
    );
    println!("| path | median (ms) | p99 (ms) |");
    println!("|---|---:|---:|");
    let bin = cache.join("node_modules/.bin/mcp-server-filesystem");
    let mut direct = {
        let mut c = Command::new(&bin);
        c.arg(served.path());
        Stdio2::spawn(c)
    };
    direct.init();
    let sb = Sandbox::new(&format!(
        "[daemon]\nsweep_orphans = false\n\n[servers.fs]\ncommand = \"{}\"\nargs = [\"{}\"]\nstart = \"on-connect\"\n",
        bin.display(),
        served.path().display()
    ));
    let mut bridged = {
        let mut c = sb.mcpd();
        c.args(["connect", "fs"]);
        Stdio2::spawn(c)
    };
    bridged.init();
    for (label, client) in [
        ("direct stdio", &mut direct),
        ("through mcpd connect", &mut bridged),
    ] {
        for i in 0..30 {
            client.call(1000 + i, "tools/list", serde_json::json!({}));
        }
        let mut times = Vec::new();
        for i in 0..300 {
            let t = Instant::now();
            client.call(2000 + i, "tools/list", serde_json::json!({}));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (m, p99) = (median(&mut times.clone()), pct(&mut times.clone(), 0.99));
        println!("| {label} | {m:.2} | {p99:.2} |");
    }
    drop(bridged);
    sb.mcpd()
        .args(["daemon", "stop"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    println!();
}
