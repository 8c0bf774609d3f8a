//! `mcpd completions SHELL` and `mcpd man`: the completion scripts and man pages generated from
//! the clap definitions (the same as the committed `completions/` and `man/`).

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

/// Prints `mcpd.1`, or writes every page into `dir`.
pub fn man(dir: Option<&std::path::Path>) -> anyhow::Result<i32> {
    use anyhow::Context;
    let pages = crate::generate::man_files()?;
    let Some(dir) = dir else {
        let main = pages
            .iter()
            .find(|(p, _)| p.ends_with("mcpd.1"))
            .context("no mcpd.1 generated")?;
        let mut out = std::io::stdout().lock();
        out.write_all(&main.1)?;
        out.flush()?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (path, bytes) in &pages {
        let name = path.file_name().context("a man page without a name")?;
        let target = dir.join(name);
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    println!(
        "installed {} man pages in {} (`man mcpd` finds them when {} is on MANPATH)",
        pages.len(),
        dir.display(),
        dir.parent().unwrap_or(dir).display()
    );
    Ok(0)
}
