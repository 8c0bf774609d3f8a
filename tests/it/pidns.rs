//! A private PID namespace for one test (`unshare --pid --fork --mount-proc`, as root): orphans land
//! on the test's own PID 1, so `clean`, sweeps and session closes can see and stop nothing outside it.
//! Commands run inside through `nsenter`; the test reads the namespace's own /proc through
//! `/proc/INIT/root/proc`, so every pid a test handles is a namespace pid. Dropping the namespace
//! kills its PID 1 and with it, by the kernel, everything inside.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use mcpd::procs::Identity;

use crate::support::*;

/// PID 1 by default: a shell that reaps every orphan (`wait` reaps any child) and lives as long as
/// its stdin, a pipe from this test, stays open.
const REAPER: &str = "exec 3<&0; cat <&3 >/dev/null & wait $!";

/// One process of the namespace, as its own /proc shows it.
#[derive(Clone, Debug)]
pub struct NsProc {
    pub pid: i32,
    pub ppid: i32,
    pub cmdline: Vec<String>,
}

impl NsProc {
    pub fn command(&self) -> String {
        self.cmdline.join(" ")
    }
}

pub struct Ns {
    unshare: Child,
    /// The namespace's PID 1, as this test's namespace sees it.
    init: Identity,
    /// The sandbox whose dirs and tmux socket every command inside gets (dropped after the namespace).
    pub sb: Sandbox,
}

impl Ns {
    /// A namespace whose PID 1 is a reaping shell.
    pub fn new(sb: Sandbox) -> Ns {
        Ns::with_init(sb, &["sh", "-c", REAPER], None)
    }

    /// A namespace whose PID 1 runs `argv` (in `dir`), as an agent in a container does.
    pub fn with_init(sb: Sandbox, argv: &[&str], dir: Option<&Path>) -> Ns {
        let mut c = Command::new("unshare");
        c.args(["--pid", "--fork", "--mount-proc", "--kill-child"])
            .args(argv)
            .envs(sb.envs())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(d) = dir {
            c.current_dir(d);
        }
        // If this test's thread dies without dropping us, unshare dies, and --kill-child ends PID 1.
        unsafe {
            c.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)
            });
        }
        let unshare = c.spawn().expect("unshare (util-linux) runs");
        let upid = unshare.id() as i32;
        let mut init = None;
        let up = wait_for(Duration::from_secs(10), || {
            let kids = std::fs::read_to_string(format!("/proc/{upid}/task/{upid}/children"))
                .unwrap_or_default();
            init = kids.split_whitespace().next().and_then(|p| p.parse().ok());
            init.is_some_and(|p: i32| {
                // Up once the namespace's own /proc is mounted: until then its /proc is this
                // test's, and a command run inside would see (and could stop) the whole machine.
                let ns = |path: String| std::fs::read_link(path).ok();
                let theirs = ns(format!("/proc/{p}/ns/pid"));
                theirs.is_some()
                    && theirs != ns("/proc/self/ns/pid".into())
                    && ns(format!("/proc/{p}/root/proc/1/ns/pid")) == theirs
            })
        });
        assert!(up, "the PID namespace did not start (are we root?)");
        let pid = init.unwrap();
        let start_ticks = mcpd::procs::identity::current_start_ticks(pid).unwrap();
        Ns {
            unshare,
            init: Identity { pid, start_ticks },
            sb,
        }
    }

    /// The namespace's /proc.
    pub fn proc_dir(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root/proc", self.init.pid))
    }

    /// `program` run inside the namespace, in the sandbox's dir, with the sandbox's environment.
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("nsenter");
        c.arg("-t")
            .arg(self.init.pid.to_string())
            .args(["--pid", "--mount"])
            .arg(format!("--wd={}", self.sb.path().display()))
            .arg("--")
            .arg(program)
            .envs(self.sb.envs())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    pub fn mcpd(&self) -> Command {
        self.cmd(env!("CARGO_BIN_EXE_mcpd"))
    }

    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        self.mcpd().args(args).output().unwrap()
    }

    /// Runs mcpd inside and asserts it exits 0; returns stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        expect_ok(args, self.run(args))
    }

    #[track_caller]
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        expect_json(args, &self.ok(args))
    }

    /// tmux on the sandbox's private socket, inside the namespace.
    pub fn tmux(&self) -> Command {
        let mut c = self.cmd("tmux");
        c.arg("-S").arg(&self.sb.socket);
        c
    }

    #[track_caller]
    pub fn tmux_ok(&self, args: &[&str]) -> String {
        let out = self.tmux().args(args).output().unwrap();
        assert!(out.status.success(), "tmux {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Starts the private tmux server (no config file) with one detached session, in `dir`.
    pub fn start_tmux(&self, name: &str, dir: &Path) {
        let out = self
            .tmux()
            .args([
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
            ])
            .arg("-c")
            .arg(dir)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux: {}", text(&out.stderr));
    }

    /// Runs `sh -c script` inside; asserts success; returns stdout.
    #[track_caller]
    pub fn sh(&self, script: &str) -> String {
        let out = self.cmd("sh").arg("-c").arg(script).output().unwrap();
        assert!(
            out.status.success(),
            "sh -c {script:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Starts `script` in the background of a shell that exits at once, so that it is reparented to
    /// the namespace's PID 1 (as `nohup CMD &` in a closed terminal leaves it); returns its pid.
    #[track_caller]
    pub fn orphan(&self, dir: &Path, script: &str) -> i32 {
        let out = self.sh(&format!(
            "cd {} || exit 1; {script} </dev/null >/dev/null 2>&1 & echo $!",
            q(dir.display().to_string())
        ));
        out.trim().parse().unwrap()
    }

    /// Every live process of the namespace.
    pub fn procs(&self) -> Vec<NsProc> {
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir(self.proc_dir()) else {
            return out;
        };
        for e in dir.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Some((state, ppid)) = self.stat(pid) else {
                continue;
            };
            if state == 'Z' {
                continue;
            }
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmdline: Vec<String> = cmdline
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if !cmdline.is_empty() {
                out.push(NsProc { pid, ppid, cmdline });
            }
        }
        out.sort_by_key(|p| p.pid);
        out
    }

    fn stat(&self, pid: i32) -> Option<(char, i32)> {
        let stat =
            std::fs::read_to_string(self.proc_dir().join(pid.to_string()).join("stat")).ok()?;
        let rest = stat.rsplit_once(')')?.1;
        let mut f = rest.split_whitespace();
        let state = f.next()?.chars().next()?;
        let ppid = f.next()?.parse().ok()?;
        Some((state, ppid))
    }

    /// Pids of the namespace's live processes whose command line satisfies `f`.
    pub fn find(&self, f: impl Fn(&NsProc) -> bool) -> Vec<i32> {
        self.procs()
            .into_iter()
            .filter(|p| f(p))
            .map(|p| p.pid)
            .collect()
    }

    pub fn parent(&self, pid: i32) -> Option<i32> {
        self.stat(pid).map(|(_, ppid)| ppid)
    }

    /// `pid` and its live descendants.
    pub fn tree(&self, pid: i32) -> Vec<i32> {
        let all = self.procs();
        let mut out = vec![pid];
        let mut i = 0;
        while i < out.len() {
            let p = out[i];
            out.extend(all.iter().filter(|c| c.ppid == p).map(|c| c.pid));
            i += 1;
        }
        out.retain(|p| self.alive(*p));
        out
    }

    /// True while `pid` runs (not gone, not a zombie) in the namespace.
    pub fn alive(&self, pid: i32) -> bool {
        self.stat(pid).is_some_and(|(s, _)| s != 'Z')
    }

    /// True when `pid` ignores SIGHUP (a pane process that will outlive its pane's close).
    pub fn ignores_hup(&self, pid: i32) -> bool {
        let status = std::fs::read_to_string(self.proc_dir().join(pid.to_string()).join("status"))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("SigIgn:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .is_some_and(|m| m & 1 == 1)
    }

    /// Sends `sig` to namespace pid `pid`, from inside.
    pub fn kill(&self, pid: i32, sig: &str) {
        self.sh(&format!("kill -{sig} {pid}"));
    }

    /// Waits for an agent's ready file; returns the pid in it (its server).
    #[track_caller]
    pub fn ready(&self, file: &Path, what: &str) -> i32 {
        assert!(
            wait_for(Duration::from_secs(60), || file.exists()),
            "{what} did not get ready; processes: {:#?}",
            self.procs()
        );
        std::fs::read_to_string(file)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// `mcpd events --json`.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.json(&["events", "--json"]).as_array().unwrap().clone()
    }

    /// The lines of the sandbox's hook log.
    pub fn hook_log(&self) -> String {
        std::fs::read_to_string(self.sb.state.join("hook.log")).unwrap_or_default()
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        // SIGKILL to the namespace's PID 1: the kernel kills everything else inside.
        if let Ok(pin) = mcpd::procs::identity::Pinned::open(self.init) {
            pin.signal(nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.unshare.wait();
        // The daemon's lock names a namespace pid: meaningless outside, and never to be signalled
        // there by the sandbox's cleanup.
        let _ = std::fs::remove_file(self.sb.state.join("daemon.lock"));
    }
}

/// The npm cache with the real filesystem server, and the shell words that run it through `npx`.
pub fn npx_fs(served: &Path) -> Vec<String> {
    vec![
        "npx".into(),
        "--offline".into(),
        "@modelcontextprotocol/server-filesystem".into(),
        served.display().to_string(),
    ]
}

/// A fixture under tests/fixtures/ownership/.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ownership")
        .join(name)
}

/// The real python interpreter (not a version manager's shim script, which execs it later: a
/// process must be what it will stay when a test picks it out).
pub fn python() -> String {
    static PY: OnceLock<String> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        text(&out.stdout).trim().to_string()
    })
    .clone()
}

/// Single-quotes `s` for sh.
pub fn q(s: impl AsRef<str>) -> String {
    format!("'{}'", s.as_ref().replace('\'', r"'\''"))
}
