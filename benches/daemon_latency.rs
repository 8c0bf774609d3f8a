//! The daemon's own cost and responsiveness (a bench binary: `cargo bench --bench daemon_latency
//! [-- IDLE_SECS]`):
//! - idle RSS and CPU of `mcpd daemon run` with two global servers (one sleeping, one that ignores
//!   SIGTERM), over IDLE_SECS (default 30);
//! - control-request latency (`Status` over the socket, as `mcpd status` sends it) when idle, and
//!   while `mcpd stop` of the TERM-ignoring server waits out its `stop_grace` (3 s). The goal is
//!   that no request waits for a stop: the worst request during the stop stays far below the grace.
//!
//! Printed as Markdown for BENCHMARKS.md. Everything runs in a temp dir with its own state, config
//! and runtime dirs; every process started here is stopped by pid.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcpd::daemon::client::request_at;
use mcpd::daemon::protocol::{Request, Response};

const GRACE_SECS: u64 = 3;

fn mcpd(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mcpd"));
    c.env("MCPD_STATE_DIR", dir.join("state"))
        .env("MCPD_CONFIG", dir.join("config.toml"))
        .env("MCPD_RUNTIME_DIR", dir.join("run"))
        .env("MCPD_TMUX_SOCKET", dir.join("tmux.sock"))
        .env_remove("TMUX")
        .stdin(Stdio::null());
    c
}

/// VmRSS in bytes and utime+stime in clock ticks of `pid`.
fn usage(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (rss_kb * 1024, ticks)
}

/// One `Status` round trip.
fn status(sock: &Path) -> (Duration, Option<Response>) {
    let t = Instant::now();
    let r = request_at(sock, &Request::Status, Duration::from_secs(60))
        .ok()
        .flatten();
    (t.elapsed(), r)
}

fn state_of(r: &Option<Response>, name: &str) -> Option<(String, Option<i32>)> {
    let Some(Response::Status(s)) = r else {
        return None;
    };
    s.servers
        .iter()
        .find(|s| s.name == name)
        .map(|s| (s.state.clone(), s.pid))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn summary(label: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    let pick = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "| {label} | {} | {} | {} | {} |",
        v.len(),
        ms(pick(0.5)),
        ms(pick(0.99)),
        ms(*v.last().unwrap())
    )
}

fn stop_by_pid(child: &mut Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    let _ = child.wait();
}

fn main() {
    let idle_secs: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::Builder::new()
        .prefix("mcpd-bench-lat-")
        .tempdir()
        .unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[daemon]\nstop_grace = \"{GRACE_SECS}s\"\nsweep_orphans = false\n\n\
             [servers.idle]\ncommand = \"sleep\"\nargs = [\"100000\"]\n\n\
             [servers.slow]\ncommand = \"bash\"\nargs = [\"-c\", \"trap '' TERM; exec sleep 100000\"]\n"
        ),
    )
    .unwrap();
    let sock = dir.path().join("run").join("mcpd.sock");
    let mut daemon = mcpd(dir.path())
        .args(["daemon", "run"])
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the daemon");
    let up = Instant::now();
    let slow_pid = loop {
        if let Some((st, Some(pid))) = state_of(&status(&sock).1, "slow")
            && st == "running"
        {
            break pid;
        }
        if up.elapsed() > Duration::from_secs(30) {
            stop_by_pid(&mut daemon);
            panic!("the daemon or its servers did not start");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let pid = daemon.id();

    // Idle.
    std::thread::sleep(Duration::from_secs(1));
    let (rss0, t0) = usage(pid);
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (rss1, t1) = usage(pid);
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    let cpu = (t1 - t0) as f64 / hz / start.elapsed().as_secs_f64() * 100.0;

    // Latency, idle.
    let idle: Vec<Duration> = (0..200).map(|_| status(&sock).0).collect();

    // Latency while the TERM-ignoring server is being stopped.
    let stop_began = Instant::now();
    let mut stop = mcpd(dir.path())
        .args(["stop", "slow"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut during = Vec::new();
    let mut saw_stopping = 0;
    while stop.try_wait().unwrap().is_none() {
        let (d, r) = status(&sock);
        during.push(d);
        if state_of(&r, "slow").is_some_and(|(s, _)| s == "stopping") {
            saw_stopping += 1;
        }
    }
    let stop_took = stop_began.elapsed();
    let alive = std::fs::metadata(format!("/proc/{slow_pid}")).is_ok();

    let _ = mcpd(dir.path()).args(["daemon", "stop"]).output();
    if daemon.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_secs(GRACE_SECS + 2));
        stop_by_pid(&mut daemon);
    }

    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
    println!("### Idle daemon ({idle_secs} s, two servers, sweep_interval 30 s)\n");
    println!("| RSS at start | RSS after | CPU (% of one core) |");
    println!("|---:|---:|---:|");
    println!("| {} | {} | {cpu:.2} % |\n", mb(rss0), mb(rss1));
    println!("### `Status` round trips (stop_grace {GRACE_SECS} s)\n");
    println!("| when | requests | median | p99 | max |");
    println!("|---|---:|---:|---:|---:|");
    println!("{}", summary("idle", idle));
    if during.is_empty() {
        println!("| during the stop | 0 | - | - | - |");
    } else {
        println!(
            "{}",
            summary("while `mcpd stop` waits out the grace", during)
        );
    }
    println!(
        "\n`mcpd stop slow` took {}; {saw_stopping} answers said \"stopping\" (answered before the \
         tree was gone); the server afterwards: {}.",
        ms(stop_took),
        if alive { "STILL ALIVE" } else { "gone" }
    );
}
