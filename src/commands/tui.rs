//! `mcpd tui` (and bare `mcpd` on a terminal): the dashboard. The dashboard itself lives in
//! [`crate::tui`]; this is its command-line entry.

use crate::tui::Options;
use crate::world::Env;

/// Runs the dashboard with colour by `output::use_color_on`; returns the exit code.
pub fn run(env: Env) -> anyhow::Result<i32> {
    crate::tui::run(env, Options::from_env())
}

/// Runs the dashboard with colour decided by the caller (`--color`, see `output::use_color`).
pub fn run_with_color(env: Env, color: bool) -> anyhow::Result<i32> {
    crate::tui::run(
        env,
        Options {
            color,
            ..Options::from_env()
        },
    )
}
