//! `status`, `stop` and `session` parts of `cargo bench --bench mcpd_bench`: `mcpd status --json` vs
//! `ps` at 1,000 and 3,000 extra processes, the library stop on a cooperative and a TERM-ignoring
//! tree, and `tmux kill-session` to the last process of a real npx tree gone (with a control run
//! without mcpd's hook).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcpd::procs::identity::current_start_ticks;
use mcpd::procs::{Identity, StopOptions, StopTarget, stop_trees};

use super::common::*;

pub fn status() {
    println!("## `mcpd status --json` vs `ps -eo pid,ppid,rss,args`\n");
    println!(
        "| extra processes | total processes | mcpd status median (ms) | ps median (ms) | ratio mcpd/ps |"
    );
    println!("|---:|---:|---:|---:|---:|");
    let sb = Sandbox::new("");
    sb.tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "bench"]);
    for n in [0usize, 1000, 3000] {
        let _load = Load::new(n);
        let total = mcpd::procs::Snapshot::take().unwrap().procs.len();
        let (mut m, mut p) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            time_cmd(sb.mcpd().args(["status", "--json"]));
            time_cmd(Command::new("ps").args(["-eo", "pid,ppid,rss,args"]));
        }
        for _ in 0..21 {
            m.push(time_cmd(sb.mcpd().args(["status", "--json"])));
            p.push(time_cmd(
                Command::new("ps").args(["-eo", "pid,ppid,rss,args"]),
            ));
        }
        let (mm, pm) = (median(&mut m), median(&mut p));
        println!("| {n} | {total} | {mm:.1} | {pm:.1} | {:.2} |", mm / pm);
    }
    println!();
}

fn setsid_tree(script: &str) -> (Child, StopTarget) {
    let child = Command::new("setsid")
        .args(["bash", "-c", script])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    std::thread::sleep(Duration::from_millis(150));
    let start = current_start_ticks(pid).unwrap();
    (
        child,
        StopTarget {
            identity: Identity {
                pid,
                start_ticks: start,
            },
            pgid: Some(pid),
            leader_exited: false,
        },
    )
}

pub fn stop() {
    println!("## Stop latency (library `stop_trees`, 20 runs each)\n");
    println!("| tree | grace | median (ms) | p95 (ms) | max (ms) |");
    println!("|---|---:|---:|---:|---:|");
    for (label, script, grace) in [
        (
            "cooperative: bash + 3 sleeps",
            "for i in 1 2 3; do sleep 100000 & done; wait",
            Duration::from_secs(3),
        ),
        (
            "SIGTERM-ignoring child (leader exits at TERM)",
            "bash -c 'trap \"\" TERM; sleep 100000 & wait' & wait",
            Duration::from_secs(1),
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..20 {
            let (mut child, target) = setsid_tree(script);
            let opts = StopOptions {
                grace,
                ..StopOptions::default()
            };
            let t = Instant::now();
            let out = stop_trees(&[target], &opts).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(out.survivors().count(), 0);
            let _ = child.wait();
        }
        let (m, p95) = (median(&mut times.clone()), pct(&mut times.clone(), 0.95));
        let max = times.iter().cloned().fold(0.0, f64::max);
        println!(
            "| {label} | {} ms | {m:.1} | {p95:.1} | {max:.1} |",
            grace.as_millis()
        );
    }
    println!();
}

pub fn session() {
    let Some(cache) = npm_cache() else {
        println!("(session benchmark skipped: the npm registry could not be reached)\n");
        return;
    };
    let agent = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent.py");
    println!("## tmux kill-session to last process gone, real npx tree (20 runs)\n");
    let mut with_mcpd = Vec::new();
    let mut control_left = (0usize, 0u64);
    for with in [false, true] {
        let runs = if with { 20 } else { 3 };
        for run in 0..runs {
            let sb = Sandbox::new("[daemon]\nstop_grace = \"3s\"\n");
            let served = sb.dir.path().join(format!("served{run}"));
            std::fs::create_dir_all(&served).unwrap();
            if with {
                assert!(
                    sb.mcpd()
                        .args(["tm", "-d", "keep"])
                        .stdout(Stdio::null())
                        .status()
                        .unwrap()
                        .success()
                );
                assert!(
                    sb.mcpd()
                        .args(["tm", "-d", "work"])
                        .stdout(Stdio::null())
                        .status()
                        .unwrap()
                        .success()
                );
            } else {
                sb.tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "keep"]);
                sb.tmux(&["new-session", "-d", "-s", "work"]);
            }
            let ready = served.join("ready");
            let cmd = format!(
                "python3 {} {} {} {}",
                agent.display(),
                cache.display(),
                served.display(),
                ready.display()
            );
            sb.tmux(&["new-window", "-d", "-t", "=work:", &cmd]);
            let deadline = Instant::now() + Duration::from_secs(60);
            while !ready.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let needle = served.display().to_string();
            let tree: Vec<(i32, u64)> = marked(&needle)
                .into_iter()
                .filter(|(p, _)| {
                    !std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                        .unwrap_or_default()
                        .contains("agent.py")
                })
                .collect();
            let t = Instant::now();
            sb.tmux(&["kill-session", "-t", "=work"]);
            if with {
                while tree.iter().any(|(p, _)| alive(*p)) && t.elapsed() < Duration::from_secs(10) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                with_mcpd.push(t.elapsed().as_secs_f64() * 1000.0);
            } else {
                std::thread::sleep(Duration::from_secs(3));
                let left: Vec<&(i32, u64)> = tree.iter().filter(|(p, _)| alive(*p)).collect();
                control_left = (left.len(), left.iter().map(|(_, r)| r).sum());
            }
            // Stop everything this run started, by pid.
            for (p, _) in marked(&needle) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(p),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
    let (m, p95) = (
        median(&mut with_mcpd.clone()),
        pct(&mut with_mcpd.clone(), 0.95),
    );
    println!(
        "| setup | processes left 3 s after kill-session | RSS left | close -> last gone, median | p95 |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| without mcpd (control) | {} | {} | never | never |",
        control_left.0,
        mcpd::units::human_bytes(control_left.1)
    );
    println!("| with mcpd's hook | 0 | 0 B | {m:.0} ms | {p95:.0} ms |");
    println!();
}
