//! `daemon` part of `cargo bench --bench mcpd_bench`: the idle daemon's RSS and CPU over 60 s at two
//! sweep intervals on the machine as it is, and one sweep with 3,000 extra processes. (The idle
//! daemon at 100 and 10,000 processes in a PID namespace is the `idle` part, idle.rs.)

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::common::*;

pub fn daemon() {
    println!("## Idle daemon: RSS and CPU over 60 s\n");
    println!(
        "One global server configured (a sleeping process), tmux server with one session, ~90 other processes.\n"
    );
    println!(
        "| sweep interval | RSS at start | RSS after 60 s | CPU over 60 s (% of one core) | sweeps |"
    );
    println!("|---|---:|---:|---:|---:|");
    let hz = 100.0;
    for interval in ["2s", "30s"] {
        let sb = Sandbox::new(&format!(
            "[daemon]\nsweep_interval = \"{interval}\"\nsweep_orphans = false\n\n[servers.idle]\ncommand = \"sleep\"\nargs = [\"100000\"]\n"
        ));
        sb.tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "bench"]);
        assert!(
            sb.mcpd()
                .args(["daemon", "start"])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success()
        );
        let pid = daemon_pid(&sb);
        std::thread::sleep(Duration::from_secs(2));
        let (rss0, cpu0) = rss_and_cpu(pid);
        std::thread::sleep(Duration::from_secs(60));
        let (rss1, cpu1) = rss_and_cpu(pid);
        let out = sb.mcpd().args(["status", "--json"]).output().unwrap();
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let cpu_pct = (cpu1 - cpu0) as f64 / hz / 60.0 * 100.0;
        println!(
            "| {interval} | {} | {} | {cpu_pct:.2} % | {} |",
            mcpd::units::human_bytes(rss0),
            mcpd::units::human_bytes(rss1),
            j["daemon"]["sweeps"]
        );
        sb.mcpd()
            .args(["daemon", "stop"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
    }
    println!();
    println!("## One sweep with 3,000 extra processes\n");
    let _load = Load::new(3000);
    let sb = Sandbox::new("[daemon]\nsweep_interval = \"1s\"\nsweep_orphans = false\n");
    sb.tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "bench"]);
    assert!(
        sb.mcpd()
            .args(["daemon", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    let mut times = Vec::new();
    let mut last = 0;
    let deadline = Instant::now() + Duration::from_secs(40);
    while times.len() < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        let out = sb.mcpd().args(["status", "--json"]).output().unwrap();
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let sweeps = j["daemon"]["sweeps"].as_u64().unwrap_or(0);
        if sweeps > last && sweeps > 1 {
            times.push(j["daemon"]["last_sweep_ms"].as_f64().unwrap_or(0.0));
        }
        last = sweeps;
    }
    let total = mcpd::procs::Snapshot::take().unwrap().procs.len();
    let (m, p95) = (median(&mut times.clone()), pct(&mut times.clone(), 0.95));
    println!("| processes on the machine | sweeps measured | median (ms) | p95 (ms) |");
    println!("|---:|---:|---:|---:|");
    println!("| {total} | {} | {m:.0} | {p95:.0} |", times.len());
    sb.mcpd()
        .args(["daemon", "stop"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    println!();
}
