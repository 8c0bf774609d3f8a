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
