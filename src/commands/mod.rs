//! One file per subcommand. Each takes its parsed arguments and returns the process exit code.

pub mod clean;
pub mod completions;
pub mod config;
pub mod connect;
pub mod daemon;
pub mod hook;
pub mod import;
pub mod link;
pub mod ps;
pub mod server;
pub mod status;
pub mod tm;
pub mod tui;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::output::{Style, use_color};
use crate::world::Env;

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let g = cli.global;
    let style = Style {
        color: use_color(g.color),
    };
    match cli.command {
        None if std::io::IsTerminal::is_terminal(&std::io::stdout())
            && std::io::IsTerminal::is_terminal(&std::io::stdin()) =>
        {
            tui::run_with_color(env(&g)?, style.color)
        }
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
        Some(Command::Clean(a)) => clean::run(env(&g)?, &a, style),
        Some(Command::Tm(a)) => tm::run(&g, &a),
        Some(Command::Daemon(d)) => daemon::run(&g, d),
        Some(Command::Start(a)) => server::run(&g, server::Verb::Start, a),
        Some(Command::Stop(a)) => server::run(&g, server::Verb::Stop, a),
        Some(Command::Restart(a)) => server::run(&g, server::Verb::Restart, a),
        Some(Command::Connect(a)) => connect::run(&g, a),
        Some(Command::Hook(h)) => hook::run(&g, h),
        Some(Command::Config(c)) => config::run(&g, c),
        Some(Command::Import(a)) => import::run(env(&g)?, &a),
        Some(Command::Link(a)) => link::run_link(env(&g)?, &a),
        Some(Command::Unlink(a)) => link::run_unlink(env(&g)?, &a),
        Some(Command::Init { force, stdout }) => config::init(&g, force, stdout),
        Some(Command::Completions { shell }) => completions::run(shell),
    }
}

pub(crate) fn env(g: &GlobalArgs) -> anyhow::Result<Env> {
    Env::load(g.config.clone(), g.tmux_socket.clone())
}
