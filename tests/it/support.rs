//! The test sandbox: a temp dir with its own state, config and runtime dirs, an optional private tmux
//! server, and every process a test starts tracked by identity and killed by pid when the test ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use mcpd::procs::{Identity, Snapshot};

/// Pinned versions of the real MCP servers the tests run.
pub const FS_SERVER: &str = "@modelcontextprotocol/server-filesystem@2026.8.31";

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub state: PathBuf,
    pub config: PathBuf,
    pub runtime: PathBuf,
    /// A string unique to this sandbox, put on the command lines of its processes.
    pub marker: String,
    pub socket: PathBuf,
    tracked: Mutex<Vec<Identity>>,
    tmux_started: Mutex<bool>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox::with_config("[daemon]\norphan_min_age = \"0s\"\nstop_grace = \"1s\"\n")
    }

    #[track_caller]
    pub fn with_config(config: &str) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("mcpd-it-")
            .tempdir()
            .unwrap();
        let marker = dir
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let sb = Sandbox {
            state: dir.path().join("state"),
            config: dir.path().join("config.toml"),
            runtime: dir.path().join("run"),
            socket: dir.path().join("tmux.sock"),
            marker,
            dir,
            tracked: Mutex::new(Vec::new()),
            tmux_started: Mutex::new(false),
        };
        std::fs::write(&sb.config, config).unwrap();
        sb
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The environment every mcpd and tmux invocation of this sandbox gets.
    pub fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("MCPD_STATE_DIR", self.state.clone()),
            ("MCPD_CONFIG", self.config.clone()),
            ("MCPD_RUNTIME_DIR", self.runtime.clone()),
            ("MCPD_TMUX_SOCKET", self.socket.clone()),
        ]
    }

    /// An mcpd command in this sandbox (never the user's tmux server, never their files).
    pub fn mcpd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcpd"));
        c.envs(self.envs())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        self.mcpd().args(args).output().unwrap()
    }

    /// Runs mcpd and asserts it exits 0; returns stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        expect_ok(args, self.run(args))
    }

    #[track_caller]
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        expect_json(args, &self.ok(args))
    }

    /// Remembers a process to kill (by pid, identity-checked) when the sandbox is dropped.
    pub fn track(&self, pid: i32) {
        if let Some(t) = mcpd::procs::identity::current_start_ticks(pid) {
            self.tracked.lock().unwrap().push(Identity {
                pid,
                start_ticks: t,
            });
        }
    }

    /// Tracks every current process whose command line contains the marker, and their descendants
    /// (a `sleep` under a marked subshell carries no marker of its own).
    pub fn track_marked(&self) {
        let snap = Snapshot::take().unwrap();
        for p in marked(&self.marker) {
            self.track(p);
            for d in snap.descendants(p) {
                self.track(d);
            }
        }
    }

    /// A tmux command on this sandbox's private server.
    pub fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S")
            .arg(&self.socket)
            .envs(self.envs())
            .env_remove("TMUX")
            .stdin(Stdio::null());
        c
    }

    /// Runs tmux on the private server; returns stdout (panics on failure).
    #[track_caller]
    pub fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux().args(args).output().unwrap();
        assert!(out.status.success(), "tmux {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Starts the private tmux server with one session named `name`.
    pub fn start_tmux(&self, name: &str) {
        *self.tmux_started.lock().unwrap() = true;
        self.tmux_ok(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "35",
        ]);
    }

    /// The pid in this sandbox's daemon lock file, when that process runs.
    pub fn daemon_pid(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(self.state.join("daemon.lock"))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        mcpd::procs::identity::current_start_ticks(pid).map(|_| pid)
    }

    /// The daemon's view of one server (from `status --json`).
    pub fn server_status(&self, name: &str) -> Option<serde_json::Value> {
        let j = self.json(&["status", "--json"]);
        j["servers"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
    }

    pub fn tmux_started(&self) {
        *self.tmux_started.lock().unwrap() = true;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // A daemon of this sandbox: asked to stop, then killed by pid if it does not.
        if let Some(pid) = self.daemon_pid() {
            let _ = self.mcpd().args(["daemon", "stop"]).output();
            if let Some(t) = mcpd::procs::identity::current_start_ticks(pid)
                && let Ok(pin) = mcpd::procs::identity::Pinned::open(Identity {
                    pid,
                    start_ticks: t,
                })
            {
                pin.signal(nix::sys::signal::Signal::SIGKILL);
            }
        }
        self.track_marked();
        for id in self.tracked.lock().unwrap().iter() {
            if let Ok(pin) = mcpd::procs::identity::Pinned::open(*id) {
                pin.signal(nix::sys::signal::Signal::SIGKILL);
            }
        }
        if *self.tmux_started.lock().unwrap() {
            let _ = self.tmux().arg("kill-server").output();
        }
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Pids of live (non-zombie) processes whose command line contains `needle`.
pub fn marked(needle: &str) -> Vec<i32> {
    let snap = Snapshot::take().unwrap();
    let mut v: Vec<i32> = snap
        .procs
        .values()
        .filter(|p| {
            !p.is_zombie() && p.pid != std::process::id() as i32 && p.command().contains(needle)
        })
        .map(|p| p.pid)
        .collect();
    v.sort_unstable();
    v
}

/// Pids of live processes whose argv[0] is exactly `name` (as set with `exec -a`).
pub fn named(name: &str) -> Vec<i32> {
    let snap = Snapshot::take().unwrap();
    let mut v: Vec<i32> = snap
        .procs
        .values()
        .filter(|p| !p.is_zombie() && p.cmdline.first().is_some_and(|a| a == name))
        .map(|p| p.pid)
        .collect();
    v.sort_unstable();
    v
}

/// Asserts that `mcpd ARGS` exited 0; returns its stdout.
#[track_caller]
pub fn expect_ok(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "mcpd {args:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Parses the stdout of `mcpd ARGS` as JSON.
#[track_caller]
pub fn expect_json(args: &[&str], out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("mcpd {args:?}: not JSON ({e}): {out}"))
}

/// True when `pid` is gone or a zombie.
pub fn gone(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    stat.rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
}

/// True when `pid` is gone or has no signal waiting to be handled: whatever was sent to it (a
/// SIGHUP from a closing pane, say) has had its effect.
pub fn settled(pid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return true;
    };
    gone(pid)
        || status
            .lines()
            .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
            .all(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|m| m.trim_start_matches('0').is_empty())
            })
}

/// Polls `f` until true or `timeout`.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A registry (or its client) that cannot be reached: under `CI=true` the test fails, since a test
/// that reports ok without running cannot fail; on a developer's machine it is skipped, loudly.
pub fn unreachable_registry(why: &str) -> Option<PathBuf> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why} (CI=true: a missing registry is a failure, not a skip)");
    }
    eprintln!("SKIP (not under CI): {why}");
    None
}

/// The npm folder holding the real MCP servers, installed once per machine (a registry that cannot
/// be reached means None, and the caller skips with a message).
pub fn npm_cache() -> Option<PathBuf> {
    static CACHE: OnceLock<Option<PathBuf>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = std::env::var_os("MCPD_TEST_NPM_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("npm-servers"));
            let bin = dir.join("node_modules/.bin/mcp-server-filesystem");
            if bin.exists() {
                return Some(dir);
            }
            std::fs::create_dir_all(&dir).ok()?;
            let out = Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    FS_SERVER,
                ])
                .current_dir(&dir)
                .output();
            match out {
                Ok(o) if o.status.success() && bin.exists() => Some(dir),
                Ok(o) => unreachable_registry(&format!(
                    "cannot install {FS_SERVER} from the npm registry: {}",
                    text(&o.stderr)
                )),
                Err(e) => unreachable_registry(&format!("npm is not available ({e})")),
            }
        })
        .clone()
}
