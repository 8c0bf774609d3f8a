//! Where the dashboard's logs go: never to the screen it draws on. Its threads log to
//! `<state dir>/tui.log` (rotated once past `log_max_size`), or nowhere when that cannot be opened.

use std::fs::OpenOptions;
use std::sync::Mutex;

use crate::config::Config;
use crate::paths::Paths;

/// A subscriber for the dashboard's threads (installed per thread, over the global stderr one).
pub fn dispatch(paths: &Paths, config: &Config) -> tracing::Dispatch {
    let Ok(dir) = paths.ensure_state_dir() else {
        return tracing::Dispatch::none();
    };
    let path = dir.join("tui.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > config.daemon.log_max_bytes) {
        let _ = std::fs::rename(&path, path.with_extension("log.1"));
    }
    let Ok(file) = OpenOptions::new().create(true).append(true).open(&path) else {
        return tracing::Dispatch::none();
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("mcpd=info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .finish();
    tracing::Dispatch::new(subscriber)
}
