//! One file per subcommand. Each takes its parsed arguments and returns the process exit code.

pub mod clean;
pub mod completions;
pub mod config;
pub mod connect;
pub mod daemon;
pub mod events;
pub mod explain;
pub mod handshake;
pub mod hook;
pub mod import;
pub mod link;
pub mod ps;
pub mod reconcile;
pub mod reload;
pub mod server;
pub mod status;
pub mod tm;
pub mod tui;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::output::{Style, use_color};
use crate::world::Env;

/// True for the commands `-q` silences: those whose output reports what they did (the data
/// commands, `status`, `ps`, `--json`, `--dry-run`, `completions`, print what was asked for).
pub fn quiet_silences(command: &Option<Command>) -> bool {
    use crate::cli::{DaemonCommand, HookCommand};
    match command {
        Some(Command::Clean(a)) => !a.json && !a.dry_run,
        Some(Command::Status(a)) => a.check && !a.json,
        Some(Command::Tm(a)) => a.detach,
        Some(Command::Hook(HookCommand::Install | HookCommand::Uninstall)) => true,
        Some(Command::Daemon(
            DaemonCommand::Start | DaemonCommand::Stop | DaemonCommand::Restart,
        )) => true,
        Some(Command::Start(_) | Command::Stop(_) | Command::Restart(_)) => true,
        Some(Command::Import(a)) => !a.json && !a.dry_run,
        Some(Command::Link(a) | Command::Unlink(a)) => !a.json && !a.dry_run,
        Some(Command::Init { stdout, .. }) => !stdout,
        _ => false,
    }
}

/// A config file named with `--config` must exist (a typo must not silently mean "defaults"),
/// except for the commands that create it. `MCPD_CONFIG`, like the default path, only says
/// where the config goes: it may be missing.
fn check_config_given(g: &GlobalArgs, command: &Option<Command>) -> anyhow::Result<()> {
    let creates = matches!(
        command,
        Some(
            Command::Init { .. }
                | Command::Import(_)
                | Command::Completions { .. }
                | Command::Man { .. }
                | Command::Config(crate::cli::ConfigCommand::Path { .. })
        )
    );
    match &g.config {
        Some(path) if !creates && !g.config_from_env && !path.exists() => anyhow::bail!(
            "{}: no such config file (given with --config). Create it with \
             `mcpd init --config {}`, fix the path, or leave the option out to use the default \
             (~/.config/mcpd/config.toml, which may be missing)",
            path.display(),
            path.display()
        ),
        _ => Ok(()),
    }
}

/// `--session NAME` must name a live tmux session: a bridge or a server for a session that
/// does not exist would run with nothing to stop it.
fn check_session(g: &GlobalArgs, a: &crate::cli::ServerArgs) -> anyhow::Result<()> {
    let Some(name) = &a.session else {
        return Ok(());
    };
    // Only a session server runs per session (the daemon explains --session on others).
    let per_session = env(g)?
        .config
        .servers
        .get(&a.server)
        .is_some_and(|s| s.scope == crate::config::Scope::Session);
    if !per_session {
        return Ok(());
    }
    let tmux = crate::tmux::Tmux::new(g.tmux_socket.clone());
    let view = tmux
        .view()
        .map_err(|e| anyhow::anyhow!("--session {name}: {e}"))?;
    let names: Vec<String> = view
        .map(|v| v.sessions.into_iter().map(|s| s.name).collect())
        .unwrap_or_default();
    if !names.iter().any(|n| n == name) {
        anyhow::bail!(
            "no tmux session named {name:?} on {} ({}): give an existing session, or leave \
             --session out (a bridge in a tmux pane uses its own session)",
            tmux.describe(),
            if names.is_empty() {
                "no sessions".to_owned()
            } else {
                format!("sessions: {}", names.join(", "))
            }
        );
    }
    Ok(())
}

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    check_config_given(&cli.global, &cli.command)?;
    let g = cli.global;
    // A bare `mcpd` is the dashboard on a terminal, else the status report.
    let dashboard = cli.command.is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::io::IsTerminal::is_terminal(&std::io::stdin());
    if notices(&cli.command, dashboard) {
        // Another mcpd version running, or a config edited since the daemon loaded it.
        handshake::check(&crate::paths::Paths::resolve(g.config.clone())?, false)?;
    }
    let style = Style {
        color: use_color(g.color),
    };
    match cli.command {
        None if dashboard => tui::run_with_color(env(&g)?, style.color),
        None => status::run(
            &g,
            &crate::cli::StatusArgs {
                json: false,
                check: false,
            },
            style,
        ),
        Some(Command::Tui) => tui::run_with_color(env(&g)?, style.color),
        Some(Command::Status(a)) => status::run(&g, &a, style),
        Some(Command::Ps(a)) => ps::run(env(&g)?, &a, style),
        Some(Command::Events(a)) => events::run(env(&g)?, &a, style),
        Some(Command::Clean(a)) => clean::run(env(&g)?, &a, style),
        Some(Command::Tm(a)) => tm::run(&g, &a),
        Some(Command::Daemon(d)) => daemon::run(&g, d),
        Some(Command::Start(a)) => {
            check_session(&g, &a)?;
            server::run(&g, server::Verb::Start, a)
        }
        Some(Command::Stop(a)) => server::run(&g, server::Verb::Stop, a),
        Some(Command::Restart(a)) => {
            check_session(&g, &a)?;
            server::run(&g, server::Verb::Restart, a)
        }
        Some(Command::Connect(a)) => {
            check_session(&g, &a)?;
            connect::run(&g, a)
        }
        Some(Command::Hook(h)) => hook::run(&g, h),
        Some(Command::Config(c)) => config::run(&g, c),
        Some(Command::Import(a)) => import::run(env(&g)?, &a),
        Some(Command::Link(a)) => link::run_link(env(&g)?, &a),
        Some(Command::Unlink(a)) => link::run_unlink(env(&g)?, &a),
        Some(Command::Init { force, stdout }) => config::init(&g, force, stdout),
        Some(Command::Completions { shell }) => completions::run(shell),
        Some(Command::Man { install }) => completions::man(install.as_deref()),
    }
}

/// The commands that show or use the daemon's servers without acting on them (those that act check
/// for themselves, reloading an edited config first): they note a daemon of another version and a
/// config it has not loaded. Not `ps` and the other fast paths, nor what scripts and hooks run.
/// `status` (and a bare `mcpd` that is not the `dashboard`) says the same, asking the daemon while
/// it reads /proc (status.rs).
fn notices(command: &Option<Command>, dashboard: bool) -> bool {
    use crate::cli::DaemonCommand;
    (command.is_none() && dashboard)
        || matches!(
            command,
            Some(Command::Tui) | Some(Command::Tm(_)) | Some(Command::Daemon(DaemonCommand::Start))
        )
}

pub(crate) fn env(g: &GlobalArgs) -> anyhow::Result<Env> {
    Env::load(g.config.clone(), g.tmux_socket.clone())
}
