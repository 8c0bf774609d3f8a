//! The `mcpd` binary: parse the command line, run the command, map errors to exit codes.

use clap::Parser;

fn main() {
    quiet_on_broken_pipe();
    let mut cli = mcpd::cli::Cli::parse();
    cli.global.fill_from_env();
    let daemon = matches!(
        &cli.command,
        Some(mcpd::cli::Command::Daemon(mcpd::cli::DaemonCommand::Run))
    );
    init_tracing(cli.global.verbose, cli.global.quiet, daemon);
    if cli.global.quiet && mcpd::commands::quiet_silences(&cli.command) {
        silence_stdout();
    }
    let code = match mcpd::commands::run(cli) {
        Ok(code) => code,
        Err(e) if mcpd::output::is_broken_pipe(&e) => mcpd::output::BROKEN_PIPE_STATUS,
        Err(e) => {
            eprintln!("mcpd: error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

/// Rust ignores SIGPIPE, so when the reader of stdout goes away (`mcpd ps --json | head -1`)
/// `println!` panics. Such a panic is not a bug: end quietly with the status a shell gives a
/// process killed by SIGPIPE, as Unix tools do. Every other panic keeps the default report.
/// (The signal stays ignored: the daemon, bridges and socket clients need EPIPE as an error.)
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if mcpd::output::is_broken_pipe_message(msg) {
            std::process::exit(mcpd::output::BROKEN_PIPE_STATUS);
        }
        default(info);
    }));
}

/// `-q`: a command that reports what it did says nothing; errors still go to stderr.
fn silence_stdout() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdout(&null);
    }
}

/// Logs go to stderr: colour by the one policy (a terminal, no `NO_COLOR`); the daemon's lines carry timestamps and start at info.
fn init_tracing(verbose: u8, quiet: bool, daemon: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) if daemon => "info",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("mcpd={level}")));
    let ansi = mcpd::output::use_color_on(
        mcpd::cli::ColorChoice::Auto,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false);
    if daemon {
        builder.init();
    } else {
        builder.without_time().init();
    }
}
