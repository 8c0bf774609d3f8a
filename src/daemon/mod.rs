//! The daemon: the long-running supervisor of global and per-session servers (one per user and state
//! directory). It is a child subreaper (its servers' escaped grandchildren stay its descendants and are
//! reaped), sweeps every `sweep_interval` (reconcile sessions, adopt, stop orphans, enforce `max_rss`,
//! sample history), answers a control socket, and re-adopts its servers after a crash.

pub mod bridge;
pub mod client;
pub mod contract;
pub mod control;
pub mod history;
pub mod instance;
pub mod logs;
pub mod mux;
pub mod protocol;
pub mod reaper;
pub mod router;
pub mod spawn;
pub mod supervisor;
pub mod tick;
pub mod watch;

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::PermissionsExt;

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};

use crate::paths::Paths;
use crate::world::Env;

/// The daemon's lock: held for its lifetime; the file names its pid. It lives in the state directory,
/// not the runtime one: one daemon per state directory, even when the runtime directory changes
/// (logind removes `/run/user/UID` at the last logout; cron and `su` have no `XDG_RUNTIME_DIR`).
pub fn lock_path(paths: &Paths) -> std::path::PathBuf {
    paths.state_dir.join("daemon.lock")
}

fn acquire_lock(paths: &Paths) -> anyhow::Result<Flock<File>> {
    let path = lock_path(paths);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(mut lock) => {
            lock.set_len(0)?;
            lock.rewind()?;
            write!(lock, "{}", std::process::id())?;
            Ok(lock)
        }
        Err((mut f, _)) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            anyhow::bail!(
                "the daemon is already running (pid {}; lock {})",
                pid.trim(),
                path.display()
            )
        }
    }
}

/// Runs the daemon in the foreground until SIGTERM, SIGINT or `mcpd daemon stop`. Exits 0 after a
/// graceful shutdown.
pub fn run(env: Env) -> anyhow::Result<i32> {
    let paths = env.paths.clone();
    paths.ensure_state_dir()?;
    paths.ensure_runtime_dir()?;
    let lock = acquire_lock(&paths)?;
    #[cfg(target_os = "linux")]
    nix::sys::prctl::set_child_subreaper(true).context("cannot become a child subreaper")?;
    let sock = client::socket_path(&paths);
    // We hold the lock: any socket file left is a crashed daemon's.
    let _ = std::fs::remove_file(&sock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let listener = tokio::net::UnixListener::bind(&sock)
            .with_context(|| format!("cannot listen on {}", sock.display()))?;
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600))?;
        tracing::info!(
            "mcpd daemon {} listening on {}",
            env!("CARGO_PKG_VERSION"),
            sock.display()
        );
        supervisor::main(env, listener).await
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    let _ = std::fs::remove_file(&sock);
    let _ = std::fs::remove_file(lock_path(&paths));
    drop(lock);
    result.map(|()| 0)
}
