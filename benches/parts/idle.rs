//! `cargo bench --bench mcpd_bench -- idle [SIZES...]` (default 100 10000): the idle daemon's RSS and
//! CPU with SIZE processes on the machine (issue 15: "daemon idle RSS and CPU at 100 and 10k").
//!
//! Runs itself again inside a private PID namespace (`unshare --pid --fork --mount-proc`, a `sh` as
//! PID 1 that reaps), so SIZE counts the namespace's processes only and the rest of the machine does
//! not change the sweeps' work. For each size it fills the namespace with `sleep`s, then for each
//! sweep interval (`MCPD_BENCH_IDLE_INTERVALS`, default "30s 5s"; 30 s is the default setting)
//! starts a daemon with three global servers and a tmux server with one session, lets it settle
//! (its servers running, its first sweep done), and samples its VmRSS and utime+stime over
//! `MCPD_BENCH_IDLE_SECS` (default 60). Nothing talks to the daemon during the window. Everything
//! dies with the namespace.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::{Sandbox, daemon_pid, rss_and_cpu};

/// Outside the namespace: run [`inner`] in a new PID namespace.
pub fn outer(sizes: &[String]) {
    let me = std::env::current_exe().unwrap();
    let status = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "sh", "-c"])
        .arg("\"$0\" idle-inner \"$@\" & wait $!")
        .arg(me)
        .args(sizes)
        .status()
        .unwrap();
    assert!(status.success(), "the namespaced idle bench failed");
}

/// `sleep`s under one bash, up to `total` processes in this namespace; killed by pid on drop.
struct Filler {
    parent: Child,
}

fn count() -> usize {
    mcpd::procs::Snapshot::take().unwrap().procs.len()
}

impl Filler {
    fn new(total: usize) -> Filler {
        // bash itself is one more process.
        let n = total.saturating_sub(count() + 1);
        let parent = Command::new("bash")
            .args([
                "-c",
                &format!("exec 2>/dev/null; for ((i=0; i<{n}; i++)); do sleep 100000 & done; wait"),
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(300);
        while count() < total && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        Filler { parent }
    }
}

impl Drop for Filler {
    fn drop(&mut self) {
        let snap = mcpd::procs::Snapshot::take().unwrap();
        for c in snap.children_of(self.parent.id() as i32) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*c),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        // bash's `wait` reaps them and returns: no zombie is left for the next size.
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.parent.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.parent.kill();
        let _ = self.parent.wait();
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// (sweeps so far, last sweep in ms, servers running) from `status --json`.
fn daemon_status(sb: &Sandbox) -> (u64, f64, usize) {
    let out = sb.mcpd().args(["status", "--json"]).output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let running = j["servers"]
        .as_array()
        .map_or(0, |v| v.iter().filter(|s| s["state"] == "running").count());
    (
        j["daemon"]["sweeps"].as_u64().unwrap_or(0),
        j["daemon"]["last_sweep_ms"].as_f64().unwrap_or(f64::NAN),
        running,
    )
}

fn vm_hwm(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Inside the namespace.
pub fn inner(args: &[String]) {
    let sizes: Vec<usize> = if args.is_empty() {
        vec![100, 10000]
    } else {
        args.iter()
            .map(|s| s.parse().expect("idle: sizes are process counts"))
            .collect()
    };
    let secs: u64 = std::env::var("MCPD_BENCH_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let intervals = std::env::var("MCPD_BENCH_IDLE_INTERVALS").unwrap_or("30s 5s".to_string());
    let hz = clock_ticks();
    let sleep = PathBuf::from("/bin/sleep");
    println!("## Idle daemon at {sizes:?} processes (PID namespace, {secs} s windows)\n");
    println!(
        "| processes | sweep interval | servers running | RSS at start | RSS at end | peak RSS (VmHWM) | CPU (% of one core) | sweeps in window | last sweep (ms) |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let _fill = Filler::new(n);
        for interval in intervals.split_whitespace() {
            let servers: String = ["a", "b", "c"]
                .iter()
                .map(|s| {
                    format!(
                        "[servers.idle-{s}]\ncommand = {:?}\nargs = [\"100000\"]\n\n",
                        sleep.display().to_string()
                    )
                })
                .collect();
            let sb = Sandbox::new(&format!(
                "[daemon]\nsweep_interval = \"{interval}\"\n\n{servers}"
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
            // Settle: the servers up and the first sweep done (it reads every environment).
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut st = daemon_status(&sb);
            while (st.0 < 1 || st.2 < 3) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(500));
                st = daemon_status(&sb);
            }
            let total = count();
            let (rss0, cpu0) = rss_and_cpu(pid);
            let t0 = Instant::now();
            std::thread::sleep(Duration::from_secs(secs));
            let (rss1, cpu1) = rss_and_cpu(pid);
            let wall = t0.elapsed().as_secs_f64();
            let peak = vm_hwm(pid);
            let end = daemon_status(&sb);
            let cpu_pct = (cpu1 - cpu0) as f64 / hz / wall * 100.0;
            println!(
                "| {total} | {interval} | {} | {} | {} | {} | {cpu_pct:.2} % | {} | {:.0} |",
                end.2,
                mcpd::units::human_bytes(rss0),
                mcpd::units::human_bytes(rss1),
                mcpd::units::human_bytes(peak),
                end.0 - st.0,
                end.1
            );
            sb.mcpd()
                .args(["daemon", "stop"])
                .stdout(Stdio::null())
                .status()
                .unwrap();
        }
    }
    println!();
}
