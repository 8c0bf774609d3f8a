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

/// Expands `${VAR}` and `${VAR:-default}` (the syntax agents' configs use, kept as written by
/// `mcpd import`) from `lookup`; an unset `${VAR}` becomes empty. `$$` and a lone `$` stay as they are.
pub fn expand_vars(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            match (lookup(name).filter(|v| !v.is_empty()), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {}
            }
        } else {
            out.push_str(&rest[i..i + 2 + end + 1]);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
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
    let x = |s: &str| expand_vars(s, &env_lookup);
    cmd.arg(x(&cfg.command))
        .args(cfg.args.iter().map(|a| expand_tilde(&x(a))));
    cmd.env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .envs(cfg.env.iter().map(|(k, v)| (k, x(v))))
        .env("MCPD_OWNER", owner.to_string())
        .env("MCPD_STATE", state_tag)
        .env("MCPD_SERVER", name);
    let cwd = cfg
        .cwd
        .as_deref()
        .map(|c| expand_tilde(&x(c)))
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
    // SAFETY: only async-signal-safe calls (setsid, dup2, fcntl) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            // dup2 onto itself keeps close-on-exec: when the gate already is fd 3, clear the flag
            // instead, or the launcher would start without its gate and exit at once.
            let r = if gate_fd == 3 {
                nix::libc::fcntl(3, nix::libc::F_SETFD, 0)
            } else {
                nix::libc::dup2(gate_fd, 3)
            };
            if r < 0 {
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
        tmux_server_pid: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_agents_configs() {
        let env = |n: &str| match n {
            "HOME" => Some("/home/u".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        assert_eq!(expand_vars("${HOME}/x", &env), "/home/u/x");
        assert_eq!(expand_vars("${NOPE:-fallback}", &env), "fallback");
        assert_eq!(expand_vars("${EMPTY:-d}", &env), "d");
        assert_eq!(expand_vars("a${NOPE}b", &env), "ab");
        assert_eq!(
            expand_vars("$HOME ${bad name} ${unclosed", &env),
            "$HOME ${bad name} ${unclosed"
        );
        assert_eq!(expand_vars("${HOME:-x}${HOME}", &env), "/home/u/home/u");
        assert_eq!(expand_tilde("plain"), PathBuf::from("plain"));
    }
}
