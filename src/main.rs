//! The `mcpd` binary: parse the command line, run the command, map errors to exit codes.

use clap::Parser;

fn main() {
    let cli = mcpd::cli::Cli::parse();
    init_tracing(cli.global.verbose, cli.global.quiet);
    let code = match mcpd::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mcpd: error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("mcpd={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .init();
}
