//! The daemon: the long-running supervisor of global and per-session servers (one per user and state
//! directory). It is a child subreaper (its servers' escaped grandchildren stay its descendants and are
//! reaped), sweeps every `sweep_interval` (reconcile sessions, adopt, stop orphans, enforce `max_rss`,
//! sample history), answers a control socket, and re-adopts its servers after a crash.

pub mod bridge;
pub mod client;
pub mod contract;
pub mod control;
pub mod heap;
pub mod history;
pub mod instance;
pub mod logs;
pub mod mux;
pub mod protocol;
pub mod reaper;
pub mod router;
pub mod spawn;
pub mod stamp;
pub mod supervisor;
pub mod tick;
pub mod watch;

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};

use crate::paths::Paths;
use crate::world::Env;

/// The daemon's lock: held for its lifetime; the file names its pid. It lives in the state directory,
/// not the runtime one: one daemon per state directory, even when the runtime directory changes
/// (logind removes `/run/user/UID` at the last logout; cron and `su` have no `XDG_RUNTIME_DIR`).
/// The file is never deleted (a deleted lock file lets a second daemon lock a new one while the first
/// still holds the old).
pub fn lock_path(paths: &Paths) -> std::path::PathBuf {
    paths.state_dir.join("daemon.lock")
}

/// The daemon's hold on its lock file, and the file's identity, so the daemon can tell when its state
/// directory was deleted (or the file replaced) under it.
pub struct LockKeeper {
    _lock: Flock<File>,
    dev: u64,
    ino: u64,
    /// Set when another daemon took the state directory over: this one must not touch its socket.
    pub lost: bool,
}

impl LockKeeper {
    /// Takes the lock (creating the state directory and the file if needed). Err names the daemon
    /// that holds it.
    pub fn take(paths: &Paths) -> anyhow::Result<LockKeeper> {
        paths.ensure_state_dir()?;
        let path = lock_path(paths);
        // The usual dance: the file may be deleted or replaced between open and flock, so the lock
        // counts only when the path still names the locked file afterwards.
        for _ in 0..10 {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
                Ok(mut lock) => {
                    let held = lock.metadata()?;
                    let named = std::fs::metadata(&path).ok();
                    if named.is_none_or(|m| m.dev() != held.dev() || m.ino() != held.ino()) {
                        continue;
                    }
                    lock.set_len(0)?;
                    lock.rewind()?;
                    write!(lock, "{}", std::process::id())?;
                    return Ok(LockKeeper {
                        _lock: lock,
                        dev: held.dev(),
                        ino: held.ino(),
                        lost: false,
                    });
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
        anyhow::bail!(
            "{}: replaced again and again while locking it",
            path.display()
        )
    }

    /// True while the lock path still names the file this daemon holds.
    pub fn still_held(&self, paths: &Paths) -> bool {
        std::fs::metadata(lock_path(paths))
            .is_ok_and(|m| m.dev() == self.dev && m.ino() == self.ino)
    }
}

/// Runs the daemon in the foreground until SIGTERM, SIGINT or `mcpd daemon stop`. Exits 0 after a
/// graceful shutdown.
pub fn run(mut env: Env) -> anyhow::Result<i32> {
    let paths = env.paths.clone();
    paths.ensure_state_dir()?;
    paths.ensure_runtime_dir()?;
    heap::limit_arenas();
    let mut keeper = LockKeeper::take(&paths)?;
    // The config as this daemon runs it, with the stamp of the very bytes parsed (the CLI compares
    // the file with it to notice edits).
    let (config, stamp) = stamp::load(&paths.config_file)?;
    env.config = config;
    #[cfg(target_os = "linux")]
    nix::sys::prctl::set_child_subreaper(true).context("cannot become a child subreaper")?;
    let sock = client::socket_path(&paths);
    // We hold the lock: any socket file left is a crashed daemon's.
    let _ = std::fs::remove_file(&sock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let listener = bind(&sock)?;
        tracing::info!(
            "mcpd daemon {} (protocol {}) listening on {}",
            protocol::own_version(),
            protocol::PROTOCOL_VERSION,
            sock.display()
        );
        supervisor::main(env, listener, &mut keeper, stamp).await
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    // A daemon that lost its state directory to another must leave that one's socket alone. The
    // lock file stays (see `lock_path`); the lock goes with the process.
    if !keeper.lost {
        let _ = std::fs::remove_file(&sock);
    }
    drop(keeper);
    result.map(|()| 0)
}

/// Listens on the control socket (mode 0600).
pub fn bind(sock: &std::path::Path) -> anyhow::Result<tokio::net::UnixListener> {
    let listener = tokio::net::UnixListener::bind(sock)
        .with_context(|| format!("cannot listen on {}", sock.display()))?;
    std::fs::set_permissions(sock, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}
