//! The supervisor: one task owning every instance, driven by control requests, child exits (SIGCHLD),
//! restart timers and sweep ticks. Blocking work (process snapshots, tree stops) runs on the blocking
//! pool; the state itself is only touched here.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

use super::bridge::Ticket;
use super::contract::Contract;
use super::control::{self, Answer, Call, Incoming};
use super::history::{self, History};
use super::instance::{AfterExit, Instance, Key, State, after_exit};
use super::mux::{MuxEvent, ServerMsg};
use super::protocol::{DaemonStatus, Request, Response, ServerStatus};
use super::reaper::{Reaper, describe};
use super::tick::{self, TickInput, TickResult};
use super::{logs, spawn};
use crate::config::{Scope, Share, StartMode};
use crate::procs::{self, Identity, Snapshot, StopOptions, StopTarget, stop_trees};
use crate::state::{Origin, Registry};
use crate::world::Env;

mod dirs;
mod exits;
mod handlers;
mod lifecycle;
mod pool;
mod reload;
mod settle;
mod sweeps;

use lifecycle::tagged;
use pool::{failed_message, tell};

enum Event {
    RestartDue(Key, u64),
    SweepDone(Box<TickResult>),
    /// This instance's multiplexer: its last client left, or requests wait for a process.
    Mux(Key, MuxEvent),
    /// The tmux watcher saw a session or the server go: reconcile now.
    TmuxLost,
    /// A start's answer is due (settle.rs).
    Settled(Box<settle::Settle>),
}

struct Sup {
    env: Env,
    registry: Registry,
    instances: BTreeMap<Key, Instance>,
    started: Instant,
    sweeps: u64,
    last_sweep_ms: u64,
    sweeping: bool,
    /// A reason to sweep came during a sweep: sweep again when it ends.
    sweep_again: bool,
    sweep_waiters: Vec<oneshot::Sender<Answer>>,
    history: History,
    history_path: PathBuf,
    reaper: Reaper,
    /// `MCPD_STATE` on everything this daemon spawns.
    state_tag: String,
    events: mpsc::UnboundedSender<Event>,
    shutdown: bool,
    /// Connection ids handed to bridges.
    next_conn: u64,
    /// Environment tags kept across sweeps (procs::envcache).
    env_cache: std::sync::Arc<std::sync::Mutex<procs::EnvCache>>,
    /// Tree RSS of each instance pid at the last sweep: `status` answers from it without reading /proc.
    last_rss: std::collections::HashMap<i32, u64>,
    /// The config file as last loaded (reload.rs); the CLI compares it with the file.
    config_stamp: Option<super::stamp::ConfigStamp>,
}

pub async fn main(
    env: Env,
    listener: UnixListener,
    keeper: &mut super::LockKeeper,
    stamp: super::stamp::ConfigStamp,
) -> anyhow::Result<()> {
    let registry = env.registry()?;
    let state_dir = env.paths.state_dir.clone();
    let d = &env.config.daemon;
    let capacity = History::capacity_for(d.history_window, d.sweep_interval);
    let history_path = state_dir.join("history.jsonl");
    let history = match History::load(&history_path, capacity, 4 << 20) {
        Ok((h, skipped)) => {
            if skipped > 0 {
                tracing::warn!(
                    "{}: skipped {skipped} unreadable line(s)",
                    history_path.display()
                );
            }
            h
        }
        Err(e) => {
            tracing::warn!("{}: {e}; starting a new history", history_path.display());
            History::new(capacity, 4 << 20)
        }
    };
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<Incoming>(64);
    let mut serving = tokio::spawn(control::serve(listener, ctl_tx.clone()));
    let mut sup = Sup {
        registry,
        instances: BTreeMap::new(),
        started: Instant::now(),
        sweeps: 0,
        last_sweep_ms: 0,
        sweeping: false,
        sweep_again: false,
        sweep_waiters: Vec::new(),
        history,
        history_path,
        reaper: Reaper::default(),
        state_tag: state_dir.display().to_string(),
        events: ev_tx,
        shutdown: false,
        next_conn: 0,
        env_cache: Default::default(),
        last_rss: Default::default(),
        config_stamp: Some(stamp),
        env,
    };
    sup.readopt().await;
    sup.start_eager_globals();
    let (lost_tx, mut lost_rx) = mpsc::unbounded_channel::<()>();
    tokio::spawn(super::watch::run(sup.env.tmux.clone(), lost_tx));

    let mut sigchld = signal(SignalKind::child())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut reap_tick = tokio::time::interval(Duration::from_secs(1));
    let mut sweep_tick = tokio::time::interval(sup.env.config.daemon.sweep_interval);
    sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut interval = sup.env.config.daemon.sweep_interval;
    while !sup.shutdown {
        if sup.env.config.daemon.sweep_interval != interval {
            // A reload changed it.
            interval = sup.env.config.daemon.sweep_interval;
            sweep_tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
            sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        tokio::select! {
            Some((call, tx)) = ctl_rx.recv() => match call {
                // A deleted state directory must not fail the request (or start a second daemon).
                Call::Socket(req) => match sup.check_dirs(keeper) {
                    dirs::Dirs::Lost => {
                        let _ = tx.send(err(dirs::GAVE_WAY).into());
                    }
                    d => {
                        if d == dirs::Dirs::Rebind {
                            serving = dirs::rebind(&sup, serving, &ctl_tx);
                        }
                        sup.request(req, tx).await
                    }
                },
                Call::Join(j) => {
                    let (ticket, contract) = *j;
                    let _ = tx.send(sup.join(ticket, contract).await.unwrap_or_else(|e| Answer::Response(err(e))));
                }
            },
            Some(ev) = ev_rx.recv() => sup.event(ev).await,
            Some(()) = lost_rx.recv() => sup.event(Event::TmuxLost).await,
            _ = sigchld.recv() => sup.reap().await,
            _ = reap_tick.tick() => {
                if sup.check_dirs(keeper) == dirs::Dirs::Rebind {
                    serving = dirs::rebind(&sup, serving, &ctl_tx);
                }
                sup.reap().await
            }
            _ = sighup.recv() => {
                if let Err(e) = sup.reload("SIGHUP").await {
                    tracing::warn!("SIGHUP: {e}");
                }
            }
            _ = sweep_tick.tick() => sup.start_sweep(),
            _ = sigterm.recv() => { tracing::info!("SIGTERM: shutting down"); sup.shutdown = true },
            _ = sigint.recv() => { tracing::info!("SIGINT: shutting down"); sup.shutdown = true },
        }
    }
    sup.stop_everything().await;
    // After a takeover the state directory is the other daemon's.
    if !keeper.lost
        && let Err(e) = sup.history.save(&sup.history_path)
    {
        tracing::warn!("cannot save history: {e}");
    }
    tracing::info!("daemon stopped");
    Ok(())
}

fn ok(message: impl Into<String>) -> Response {
    Response::Ok {
        message: message.into(),
    }
}

fn err(message: impl Into<String>) -> Response {
    Response::Error {
        message: message.into(),
    }
}

impl Sup {
    fn log_path(&self, key: &Key) -> PathBuf {
        logs::log_path(&self.env.paths.state_dir, &key.label())
    }
}
