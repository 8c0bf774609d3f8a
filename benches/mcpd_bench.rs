//! mcpd's benchmarks (a bench binary: `cargo bench`, or `cargo bench -- status|stop|session`).
//! Results are printed as Markdown for BENCHMARKS.md. Every process started here is stopped by pid.
//!
//! - status: `mcpd status --json` wall time with 1,000 and 3,000 extra processes on the machine, side by
//!   side with `ps -eo pid,ppid,rss,args`, alternating, same run. Goal: median mcpd/ps <= 1.0 at 3,000.
//! - stop: stop latency for a cooperative tree and a SIGTERM-ignoring tree (library `stop_trees`).
//!   Goals: cooperative <= 100 ms median; TERM-ignorer within grace + 100 ms.
//! - scale (run alone: `cargo bench --bench mcpd_bench -- scale [SIZES...]`): issue 16's table, in
//!   a private PID namespace; see benches/parts/scale.rs.
//! - session: tmux kill-session to last process gone for the real npx tree (npm exec -> sh -> node), with
//!   mcpd's hook, median and p95 over 20 runs; and the control without mcpd (what is left behind).

#[path = "parts/scale.rs"]
mod scale;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcpd::procs::identity::current_start_ticks;
use mcpd::procs::{Identity, StopOptions, StopTarget, stop_trees};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn time_cmd(cmd: &mut Command) -> f64 {
    let t = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(out.success() || out.code() == Some(1));
    t.elapsed().as_secs_f64() * 1000.0
}

/// N sleeping processes under one parent, killed (by pid) on drop.
struct Load {
    parent: Child,
}

impl Load {
    fn new(n: usize) -> Load {
        let parent = Command::new("bash")
            .args([
                "-c",
                &format!("exec 2>/dev/null; for i in $(seq {n}); do sleep 100000 & done; wait"),
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let pid = parent.id() as i32;
        let deadline = Instant::now() + Duration::from_secs(60);
        while mcpd::procs::Snapshot::take()
            .unwrap()
            .children_of(pid)
            .len()
            < n
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        Load { parent }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        let pid = self.parent.id() as i32;
        let snap = mcpd::procs::Snapshot::take().unwrap();
        for c in snap.children_of(pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*c),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.parent.kill();
        let _ = self.parent.wait();
    }
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new(config: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Sandbox { dir }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("tmux.sock")
    }

    fn mcpd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcpd"));
        c.env("MCPD_STATE_DIR", self.dir.path().join("state"))
            .env("MCPD_CONFIG", self.dir.path().join("config.toml"))
            .env("MCPD_RUNTIME_DIR", self.dir.path().join("run"))
            .env("MCPD_TMUX_SOCKET", self.socket())
            .env_remove("TMUX")
            .stdin(Stdio::null());
        c
    }

    fn tmux(&self, args: &[&str]) -> bool {
        Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .args(args)
            .envs([
                ("MCPD_STATE_DIR", self.dir.path().join("state")),
                ("MCPD_CONFIG", self.dir.path().join("config.toml")),
            ])
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn bench_status() {
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

fn bench_stop() {
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

fn npm_cache() -> Option<PathBuf> {
    let dir = std::env::var_os("MCPD_TEST_NPM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/npm-servers"));
    if !dir.join("node_modules/.bin/mcp-server-filesystem").exists() {
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "@modelcontextprotocol/server-filesystem@2026.8.31",
            ])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
    }
    Some(dir)
}

/// Pids whose command line contains `needle` (not zombies).
fn marked(needle: &str) -> Vec<(i32, u64)> {
    let snap = mcpd::procs::Snapshot::take().unwrap();
    snap.procs
        .values()
        .filter(|p| !p.is_zombie() && p.command().contains(needle))
        .map(|p| (p.pid, p.rss_bytes))
        .collect()
}

fn alive(pid: i32) -> bool {
    current_start_ticks(pid).is_some()
}

fn bench_session() {
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

/// RSS (bytes) and CPU time (clock ticks) of a process, from /proc.
fn rss_and_cpu(pid: i32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    (rss_kb * 1024, ticks)
}

fn daemon_pid(sb: &Sandbox) -> i32 {
    std::fs::read_to_string(sb.dir.path().join("state/daemon.lock"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn bench_daemon() {
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

/// A stdio MCP client on a child process: send a line, wait for the response with that id.
struct Stdio2 {
    child: Child,
    stdin: std::process::ChildStdin,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl Stdio2 {
    fn spawn(mut cmd: Command) -> Stdio2 {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        Stdio2 { child, stdin, out }
    }

    fn call(&mut self, id: u64, method: &str, params: serde_json::Value) -> serde_json::Value {
        use std::io::{BufRead, Write};
        let msg =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
        loop {
            let mut line = String::new();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "the server closed its stdout"
            );
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if v["id"] == id && v.get("method").is_none() {
                return v;
            }
        }
    }

    fn init(&mut self) {
        use std::io::Write;
        self.call(0, "initialize", serde_json::json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}));
        writeln!(
            self.stdin,
            "{}",
            serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
        )
        .unwrap();
    }
}

impl Drop for Stdio2 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bench_connect() {
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

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // The scale bench (issue 16) runs on its own: it needs a PID namespace and a few minutes.
    match filter.first().map(String::as_str) {
        Some("scale") => return scale::outer(&filter[1..]),
        Some("scale-inner") => return scale::inner(&filter[1..]),
        _ => {}
    }
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    println!(
        "# mcpd benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if want("status") {
        bench_status();
    }
    if want("stop") {
        bench_stop();
    }
    if want("session") {
        bench_session();
    }
    if want("daemon") {
        bench_daemon();
    }
    if want("connect") {
        bench_connect();
    }
}
