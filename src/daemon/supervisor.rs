//! The supervisor: one task owning every instance, driven by control requests, child exits (SIGCHLD),
//! restart timers, sweep ticks and the reports of its own work. It only decides (`machine.rs`, pure):
//! every OS action (spawn, tree stop, tmux query, registry write, history save, log read) runs as
//! its own task or on the blocking pool and reports back as an [`Event`]. Nothing in its loop waits
//! for a stop, so a control request is answered while a TERM-ignoring server is being stopped.

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
use super::instance::{ExitKind, Instance, Key, Next, State};
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
pub mod machine;
mod pool;
mod reload;
mod settle;
mod sweeps;
mod work;

use lifecycle::tagged;
pub use machine::failed_message;
use machine::{Input, Work};
use pool::tell;
use work::{LivePids, Until, Waiter};

enum Event {
    RestartDue(Key, u64),
    SweepDone(Box<TickResult>),
    /// This instance's multiplexer: its last client left, or requests wait for a process.
    Mux(Key, MuxEvent),
    /// The tmux watcher saw a session or the server go: reconcile now.
    TmuxLost,
    /// A start's settle window is over: answer it (settle.rs).
    Settled(Box<settle::Settle>),
    /// A spawn reported back (its process with its stdio, or why it failed).
    Spawned {
        key: Key,
        token: u64,
        result: Result<spawn::Spawned, String>,
    },
    /// A stop reported back: the tree is gone (`pid`: its leader, kept a zombie until now).
    StopDone {
        key: Key,
        token: u64,
        pid: i32,
        session_gone: bool,
        last_log: Vec<String>,
    },
    /// The shutdown's one stop of every tree is over.
    AllStopped,
    /// A session-opened hook, once tmux has said which session it is.
    SessionOpened {
        session: String,
        dir: Option<PathBuf>,
        id: Option<u32>,
        tx: oneshot::Sender<Answer>,
    },
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
    /// Requests answered when an instance has started or stopped.
    waiters: Vec<Waiter>,
    /// Shutting down: the stops of every instance, gathered into one stop of every tree.
    batch: Option<Vec<work::StopJob>>,
    /// The directory a start was asked with (a session's, from its hook or a sweep).
    start_dirs: std::collections::HashMap<Key, PathBuf>,
    /// Exits of processes we spawned, reaped before their spawn reported (see `on_exit`).
    early_exits: std::collections::HashMap<i32, (ExitKind, String)>,
    /// Pids of live server processes, shared with spawn and stop tasks (see [`work::LivePids`]).
    live: LivePids,
    history: History,
    history_path: PathBuf,
    reaper: Reaper,
    /// `MCPD_STATE` on everything this daemon spawns.
    state_tag: String,
    events: mpsc::UnboundedSender<Event>,
    shutdown: bool,
    /// The shutdown's one stop of every tree has reported back.
    all_stopped: bool,
    /// Connection ids handed to bridges.
    next_conn: u64,
    /// Environment tags kept across sweeps (procs::envcache).
    env_cache: std::sync::Arc<std::sync::Mutex<procs::EnvCache>>,
    /// The last sweep's process table (environment tags of ours loaded): stops start from it.
    last_snap: Option<std::sync::Arc<Snapshot>>,
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
        waiters: Vec::new(),
        batch: None,
        early_exits: Default::default(),
        start_dirs: Default::default(),
        live: LivePids::default(),
        history,
        history_path,
        reaper: Reaper::from_env(),
        state_tag: state_dir.display().to_string(),
        events: ev_tx,
        shutdown: false,
        all_stopped: false,
        next_conn: 0,
        env_cache: Default::default(),
        last_snap: Default::default(),
        last_rss: Default::default(),
        config_stamp: Some(stamp),
        env,
    };
    tracing::info!(
        "reaping children with {}",
        match sup.reaper.mode() {
            super::reaper::Mode::ProcFs => "/proc/self/task/*/children",
            super::reaper::Mode::Wait => "waitpid and waitid peeks (no /proc)",
        }
    );
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
    // Every arm only decides and hands work out: none of them awaits a stop or a blocking call.
    while !sup.finished() {
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
                    sup.join_request(ticket, contract, tx);
                }
            },
            Some(ev) = ev_rx.recv() => sup.event(ev),
            Some(()) = lost_rx.recv() => sup.event(Event::TmuxLost),
            _ = sigchld.recv() => sup.reap(),
            _ = reap_tick.tick() => {
                if sup.check_dirs(keeper) == dirs::Dirs::Rebind {
                    serving = dirs::rebind(&sup, serving, &ctl_tx);
                }
                sup.reap()
            }
            _ = sighup.recv(), if !sup.shutdown => {
                // Nobody waits for the answer: its stops and starts report as usual.
                if let Err(e) = sup.reload("SIGHUP") {
                    tracing::warn!("SIGHUP: {e}");
                }
            }
            _ = sweep_tick.tick(), if !sup.shutdown => sup.start_sweep(),
            _ = sigterm.recv() => { tracing::info!("SIGTERM: shutting down"); sup.begin_shutdown() },
            _ = sigint.recv() => { tracing::info!("SIGINT: shutting down"); sup.begin_shutdown() },
        }
    }
    sup.reap();
    sup.reaper.release_all();
    sup.answer_leftover_waiters();
    // The loop is over: nothing waits on this save any more. After a takeover the state directory
    // is the other daemon's.
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
