//! Starting a configured server: in its own session and process group (`setsid`), with
//! `MCPD_OWNER=global:NAME|session:NAME` in its environment (and no `TMUX`, so it is never mistaken for
//! a pane's process), its cwd and env from the config, stdin held by the daemon, stdout and stderr piped
//! to its log. It is recorded before it can run a single instruction of its own: a tiny `sh` waits on a
//! pipe until the record is written, then `exec`s the server (same pid, same start time).

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::config::ServerConfig;
use crate::procs::identity::current_start_ticks;
use crate::state::{Origin, Owner, Record, Registry};

/// A started server.
#[derive(Debug)]
pub struct Spawned {
    pub pid: i32,
    pub start_ticks: u64,
    pub stdin: std::process::ChildStdin,
    pub stdout: std::process::ChildStdout,
    pub stderr: std::process::ChildStderr,
}

/// `~` and `~/...` to the home directory.
pub fn expand_tilde(p: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (p, home) {
        ("~", Some(h)) => h,
        (s, Some(h)) if s.starts_with("~/") => h.join(&s[2..]),
        (s, _) => PathBuf::from(s),
    }
}

/// What to start, and how to tag and record it.
pub struct SpawnSpec<'a> {
    pub name: &'a str,
    pub cfg: &'a ServerConfig,
    pub owner: &'a Owner,
    /// Used when the config names no cwd (a session's start directory).
    pub default_cwd: Option<&'a Path>,
    pub session_id: Option<u32>,
    /// `MCPD_STATE`: the daemon's state directory.
    pub state_tag: &'a str,
    /// For session servers: the tmux server's socket.
    pub tmux_socket: Option<String>,
}

/// Starts the server `spec` describes and records it in `registry` before it runs.
pub fn spawn(spec: SpawnSpec, registry: &Registry) -> anyhow::Result<Spawned> {
    let SpawnSpec {
        name,
        cfg,
        owner,
        default_cwd,
        session_id,
        state_tag,
        tmux_socket,
    } = spec;
    let (gate_r, mut gate_w) = {
        let (r, w) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context("cannot create a pipe")?;
        (r, std::fs::File::from(w))
    };
    let mut cmd = Command::new("/bin/sh");
    // `read` waits for the daemon's go-ahead on fd 3; EOF (the daemon died first) aborts the start.
    cmd.args([
        "-c",
        "read -r _ <&3 || exit 125; exec 3<&-; exec \"$@\"",
        "mcpd-launch",
    ]);
    cmd.arg(&cfg.command)
        .args(cfg.args.iter().map(|a| expand_tilde(a)));
    cmd.env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .envs(&cfg.env)
        .env("MCPD_OWNER", owner.to_string())
        .env("MCPD_STATE", state_tag)
        .env("MCPD_SERVER", name);
    let cwd = cfg
        .cwd
        .as_deref()
        .map(expand_tilde)
        .or_else(|| default_cwd.map(Path::to_path_buf));
    if let Some(dir) = &cwd {
        if !dir.is_dir() {
            anyhow::bail!("server {name}: cwd {} is not a folder", dir.display());
        }
        cmd.current_dir(dir);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let gate_fd = gate_r.as_raw_fd();
    // SAFETY: only async-signal-safe calls (setsid, dup2) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            if nix::libc::dup2(gate_fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start server {name} ({})", cfg.command))?;
    drop::<OwnedFd>(gate_r);
    let pid = child.id() as i32;
    let start_ticks = current_start_ticks(pid).unwrap_or(0);
    let command = std::iter::once(cfg.command.clone())
        .chain(cfg.args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let record = Record {
        pid,
        start_ticks,
        pgid: pid,
        owner: owner.clone(),
        origin: Origin::Spawned,
        server: Some(name.to_string()),
        command,
        recorded_at: crate::procs::snapshot::now_epoch() as u64,
        session_id,
        tmux_socket,
    };
    if let Err(e) = registry.add(vec![record]) {
        // Unrecorded, it must not run: closing the gate makes the launcher exit.
        drop(gate_w);
        let _ = child.kill();
        return Err(e).context(format!("cannot record server {name}"));
    }
    gate_w
        .write_all(b"go\n")
        .context("cannot release the server")?;
    drop(gate_w);
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        anyhow::bail!("server {name}: stdio pipes missing");
    };
    Ok(Spawned {
        pid,
        start_ticks,
        stdin,
        stdout,
        stderr,
    })
}
