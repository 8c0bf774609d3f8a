//! Data collection off the UI thread: a thread gathers the world (config, records, process table,
//! tmux), turns it into [`Data`] and sends it to the event loop, every interval or as soon as it is
//! asked. The UI never waits for it; when the UI is gone, the thread ends at its next wait.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::config::Config;
use crate::paths::Paths;
use crate::tmux::Tmux;
use crate::world::{Env, World};

use super::action::Action;
use super::data::Data;

/// What gathering needs, kept to build a fresh [`Env`] each time.
#[derive(Clone, Debug)]
pub struct Source {
    pub paths: Paths,
    pub config: Config,
    pub tmux: Tmux,
}

impl Source {
    /// Keeps what `env` holds.
    pub fn new(env: Env) -> Source {
        Source {
            paths: env.paths,
            config: env.config,
            tmux: env.tmux,
        }
    }

    /// A fresh [`Env`] (gathering consumes one).
    pub fn env(&self) -> Env {
        Env {
            paths: self.paths.clone(),
            config: self.config.clone(),
            tmux: self.tmux.clone(),
        }
    }

    /// One gathering.
    pub fn collect(&self) -> anyhow::Result<Data> {
        let w = World::gather(self.env())?;
        Ok(Data::from_world(&w))
    }
}

/// Starts the collector. It sends a snapshot at once, then one per `interval`, and one more whenever
/// something arrives on the returned sender (or when it is dropped: then it stops).
pub fn spawn(
    source: Source,
    tx: Sender<Action>,
    interval: Duration,
    log: tracing::Dispatch,
) -> std::io::Result<Sender<()>> {
    let (refresh_tx, refresh_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("mcpd-tui-collect".into())
        .spawn(move || {
            let _log = tracing::dispatcher::set_default(&log);
            run(&source, &tx, &refresh_rx, interval);
        })?;
    Ok(refresh_tx)
}

fn run(source: &Source, tx: &Sender<Action>, refresh: &Receiver<()>, interval: Duration) {
    loop {
        let action = match source.collect() {
            Ok(d) => Action::Data(Box::new(d)),
            Err(e) => {
                tracing::warn!("dashboard refresh failed: {e:#}");
                Action::DataError(format!("{e:#}"))
            }
        };
        if tx.send(action).is_err() {
            return;
        }
        match refresh.recv_timeout(interval) {
            Ok(()) => {
                // Several requests while gathering make one refresh.
                while refresh.try_recv().is_ok() {}
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::daemon::protocol::{DaemonStatus, Response, ServerStatus, decode_request};

    /// A daemon that answers every status request with one server, and counts the requests.
    fn fake_daemon(socket: &std::path::Path) -> Arc<AtomicUsize> {
        let listener = UnixListener::bind(socket).unwrap();
        let asked = Arc::new(AtomicUsize::new(0));
        let count = asked.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut line = Vec::new();
                BufReader::new(&conn).read_until(b'\n', &mut line).unwrap();
                decode_request(line.trim_ascii_end()).unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                let status = DaemonStatus {
                    pid: 4242,
                    servers: vec![ServerStatus {
                        name: "fs".into(),
                        scope: "global".into(),
                        state: "running".into(),
                        ..ServerStatus::default()
                    }],
                    ..DaemonStatus::default()
                };
                let mut answer =
                    serde_json::to_string(&Response::Status(Box::new(status))).unwrap();
                answer.push('\n');
                conn.write_all(answer.as_bytes()).unwrap();
            }
        });
        asked
    }

    #[test]
    fn one_refresh_asks_the_daemon_once() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_file: dir.path().join("config.toml"),
            state_dir: dir.path().join("state"),
            runtime_dir: dir.path().join("run"),
        };
        std::fs::create_dir_all(&paths.runtime_dir).unwrap();
        let asked = fake_daemon(&crate::daemon::client::socket_path(&paths));
        let source = Source {
            config: Config::load(&paths.config_file).unwrap(),
            paths,
            // A socket no tmux server listens on: never the user's tmux.
            tmux: Tmux::new(Some(dir.path().join("no-tmux"))),
        };
        let data = source.collect().unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert_eq!(data.report.daemon.pid, Some(4242));
        assert_eq!(data.report.servers[0].name, "fs");
        source.collect().unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 2);
    }
}
