//! `mcpd completions SHELL`: prints a completion script generated from the clap definitions.

use std::io::Write;

/// Prints the script; a closed stdout is returned as an error (main ends quietly on it).
pub fn run(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "mcpd", &mut buf);
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(0)
}
