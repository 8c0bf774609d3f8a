//! Helpers shared by the parts of `cargo bench --bench mcpd_bench`: statistics, timing a command,
//! a load of sleeping processes, a sandboxed mcpd (its own state, config, runtime dir and tmux
//! socket), reading a process's RSS and CPU, and a line-based stdio MCP client.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mcpd::procs::identity::current_start_ticks;

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

pub fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub fn time_cmd(cmd: &mut Command) -> f64 {
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
pub struct Load {
    parent: Child,
}

impl Load {
    pub fn new(n: usize) -> Load {
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

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new(config: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Sandbox { dir }
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("tmux.sock")
    }

    pub fn mcpd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcpd"));
        c.env("MCPD_STATE_DIR", self.dir.path().join("state"))
            .env("MCPD_CONFIG", self.dir.path().join("config.toml"))
            .env("MCPD_RUNTIME_DIR", self.dir.path().join("run"))
            .env("MCPD_TMUX_SOCKET", self.socket())
            .env_remove("TMUX")
            .stdin(Stdio::null());
        c
    }

    pub fn tmux(&self, args: &[&str]) -> bool {
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

pub fn npm_cache() -> Option<PathBuf> {
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
pub fn marked(needle: &str) -> Vec<(i32, u64)> {
    let snap = mcpd::procs::Snapshot::take().unwrap();
    snap.procs
        .values()
        .filter(|p| !p.is_zombie() && p.command().contains(needle))
        .map(|p| (p.pid, p.rss_bytes))
        .collect()
}

pub fn alive(pid: i32) -> bool {
    current_start_ticks(pid).is_some()
}

/// RSS (bytes) and CPU time (clock ticks) of a process, from /proc.
pub fn rss_and_cpu(pid: i32) -> (u64, u64) {
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

pub fn daemon_pid(sb: &Sandbox) -> i32 {
    std::fs::read_to_string(sb.dir.path().join("state/daemon.lock"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A stdio MCP client on a child process: send a line, wait for the response with that id.
pub struct Stdio2 {
    pub child: Child,
    stdin: std::process::ChildStdin,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl Stdio2 {
    pub fn spawn(mut cmd: Command) -> Stdio2 {
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

    pub fn call(&mut self, id: u64, method: &str, params: serde_json::Value) -> serde_json::Value {
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

    pub fn init(&mut self) {
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
