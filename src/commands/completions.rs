//! `mcpd completions SHELL`: prints a completion script generated from the clap definitions.

pub fn run(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    let mut cmd = crate::cli::command();
    clap_complete::generate(shell, &mut cmd, "mcpd", &mut std::io::stdout());
    Ok(0)
}
