//! The files generated from the clap definitions and committed: shell completions (`completions/`) and
//! man pages (`man/`: `mcpd.1` and one page per subcommand, `mcpd-clean.1`, `mcpd-hook-install.1`...).
//! A test compares them with what this build generates.

use std::path::PathBuf;

use clap_complete::Shell;

/// Every generated file: its path relative to the repository root, and its contents.
pub fn files() -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    for (shell, name) in [
        (Shell::Bash, "mcpd.bash"),
        (Shell::Zsh, "_mcpd"),
        (Shell::Fish, "mcpd.fish"),
        (Shell::Elvish, "mcpd.elv"),
        (Shell::PowerShell, "_mcpd.ps1"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut crate::cli::command(), "mcpd", &mut buf);
        out.push((PathBuf::from("completions").join(name), buf));
    }
    let mut cmd = crate::cli::command();
    cmd.build();
    man_pages(&cmd, "mcpd", &mut out)?;
    Ok(out)
}

fn man_pages(
    cmd: &clap::Command,
    name: &str,
    out: &mut Vec<(PathBuf, Vec<u8>)>,
) -> anyhow::Result<()> {
    let page = cmd.clone().name(name.to_string());
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(page);
    man.render(&mut buf)?;
    if name == "mcpd" {
        buf.extend_from_slice(EXIT_STATUS.as_bytes());
    }
    out.push((PathBuf::from("man").join(format!("{name}.1")), buf));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        man_pages(sub, &format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(())
}

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success; for \fBstatus \-\-check\fR, every metric is normal.
.TP
\fB1\fR
An error (the message names the file, line or value at fault); for \fBstatus \-\-check\fR, a warning;
for \fBclean\fR, a process survived SIGKILL.
.TP
\fB2\fR
A usage error; for \fBstatus \-\-check\fR, a critical metric.
.TP
\fB3\fR
For \fBstatus \-\-check\fR: the state could not be read (unknown).
.SH ENVIRONMENT
.TP
\fBMCPD_CONFIG\fR
The config file (default: ~/.config/mcpd/config.toml).
.TP
\fBMCPD_STATE_DIR\fR
Records, logs and history (default: the XDG state directory).
.TP
\fBMCPD_RUNTIME_DIR\fR
The daemon's socket (default: $XDG_RUNTIME_DIR/mcpd).
.TP
\fBMCPD_TMUX_SOCKET\fR
The tmux server to talk to, like \fBtmux \-S\fR.
.TP
\fBNO_COLOR\fR
Disables colour.
.TP
\fBRUST_LOG\fR
Overrides the log level set with \fB\-v\fR/\fB\-q\fR.
"#;
