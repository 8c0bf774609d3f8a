//! `mcpd hook install|uninstall|status|session-closed|session-renamed`.
//!
//! The hooks live at a dedicated index of tmux's global hook arrays, so the user's own hooks stay. The
//! session-closed hook passes the name through `#{q:hook_session_name}` (shell-quoted by tmux: hostile
//! names stay data) and never uses `#{session_name}`, which in that hook is a different, live session.
//! The hook command names mcpd by absolute path and pins the socket, so it reaches the right server.
//!
//! The hook itself only starts a detached worker and returns: tmux may kill its jobs when the server
//! exits (closing the last session), and the stop can take up to `stop_grace`.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::cli::{GlobalArgs, HookCommand};
use crate::procs::Snapshot;
use crate::session::{self, ClosedSession};
use crate::state::Owner;
use crate::tmux::Tmux;
use crate::tmux::TmuxView;

/// Set by the hook for the worker it starts: the request is queued already, the worker only serves
/// the queue (run by hand, `--foreground` queues its own request).
const QUEUED_VAR: &str = "MCPD_CLOSE_QUEUED";

/// The index of mcpd's entries in tmux's hook arrays.
pub const HOOK_INDEX: u32 = 424;

/// Shell-quotes a word for the hook command with backslashes (no quote characters, so the command can
/// sit inside tmux's single quotes). `#` would be expanded by tmux and `'` would end the quoting: both
/// are refused, as are control characters.
fn shell_word(s: &str, what: &str) -> anyhow::Result<String> {
    if s.contains('#') || s.contains('\'') || s.chars().any(char::is_control) {
        anyhow::bail!(
            "{what} {s:?} contains `#`, `'` or a control character, which cannot be passed safely through a tmux hook"
        );
    }
    Ok(crate::output::shell_quote(s))
}

/// The mcpd invocation the hooks run: environment overrides, the binary, `--config`, `--tmux-socket`.
fn invocation(g: &GlobalArgs, socket: &Path) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find mcpd's own path for the hook")?;
    let mut parts = Vec::new();
    for var in ["MCPD_STATE_DIR", "MCPD_RUNTIME_DIR"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            parts.push(format!("{var}={}", shell_word(&v.to_string_lossy(), var)?));
        }
    }
    parts.push(shell_word(&exe.to_string_lossy(), "mcpd's path")?);
    if let Some(c) = &g.config {
        let c = std::path::absolute(c).unwrap_or_else(|_| c.clone());
        parts.push("--config".into());
        parts.push(shell_word(&c.to_string_lossy(), "config path")?);
    }
    parts.push("--tmux-socket".into());
    parts.push(shell_word(&socket.to_string_lossy(), "tmux socket")?);
    Ok(parts.join(" "))
}

/// The two hook commands, as tmux commands.
pub fn hook_commands(g: &GlobalArgs, socket: &Path) -> anyhow::Result<[(String, String); 2]> {
    let me = invocation(g, socket)?;
    Ok([
        (
            "session-closed".to_string(),
            format!(
                "run-shell '{me} hook session-closed --server-pid #{{pid}} --id #{{q:hook_session}} -- #{{q:hook_session_name}}'"
            ),
        ),
        (
            "session-renamed".to_string(),
            format!(
                "run-shell '{me} hook session-renamed -- #{{q:hook_session}} #{{q:hook_session_name}}'"
            ),
        ),
    ])
}

fn server_socket(tmux: &Tmux) -> anyhow::Result<std::path::PathBuf> {
    let out = tmux.run(&["display-message", "-p", "#{socket_path}"])?;
    Ok(out.trim_end_matches('\n').into())
}

/// Installs (or refreshes) the hooks on a running server.
pub fn install(g: &GlobalArgs, tmux: &Tmux) -> anyhow::Result<()> {
    let socket = server_socket(tmux)?;
    for (hook, cmd) in hook_commands(g, &socket)? {
        tmux.run(&[
            OsString::from("set-hook"),
            "-g".into(),
            format!("{hook}[{HOOK_INDEX}]").into(),
            cmd.into(),
        ])?;
    }
    Ok(())
}

fn uninstall(tmux: &Tmux) -> anyhow::Result<()> {
    for hook in ["session-closed", "session-renamed"] {
        tmux.run(&[
            OsString::from("set-hook"),
            "-gu".into(),
            format!("{hook}[{HOOK_INDEX}]").into(),
        ])?;
    }
    Ok(())
}

/// mcpd's installed hook lines, as tmux shows them.
pub fn installed(tmux: &Tmux) -> anyhow::Result<Vec<String>> {
    let out = tmux.run(&["show-hooks", "-g"])?;
    Ok(out
        .lines()
        .filter(|l| l.contains(&format!("[{HOOK_INDEX}]")))
        .map(str::to_string)
        .collect())
}

pub fn run(g: &GlobalArgs, h: HookCommand) -> anyhow::Result<i32> {
    let env = super::env(g)?;
    match h {
        HookCommand::Install => {
            install(g, &env.tmux)?;
            println!(
                "installed mcpd's session-closed and session-renamed hooks on {}",
                env.tmux.describe()
            );
            Ok(0)
        }
        HookCommand::Uninstall => {
            uninstall(&env.tmux)?;
            println!("removed mcpd's hooks from {}", env.tmux.describe());
            Ok(0)
        }
        HookCommand::Status => {
            let lines = installed(&env.tmux)?;
            if lines.is_empty() {
                println!(
                    "mcpd's hooks are not installed on {} (`mcpd hook install`)",
                    env.tmux.describe()
                );
                Ok(1)
            } else {
                for l in lines {
                    println!("{l}");
                }
                Ok(0)
            }
        }
        HookCommand::SessionClosed {
            name,
            foreground,
            id,
            server_pid,
        } => {
            let id = match id.as_deref() {
                None | Some("") => None,
                Some(s) => Some(s.trim_start_matches('$').parse::<u32>().map_err(|_| {
                    anyhow::anyhow!("--id {s:?}: expected a tmux session id like $3")
                })?),
            };
            if foreground {
                let registry = env.registry()?;
                let closed = ClosedSession {
                    name: name.clone(),
                    id,
                    server_pid,
                    socket: Some(env.tmux.socket_path()),
                };
                let state_tag = env.paths.state_dir.display().to_string();
                let cache = env.paths.env_cache_file();
                // Closes that arrive together are served together (crate::gather); the last pass
                // is kept for the reconcile below.
                let mut last_seen: Option<(Snapshot, Option<TmuxView>)> = None;
                let serve = |batch: &[ClosedSession]| {
                    let c = session::close_many_seen(
                        &registry,
                        &env.config,
                        batch,
                        &env.tmux,
                        &state_tag,
                        cache.as_deref(),
                    )?;
                    last_seen = Some((c.snapshot, c.view));
                    Ok(c.outcome)
                };
                // Started by the hook, which queued the request already (spawn_worker).
                let served = if std::env::var_os(QUEUED_VAR).is_some() {
                    crate::gather::serve_queue(&env.paths.state_dir, None, serve)?
                } else {
                    crate::gather::submit_and_serve(&env.paths.state_dir, &closed, serve)?
                };
                let (sessions, out) = match served {
                    crate::gather::Served::ByMe(sessions, out) => (sessions, out),
                    crate::gather::Served::ByOther => {
                        println!("session-closed {name:?}: closed by a concurrent worker");
                        return Ok(0);
                    }
                };
                // The daemon's session servers are the daemon's to stop: it sweeps now, sees the
                // session gone and stops them, instead of at its next interval (30 s by default).
                poke_daemon(&env);
                // The hook is only a hint (tmux loses some): reconcile every other session that is
                // gone too, judged by evidence like a sweep.
                let reconciling = crate::gather::try_reconcile_lock(&env.paths.state_dir);
                let reconciled = match last_seen {
                    // Another close is queued: whoever serves it reconciles after it, on a newer pass.
                    _ if crate::gather::queued(&env.paths.state_dir) => 0,
                    // Another worker is reconciling: it finds what lost hooks left; a session lost
                    // since it began is left to the next close, sweep or `clean`.
                    _ if reconciling.is_none() => 0,
                    Some((snapshot, view)) => crate::commands::reconcile::reconcile_after_close(
                        env,
                        session::Closing {
                            outcome: out.clone(),
                            snapshot,
                            view,
                            vanished: 0,
                        },
                    )?,
                    None => crate::commands::reconcile::reconcile_sessions(env)?,
                };
                let survivors = out.survivors().count();
                // This worker's own session first.
                let mut mine_seen = !sessions.iter().any(|s| s.name == name);
                let mut names: Vec<String> = if mine_seen {
                    Vec::new()
                } else {
                    vec![format!("{name:?}")]
                };
                for s in &sessions {
                    if s.name == name && !mine_seen {
                        mine_seen = true;
                    } else {
                        names.push(format!("{:?}", s.name));
                    }
                }
                println!(
                    "session-closed {}: stopped {} process(es) (and {reconciled} of other closed sessions), {} freed, in {} ms{}",
                    names.join(", "),
                    out.stopped.len() - survivors,
                    crate::units::human_bytes(out.freed_bytes()),
                    out.elapsed_ms,
                    if survivors > 0 {
                        format!("; {survivors} survived")
                    } else {
                        String::new()
                    }
                );
                // One worker serves every close queued meanwhile: each of them still starts a line,
                // so `grep 'session-closed "NAME"' hook.log` finds every close.
                for other in names.iter().skip(1) {
                    println!(
                        "session-closed {other}: served with {} (the line above)",
                        names[0]
                    );
                }
                return Ok(if survivors == 0 { 0 } else { 1 });
            }
            let closed = ClosedSession {
                name: name.clone(),
                id,
                server_pid,
                socket: Some(env.tmux.socket_path()),
            };
            // The request is queued here; a worker is started only when none is serving the
            // queue now (the one serving takes this request too): 50 sessions closed at once
            // start a few workers, not 50.
            let queued = env
                .paths
                .ensure_state_dir()
                .map_err(anyhow::Error::from)
                .and_then(|state| crate::gather::submit_for_worker(state, &closed));
            match queued {
                Ok(false) => {}
                Ok(true) => spawn_worker(g, &env, &name, id, server_pid, true)?,
                Err(e) => {
                    tracing::warn!("cannot queue the close of {name:?}: {e}");
                    spawn_worker(g, &env, &name, id, server_pid, false)?;
                }
            }
            Ok(0)
        }
        HookCommand::SessionRenamed { id, name } => {
            let id: u32 = id
                .trim_start_matches('$')
                .parse()
                .map_err(|_| anyhow::anyhow!("{id:?}: expected a tmux session id like $3"))?;
            let registry = env.registry()?;
            let (records, _) = registry.load_all();
            let to = Owner::Session(name);
            // Session ids restart at $0 on every tmux server: only this server's records move.
            let socket = env.tmux.socket_path();
            let moving: Vec<crate::state::Record> = records
                .into_iter()
                .filter(|r| r.session_id == Some(id) && r.owner != to)
                .filter(|r| r.tmux_socket.as_deref().is_none_or(|s| s == socket))
                .collect();
            for w in registry.move_records(&moving, &to)? {
                eprintln!("warning: {w}");
            }
            Ok(0)
        }
    }
}

/// Starts `mcpd hook session-closed --foreground ...` in its own session, logging to
/// `<state dir>/hook.log`, and returns at once.
fn spawn_worker(
    g: &GlobalArgs,
    env: &crate::world::Env,
    name: &str,
    id: Option<u32>,
    server_pid: Option<i32>,
    queued: bool,
) -> anyhow::Result<()> {
    let state = env.paths.ensure_state_dir()?;
    let log_path = state.join("hook.log");
    rotate_if_large(&log_path, 1 << 20);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    if let Some(c) = &g.config {
        cmd.arg("--config").arg(c);
    }
    if let Some(s) = env.tmux.socket() {
        cmd.arg("--tmux-socket").arg(s);
    }
    cmd.args(["hook", "session-closed", "--foreground"]);
    if let Some(id) = id {
        cmd.arg("--id").arg(format!("${id}"));
    }
    if let Some(p) = server_pid {
        cmd.arg("--server-pid").arg(p.to_string());
    }
    cmd.arg("--").arg(name);
    if queued {
        cmd.env(QUEUED_VAR, "1");
    } else {
        cmd.env_remove(QUEUED_VAR);
    }
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe; it detaches the worker from tmux's job so tmux exiting
    // (the last session closed) cannot kill it half-way through the stop.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
    cmd.spawn()
        .context("cannot start the session-closed worker")?;
    Ok(())
}

fn rotate_if_large(path: &Path, max: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > max) {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
}

/// Asks a running daemon for a sweep when the config has session servers (it stops those of the
/// closed sessions). The answer comes when the sweep is done; a daemon that is not running, or
/// does not answer in time, is left to its own interval.
fn poke_daemon(env: &crate::world::Env) {
    let has_session_servers = env
        .config
        .servers
        .values()
        .any(|c| c.scope == crate::config::Scope::Session);
    if !has_session_servers || crate::daemon::client::lock_holder(&env.paths).is_none() {
        return;
    }
    let req = crate::daemon::protocol::Request::Sweep;
    if let Err(e) =
        crate::daemon::client::request(&env.paths, &req, std::time::Duration::from_secs(5))
    {
        tracing::debug!("asking the daemon for a sweep: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("/usr/bin/mcpd", "x").unwrap(), "/usr/bin/mcpd");
        assert_eq!(shell_word("/a b/$x", "x").unwrap(), "/a\\ b/\\$x");
        assert!(shell_word("/a#b", "x").is_err());
        assert!(shell_word("/a'b", "x").is_err());
        assert!(shell_word("/a\nb", "x").is_err());
    }
}
