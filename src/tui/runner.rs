//! The imperative shell around the [`App`]: terminal events and background results become actions,
//! the app's effects are carried out, and the screen is redrawn. The loop never waits on data: it
//! polls input for a short while, then takes whatever the collector and workers have sent.

use std::io::IsTerminal;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::crossterm::event;

use crate::procs::StopOptions;
use crate::procs::snapshot::now_epoch;
use crate::world::Env;

use super::action::{self, Action};
use super::app::{App, Effect};
use super::collector::{self, Source};
use super::terminal::{self, Screen};
use super::{draw, effects, signals, tmux_switch};

/// How the dashboard runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Colours on (levels are words either way).
    pub color: bool,
    /// Time between refreshes.
    pub interval: Duration,
}

impl Options {
    /// Colour by the one policy (`output::use_color_on`; the dashboard always has a terminal);
    /// a refresh every 2 s.
    pub fn from_env() -> Options {
        Options {
            color: crate::output::use_color_on(crate::cli::ColorChoice::Auto, true),
            interval: Duration::from_secs(2),
        }
    }
}

/// How long one wait for input lasts: the clock and background results are looked at in between.
const POLL: Duration = Duration::from_millis(100);

/// Runs the dashboard until the user quits or a termination signal arrives; returns the exit code
/// (0, or 128 + the signal).
pub fn run(env: Env, opts: Options) -> anyhow::Result<i32> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("the dashboard needs a terminal; use `mcpd status` or `mcpd ps` in scripts");
    }
    let log = super::logging::dispatch(&env.paths, &env.config);
    let _log = tracing::dispatcher::set_default(&log);
    let (tx, rx) = mpsc::channel();
    signals::spawn_waiter(tx.clone()).context("cannot start the signal thread")?;
    let source = Source::new(env);
    let refresh = collector::spawn(source.clone(), tx.clone(), opts.interval, log.clone())
        .context("cannot start the data collector")?;
    let mut screen = Screen::enter().context("cannot set up the terminal")?;
    let size = screen
        .terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let mut app = App::new(opts.color, size, now_epoch());
    let shell = Shell {
        source,
        tx,
        refresh,
        log,
    };
    let result = event_loop(&mut screen, &mut app, &rx, &shell);
    drop(screen);
    tracing::info!("dashboard closed");
    result
}

/// What the loop needs to carry out effects.
struct Shell {
    source: Source,
    tx: Sender<Action>,
    refresh: Sender<()>,
    log: tracing::Dispatch,
}

fn event_loop(
    screen: &mut Screen,
    app: &mut App,
    rx: &Receiver<Action>,
    shell: &Shell,
) -> anyhow::Result<i32> {
    let mut dirty = true;
    let mut last_draw = Instant::now();
    loop {
        if terminal::panicked() {
            anyhow::bail!("the dashboard stopped after a panic (see above)");
        }
        if dirty || last_draw.elapsed() >= Duration::from_secs(1) {
            app.handle(Action::Tick(now_epoch()));
            screen
                .terminal
                .draw(|f| draw::draw(f, app))
                .context("cannot draw")?;
            last_draw = Instant::now();
            dirty = false;
        }
        let mut actions = Vec::new();
        if event::poll(POLL).context("cannot read the terminal")? {
            let ev = event::read().context("cannot read the terminal")?;
            actions.extend(action::from_event(&ev, app.input_mode()));
            // A redraw after any event: a resize needs one even when it maps to nothing new.
            dirty = true;
        }
        loop {
            match rx.try_recv() {
                Ok(a) => actions.push(a),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    anyhow::bail!("the dashboard's background threads are gone")
                }
            }
        }
        for a in actions {
            dirty = true;
            if let Some(effect) = app.handle(a) {
                carry_out(effect, screen, app, shell)?;
            }
            if let Some(code) = app.exit {
                return Ok(code);
            }
        }
    }
}

fn carry_out(
    effect: Effect,
    screen: &mut Screen,
    app: &mut App,
    shell: &Shell,
) -> anyhow::Result<()> {
    let grace = app
        .data
        .as_ref()
        .map_or(shell.source.config.daemon.stop_grace, |d| d.stop_grace);
    let spawned = match effect {
        Effect::Refresh => {
            // The collector only stops when the loop is gone; a failed send changes nothing.
            let _ = shell.refresh.send(());
            Ok(())
        }
        Effect::Stop { targets, what } => {
            tracing::info!(%what, "dashboard stop");
            effects::spawn_stop(
                targets,
                StopOptions::with_grace(grace),
                None,
                None,
                shell.tx.clone(),
                shell.log.clone(),
            )
        }
        Effect::Clean {
            targets,
            drops,
            reasons,
        } => {
            tracing::info!(
                trees = targets.len(),
                records = drops.len(),
                "dashboard clean"
            );
            let registry = shell.source.env().registry();
            let drops = match registry {
                Ok(r) => Some((r, drops)),
                Err(e) => {
                    app.say(format!("cannot open the records: {e:#}"), true);
                    None
                }
            };
            let journal = Some((
                shell.source.env().paths.state_dir.clone(),
                reasons.into_iter().collect(),
            ));
            effects::spawn_stop(
                targets,
                StopOptions::with_grace(grace),
                drops,
                journal,
                shell.tx.clone(),
                shell.log.clone(),
            )
        }
        Effect::Restart { server, session } => {
            use crate::daemon::protocol::Request;
            let paths = shell.source.env().paths.clone();
            let what = format!("restart {server}");
            let req = Request::Restart { server, session };
            daemon_request(paths, req, what, shell.tx.clone())
        }
        Effect::StopServer { server, session } => {
            use crate::daemon::protocol::Request;
            tracing::info!(%server, "dashboard stop through the daemon");
            let paths = shell.source.env().paths.clone();
            let what = format!("stop {server}");
            let req = Request::Stop { server, session };
            daemon_request(paths, req, what, shell.tx.clone())
        }
        Effect::StartDaemon => {
            let env = shell.source.env();
            let tx = shell.tx.clone();
            // The config the dashboard reads (a missing default stays the default).
            let g = crate::cli::GlobalArgs {
                config: env
                    .paths
                    .config_file
                    .exists()
                    .then(|| env.paths.config_file.clone()),
                tmux_socket: env.tmux.socket().map(std::path::Path::to_path_buf),
                verbose: 0,
                quiet: false,
                color: crate::cli::ColorChoice::Never,
                config_from_env: false,
            };
            std::thread::Builder::new()
                .name("mcpd-tui-daemon".into())
                .spawn(move || {
                    let outcome = match crate::commands::daemon::ensure_running(&g, &env.paths) {
                        Ok(pid) => action::Outcome {
                            text: format!("daemon running (pid {pid})"),
                            ok: true,
                        },
                        Err(e) => action::Outcome {
                            text: format!("cannot start the daemon: {e:#}"),
                            ok: false,
                        },
                    };
                    let _ = tx.send(Action::Done(outcome));
                })
                .map(|_| ())
        }
        Effect::Attach(name) => {
            let outcome = tmux_switch::attach(screen, &shell.source.tmux, &name)
                .context("cannot take the terminal back")?;
            if let Some(next) = app.handle(Action::Done(outcome)) {
                carry_out(next, screen, app, shell)?;
            }
            Ok(())
        }
    };
    if let Err(e) = spawned {
        app.handle(Action::Done(action::Outcome {
            text: format!("cannot start the work: {e}"),
            ok: false,
        }));
    }
    Ok(())
}

/// Sends `req` to the daemon on a thread; the answer comes back as [`Action::Done`].
fn daemon_request(
    paths: crate::paths::Paths,
    req: crate::daemon::protocol::Request,
    what: String,
    tx: Sender<Action>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("mcpd-tui-daemon-request".into())
        .spawn(move || {
            use crate::daemon::protocol::Response;
            let timeout = std::time::Duration::from_secs(30);
            let outcome = match crate::daemon::client::request(&paths, &req, timeout) {
                Ok(Some(Response::Ok { message })) => action::Outcome {
                    text: message,
                    ok: true,
                },
                Ok(Some(Response::Error { message })) => action::Outcome {
                    text: format!("{what}: {message}"),
                    ok: false,
                },
                Ok(_) => action::Outcome {
                    text: format!("{what}: the daemon did not answer"),
                    ok: false,
                },
                Err(e) => action::Outcome {
                    text: format!("{what}: {e}"),
                    ok: false,
                },
            };
            let _ = tx.send(Action::Done(outcome));
        })
        .map(|_| ())
}
