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
    out.extend(man_files()?);
    Ok(out)
}

/// The man pages: `man/mcpd.1` and one per subcommand.
pub fn man_files() -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    // No `help` subcommand in the pages: there is no mcpd-help(1) to point at.
    fn no_help(cmd: clap::Command) -> clap::Command {
        cmd.disable_help_subcommand(true).mut_subcommands(no_help)
    }
    let mut cmd = no_help(crate::cli::command());
    cmd.build();
    let mut out = Vec::new();
    man_pages(&cmd, "mcpd", &mut out)?;
    Ok(out)
}

fn man_pages(
    cmd: &clap::Command,
    name: &str,
    out: &mut Vec<(PathBuf, Vec<u8>)>,
) -> anyhow::Result<()> {
    let mut page = cmd.clone().name(name.to_string());
    // NAME reads "mcpd - a tmux-aware supervisor...", not "mcpd - mcpd: a ...".
    if let Some(about) = page.get_about().map(|a| a.to_string())
        && let Some(rest) = about.strip_prefix(&format!("{name}: "))
    {
        page = page.about(rest.to_owned());
    }
    let mut raw = Vec::new();
    let man = clap_mangen::Man::new(page);
    man.render(&mut raw)?;
    let mut buf = sections(&String::from_utf8_lossy(&raw)).into_bytes();
    if name == "mcpd" {
        buf.extend_from_slice(TOP_EXAMPLES.as_bytes());
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

/// clap_mangen puts `after_help` under "EXTRA": examples become an EXAMPLES section shown
/// line by line (no-fill), the top page's file list a FILES section.
fn sections(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut lines = page.lines().peekable();
    while let Some(line) = lines.next() {
        if line != ".SH EXTRA" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let first = lines.next().unwrap_or("");
        if let Some(rest) = first.strip_prefix("Examples") {
            out.push_str(".SH EXAMPLES\n");
            let note = rest.trim_start_matches(':').trim();
            let note = note
                .trim_start_matches('(')
                .trim_end_matches("):")
                .trim_end_matches(')');
            if !note.is_empty() {
                out.push_str(&format!("In {note}:\n"));
            }
        } else {
            out.push_str(".SH FILES\n");
            out.push_str(first);
            out.push('\n');
        }
        out.push_str(".nf\n");
        while let Some(l) = lines.next_if(|l| !l.starts_with(".SH")) {
            out.push_str(l.trim_start());
            out.push('\n');
        }
        out.push_str(".fi\n");
    }
    out
}

/// The first hour, as commands (each subcommand's page has its own examples).
const TOP_EXAMPLES: &str = r#".SH EXAMPLES
.nf
mcpd import \-\-dry\-run          # what your agents' configs hold
mcpd import && mcpd link all    # share their servers through mcpd
mcpd tm                         # the tmux session for this folder
mcpd                            # the dashboard
mcpd status \-\-check || mcpd clean \-\-dry\-run
.fi
"#;

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
