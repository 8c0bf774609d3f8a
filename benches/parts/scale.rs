//! `cargo bench --bench mcpd_bench -- scale [SIZES...]`: the process-table scale bench of issue 16.
//!
//! Runs itself again inside a private PID namespace (`unshare --pid --fork --mount-proc`, a `sh` as
//! PID 1 that reaps), fills it with `sleep`s, and times side by side, in alternating rounds (3 warm-ups,
//! then ROUNDS rounds, medians): the std-only lower bound (`benches/proc_lower_bound.rs`), `ps -eo
//! pid,ppid,rss,args`, `mcpd status --json` without a daemon, and with a daemon running. Each size is
//! measured without and with orphan candidates (5 orphaned MCP-like processes, which make `status` read
//! descriptor tables). Then, at 3,000 processes: one session close, and 50 closes at once, from
//! `tmux kill-session` to the escaped server gone. Everything dies with the namespace.
//!
//! The sweep's own /proc pass is timed in the same rounds, in this process, as the daemon makes it
//! (`procs::incremental`, the daemon's reread set): incremental (what a sweep costs when the table
//! did not change; `stat` read only for what changed, what is read every time and the refresh's
//! share) and full (every `stat`: the first sweep, and what a stop is decided on), each also in
//! lower-bound passes. The daemon's whole sweep (median of its `last_sweep_ms`) is shown beside them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Sandbox, median, time_cmd};

const ROUNDS: usize = 15;
const CONFIG: &str =
    "[daemon]\nsweep_interval = \"5s\"\nsweep_orphans = false\norphan_min_age = \"1s\"\n";

/// Outside the namespace: build the lower bound, then run [`inner`] in a new PID namespace.
pub fn outer(sizes: &[String]) {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let lb = tmp.join("proc-lower-bound");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/proc_lower_bound.rs");
    let ok = Command::new("rustc")
        .args(["-O", "--edition", "2024", "-o"])
        .arg(&lb)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "cannot build {}", src.display());
    let me = std::env::current_exe().unwrap();
    let status = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "sh", "-c"])
        .arg("\"$0\" scale-inner \"$@\" & wait $!")
        .arg(me)
        .arg(&lb)
        .args(sizes)
        .status()
        .unwrap();
    assert!(status.success(), "the namespaced bench failed");
}

/// N sleeps under one bash, in this namespace; on drop each is killed by pid and bash reaps them.
struct Sleeps {
    parent: Child,
}

impl Sleeps {
    fn new(n: usize) -> Sleeps {
        let parent = Command::new("bash")
            .args([
                "-c",
                &format!("exec 2>/dev/null; for ((i=0; i<{n}; i++)); do sleep 100000 & done; wait"),
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let pid = parent.id() as i32;
        let deadline = Instant::now() + Duration::from_secs(240);
        while children(pid).len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        Sleeps { parent }
    }
}

fn children(pid: i32) -> Vec<i32> {
    mcpd::procs::Snapshot::take()
        .unwrap()
        .children_of(pid)
        .to_vec()
}

fn kill(pid: i32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
}

impl Drop for Sleeps {
    fn drop(&mut self) {
        for c in children(self.parent.id() as i32) {
            kill(c);
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

/// A program named like an MCP server (a symlink to `sleep`).
fn mcp_program(dir: &Path) -> PathBuf {
    let p = dir.join("mcp-server-bench");
    if !p.exists() {
        std::os::unix::fs::symlink("/bin/sleep", &p).unwrap();
    }
    p
}

/// Pids whose command line starts with `prog`.
fn running(prog: &Path) -> Vec<i32> {
    let prog = prog.display().to_string();
    mcpd::procs::Snapshot::take()
        .unwrap()
        .procs
        .values()
        .filter(|p| !p.is_zombie() && p.cmdline.first() == Some(&prog))
        .map(|p| p.pid)
        .collect()
}

/// `n` orphaned MCP-like processes (their parent exits at once: PID 1 adopts them), each reading a
/// pipe whose writer is gone: judging them needs the descriptor scan.
fn orphans(prog: &Path, n: usize) -> Vec<i32> {
    let before = running(prog);
    let script = format!(
        "for i in $(seq {n}); do (: | {} 100000 >/dev/null 2>&1 &); done",
        prog.display()
    );
    Command::new("bash").args(["-c", &script]).status().unwrap();
    std::thread::sleep(Duration::from_millis(1500)); // past orphan_min_age
    running(prog)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect()
}

/// The sweep's /proc pass, as the daemon makes it: one memory kept across rounds (incremental
/// passes) and one that reads every `stat` each time (full passes), with the daemon's reread set.
struct Passes {
    matcher: mcpd::matcher::Matcher,
    uid: u32,
    incremental: mcpd::procs::incremental::Images,
    full: mcpd::procs::incremental::Images,
    times: [Vec<f64>; 2],
    /// `stat` read and served from memory by each incremental pass.
    reads: Vec<(usize, usize)>,
}

impl Passes {
    fn new() -> Passes {
        let refresh = mcpd::procs::incremental::REFRESH;
        Passes {
            matcher: mcpd::matcher::Matcher::from_config(&mcpd::config::Config::default()),
            uid: mcpd::procs::my_uid(),
            incremental: mcpd::procs::incremental::Images::with_refresh(refresh),
            full: mcpd::procs::incremental::Images::with_refresh(refresh),
            times: Default::default(),
            reads: Vec::new(),
        }
    }

    /// One incremental and one full pass; kept when `keep`.
    fn round(&mut self, keep: bool) {
        let (m, uid) = (&self.matcher, self.uid);
        let reread = |p: &mcpd::procs::ProcInfo| mcpd::judge::reread(m, uid, p);
        let t = Instant::now();
        self.incremental.take(&reread, &[]).unwrap();
        let inc = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        self.full.take_full(&reread).unwrap();
        let full = t.elapsed().as_secs_f64() * 1000.0;
        if keep {
            self.times[0].push(inc);
            self.times[1].push(full);
            let i = &self.incremental;
            self.reads.push((i.stat_read, i.stat_skipped));
        }
    }
}

/// One row of the sweep table.
struct SweepRow {
    total: usize,
    cands: usize,
    lower_bound: f64,
    incremental: f64,
    reads: (usize, usize),
    full: f64,
    daemon: Option<(f64, usize)>,
}

fn sweep_ms(sb: &Sandbox) -> Option<(u64, f64)> {
    let out = sb.mcpd().args(["status", "--json"]).output().ok()?;
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((
        j["daemon"]["sweeps"].as_u64()?,
        j["daemon"]["last_sweep_ms"].as_f64()?,
    ))
}

/// Inside the namespace.
pub fn inner(args: &[String]) {
    let lb = PathBuf::from(&args[0]);
    let sizes: Vec<usize> = if args.len() > 1 {
        args[1..].iter().map(|s| s.parse().unwrap()).collect()
    } else {
        vec![1000, 3000, 10000, 30000]
    };
    let plain = Sandbox::new(CONFIG);
    let daemon = Sandbox::new(CONFIG);
    for sb in [&plain, &daemon] {
        sb.tmux(&["-f", "/dev/null", "new-session", "-d", "-s", "bench"]);
    }
    assert!(
        daemon
            .mcpd()
            .args(["daemon", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    let prog = mcp_program(plain.dir.path());
    println!(
        "## `mcpd status --json` vs the lower bound and `ps` ({ROUNDS} alternating rounds, medians, ms)\n"
    );
    println!(
        "| processes | candidates | lower bound | ps | mcpd status | ratio | status, daemon running | ratio | daemon sweep (median) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut close_done = false;
    let mut sweep_rows = Vec::new();
    for n in sizes {
        let load = Sleeps::new(n);
        for cands in [0usize, 5] {
            let made = if cands > 0 {
                orphans(&prog, cands)
            } else {
                Vec::new()
            };
            let total = mcpd::procs::Snapshot::take().unwrap().procs.len();
            let mut t: [Vec<f64>; 4] = Default::default();
            let mut sweeps = Vec::new();
            let mut last_sweep = 0;
            let mut passes = Passes::new();
            for round in 0..3 + ROUNDS {
                let times = [
                    time_cmd(&mut Command::new(&lb)),
                    time_cmd(Command::new("ps").args(["-eo", "pid,ppid,rss,args"])),
                    time_cmd(plain.mcpd().args(["status", "--json"])),
                    time_cmd(daemon.mcpd().args(["status", "--json"])),
                ];
                if round >= 3 {
                    for (v, x) in t.iter_mut().zip(times) {
                        v.push(x);
                    }
                }
                passes.round(round >= 3);
                if let Some((count, ms)) = sweep_ms(&daemon)
                    && count > last_sweep
                {
                    // The first sweep after a change of the table reads every new environment.
                    if last_sweep > 0 {
                        sweeps.push(ms);
                    }
                    last_sweep = count;
                }
            }
            let [lbm, psm, st, sd] = t.map(|mut v| median(&mut v));
            let daemon_sweep = (!sweeps.is_empty()).then(|| (median(&mut sweeps), sweeps.len()));
            let sweep = match daemon_sweep {
                None => "-".to_string(),
                Some((ms, k)) => format!("{ms:.0} ms ({k} sweeps)"),
            };
            let mid = passes.reads.len() / 2;
            passes.reads.sort_unstable();
            sweep_rows.push(SweepRow {
                total,
                cands,
                lower_bound: lbm,
                incremental: median(&mut passes.times[0]),
                reads: passes.reads[mid],
                full: median(&mut passes.times[1]),
                daemon: daemon_sweep,
            });
            println!(
                "| {total} | {cands} | {lbm:.1} | {psm:.1} | {st:.1} | {:.2}x | {sd:.1} | {:.2}x | {sweep} |",
                st / lbm,
                sd / lbm
            );
            for p in made {
                kill(p);
            }
        }
        if n == 3000 && !close_done {
            close_done = true;
            closes(&prog);
        }
        drop(load);
    }
    println!();
    sweep_table(&sweep_rows);
    daemon
        .mcpd()
        .args(["daemon", "stop"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
}

/// The sweep's /proc pass, incremental and full, and the daemon's whole sweep, in lower-bound passes
/// measured in the same rounds.
fn sweep_table(rows: &[SweepRow]) {
    println!(
        "## The sweep's /proc pass ({ROUNDS} rounds, medians, ms; in lower-bound passes of the same rounds)\n"
    );
    println!(
        "| processes | candidates | lower bound | incremental pass | in passes | stat read / served | full pass | in passes | daemon sweep | in passes |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let (daemon, in_passes) = match r.daemon {
            Some((ms, k)) => (
                format!("{ms:.0} ms ({k} sweeps)"),
                format!("{:.2}", ms / r.lower_bound),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.2} | {} / {} | {:.1} | {:.2} | {daemon} | {in_passes} |",
            r.total,
            r.cands,
            r.lower_bound,
            r.incremental,
            r.incremental / r.lower_bound,
            r.reads.0,
            r.reads.1,
            r.full,
            r.full / r.lower_bound,
        );
    }
    println!();
}

/// Session closes at the current load: one at a time (median of 10), and 50 at once.
fn closes(prog: &Path) {
    let sb = Sandbox::new(CONFIG);
    let total = mcpd::procs::Snapshot::take().unwrap().procs.len();
    let start = |name: &str| {
        assert!(
            sb.mcpd()
                .args(["tm", "-d", name])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success()
        );
        // An escaped server: setsid from the pane, out of every pane tree, tagged with the session.
        // The pane stays (its own sleep): a pane that ended at once would hang up its terminal
        // while the forked child may not have left the pane's process group yet, and the
        // kernel's SIGHUP would take the server before any close (9 of 50 under load).
        let cmd = format!(
            "setsid -f {} 100000 </dev/null >/dev/null 2>&1; exec sleep 100000",
            prog.display()
        );
        sb.tmux(&["new-window", "-d", "-t", &format!("={name}:"), &cmd]);
    };
    start("keep");
    let mut one = Vec::new();
    for i in 0..10 {
        let name = format!("c{i}");
        let before = running(prog);
        start(&name);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut mine = Vec::new();
        while mine.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            mine = running(prog)
                .into_iter()
                .filter(|p| !before.contains(p))
                .collect();
        }
        let t = Instant::now();
        sb.tmux(&["kill-session", "-t", &format!("={name}")]);
        while mine
            .iter()
            .any(|p| mcpd::procs::identity::current_start_ticks(*p).is_some())
            && t.elapsed() < Duration::from_secs(20)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        one.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let before = running(prog);
    for i in 0..50 {
        start(&format!("m{i}"));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut many = Vec::new();
    while many.len() < 50 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        many = running(prog)
            .into_iter()
            .filter(|p| !before.contains(p))
            .collect();
    }
    let mut kill_all = Command::new("tmux");
    kill_all.arg("-S").arg(sb.socket());
    for i in 0..50 {
        if i > 0 {
            kill_all.arg(";");
        }
        kill_all.args(["kill-session", "-t", &format!("=m{i}")]);
    }
    let t = Instant::now();
    kill_all.stdout(Stdio::null()).status().unwrap();
    while many
        .iter()
        .any(|p| mcpd::procs::identity::current_start_ticks(*p).is_some())
        && t.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let all = t.elapsed().as_secs_f64() * 1000.0;
    let left = many
        .iter()
        .filter(|p| mcpd::procs::identity::current_start_ticks(**p).is_some())
        .count();
    println!();
    println!("## Session close at {total} processes (kill-session to the escaped server gone)\n");
    println!("| what | result |");
    println!("|---|---:|");
    println!(
        "| one close, median of {} | {:.0} ms |",
        one.len(),
        median(&mut one.clone())
    );
    println!(
        "| {} closes at once (one tmux command), to the last gone | {all:.0} ms ({left} left) |",
        many.len()
    );
    println!();
    println!(
        "| processes | candidates | lower bound | ps | mcpd status | ratio | status, daemon running | ratio | daemon sweep (median) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}
