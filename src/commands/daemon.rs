//! `mcpd daemon run|start|stop|restart|reload|status`.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::handshake;
use crate::cli::{DaemonCommand, GlobalArgs};
use crate::daemon::client;
use crate::daemon::protocol::{PROTOCOL_VERSION, Request};
use crate::paths::Paths;
use crate::units::human_duration;

/// The daemon's pid, version and uptime, or None when none answers.
pub fn ping(paths: &Paths) -> Option<(i32, String, u64)> {
    super::handshake::hello(paths, Duration::from_secs(3))
        .map(|h| (h.pid, h.version, h.uptime_secs))
}

/// Starts the daemon in the background unless it runs; returns its pid.
pub fn ensure_running(g: &GlobalArgs, paths: &Paths) -> anyhow::Result<i32> {
    if let Some((pid, ..)) = ping(paths) {
        return Ok(pid);
    }
    if let Some(pid) = client::lock_holder(paths) {
        // Running but busy (stopping a server takes up to stop_grace): wait for it.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some((pid, ..)) = ping(paths) {
                return Ok(pid);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        anyhow::bail!(
            "the daemon (pid {pid}) holds its lock but has not answered for 30 s; see its log"
        );
    }
    let state = paths.ensure_state_dir()?;
    let log_path = state.join("daemon.log");
    if std::fs::metadata(&log_path).is_ok_and(|m| m.len() > 4 << 20) {
        let _ = std::fs::rename(&log_path, state.join("daemon.log.1"));
    }
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let mut cmd = Command::new(std::env::current_exe()?);
    if let Some(c) = &g.config {
        cmd.arg("--config").arg(c);
    }
    if let Some(s) = &g.tmux_socket {
        cmd.arg("--tmux-socket").arg(s);
    }
    cmd.args(["daemon", "run"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // The daemon must outlive this terminal and its tmux pane.
    cmd.env_remove("TMUX").env_remove("TMUX_PANE");
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn().context("cannot start the daemon")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some((pid, ..)) = ping(paths) {
            return Ok(pid);
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Another daemon took the lock first (two commands at once, or one recreating a
            // deleted state directory): wait for that one.
            if let Some(pid) = client::lock_holder(paths) {
                let deadline = Instant::now() + Duration::from_secs(30);
                while Instant::now() < deadline {
                    if let Some((pid, ..)) = ping(paths) {
                        return Ok(pid);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                anyhow::bail!(
                    "the daemon (pid {pid}) holds its lock but does not answer; see its log"
                );
            }
            let tail = crate::daemon::logs::tail(&log_path, 5).join("\n");
            anyhow::bail!(
                "the daemon exited at start ({status}); {}:\n{tail}",
                log_path.display()
            );
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "the daemon did not answer within 10 s; see {}",
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn run(g: &GlobalArgs, d: DaemonCommand) -> anyhow::Result<i32> {
    if let DaemonCommand::Reload { json } = d {
        // The daemon validates the file itself: a bad config gets its located error from there.
        return super::reload::run(&Paths::resolve(g.config.clone())?, json);
    }
    let env = super::env(g)?;
    match d {
        DaemonCommand::Run => crate::daemon::run(env),
        DaemonCommand::Reload { .. } => unreachable!("handled above"),
        DaemonCommand::Restart => {
            let was = stop(&env)?;
            let pid = ensure_running(g, &env.paths)?;
            match was {
                Some(old) => println!("daemon restarted (pid {old} -> {pid})"),
                None => println!("daemon started (pid {pid}); it was not running"),
            }
            Ok(0)
        }
        DaemonCommand::Start => {
            if let Some((pid, ..)) = ping(&env.paths) {
                println!("the daemon is already running (pid {pid})");
                return Ok(0);
            }
            let pid = ensure_running(g, &env.paths)?;
            println!(
                "daemon started (pid {pid}); log: {}",
                env.paths.state_dir.join("daemon.log").display()
            );
            Ok(0)
        }
        DaemonCommand::Stop => {
            match stop(&env)? {
                Some(pid) => println!("daemon stopped (pid {pid})"),
                None => println!("the daemon is not running"),
            }
            Ok(0)
        }
        DaemonCommand::Status { json } => {
            match handshake::hello(&env.paths, Duration::from_secs(3)) {
                Some(h) => {
                    let note = handshake::compare(&h, handshake::mine(), PROTOCOL_VERSION)
                        .unwrap_or_else(Some);
                    let changed = handshake::config_changed(&h, &env.paths.config_file);
                    let (pid, version, uptime) = (h.pid, &h.version, h.uptime_secs);
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"running": true, "pid": pid, "version": version,
                            "uptime_seconds": uptime, "protocol": h.protocol,
                            "cli_version": handshake::mine(), "cli_protocol": PROTOCOL_VERSION,
                            "version_note": note, "config_changed": changed})
                        );
                    } else {
                        println!(
                            "running: pid {pid}, up {}, version {version}",
                            human_duration(Duration::from_secs(uptime))
                        );
                        if let Some(n) = note {
                            println!("note: {n}");
                        }
                        if changed {
                            println!(
                                "note: {} changed since the daemon loaded it; `mcpd daemon reload` applies it",
                                env.paths.config_file.display()
                            );
                        }
                    }
                    Ok(0)
                }
                None if client::lock_holder(&env.paths).is_some() => {
                    // It holds its lock but is busy (stopping a server takes up to stop_grace).
                    let pid = client::lock_holder(&env.paths).unwrap_or(0);
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"running": true, "pid": pid, "busy": true})
                        );
                    } else {
                        println!("running: pid {pid} (busy: not answering right now)");
                    }
                    Ok(0)
                }
                None => {
                    if json {
                        println!("{}", serde_json::json!({"running": false}));
                    } else {
                        println!("not running (`mcpd daemon start`)");
                    }
                    Ok(1)
                }
            }
        }
    }
}

/// Stops the daemon and waits for its process to go; the pid it had, None when none ran. A daemon
/// of another protocol refuses the request: it gets SIGTERM, which every daemon handles the same way.
fn stop(env: &crate::world::Env) -> anyhow::Result<Option<i32>> {
    let Some(h) = handshake::hello(&env.paths, Duration::from_secs(3)) else {
        return Ok(None);
    };
    let pid = h.pid;
    // The daemon may close the connection as it exits, before its answer is written: what
    // counts is that its process goes. A failed request is reported only if it stays.
    let asked = if h.protocol == PROTOCOL_VERSION {
        client::request(&env.paths, &Request::Shutdown, Duration::from_secs(5)).map(|_| ())
    } else {
        // Only the pid that holds this state directory's lock, never a pid from the socket alone.
        if client::lock_holder(&env.paths) == Some(pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        Ok(())
    };
    // Servers get stop_grace each; wait for the process to go.
    let deadline = Instant::now() + env.config.daemon.stop_grace * 4 + Duration::from_secs(10);
    while crate::procs::identity::current_start_ticks(pid).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if crate::procs::identity::current_start_ticks(pid).is_some() {
        if let Err(e) = asked {
            anyhow::bail!("the daemon (pid {pid}) is still running: {e}");
        }
        anyhow::bail!("the daemon (pid {pid}) did not exit in time");
    }
    Ok(Some(pid))
}
