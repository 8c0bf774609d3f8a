//! Enter on a session: inside a pane of the same tmux server, switch this client to it; otherwise
//! hand the terminal to `tmux attach-session` until the user detaches. Targets are exact (`=NAME`).

use std::ffi::OsString;
use std::process::{Command, Stdio};

use crate::procs::environ::TmuxTag;
use crate::tmux::{Tmux, exact};

use super::action::Outcome;
use super::terminal::Screen;

/// True when the dashboard runs in a pane of the server `tmux` talks to.
pub fn inside_same_server(tmux: &Tmux) -> bool {
    let Some(tag) = std::env::var("TMUX").ok().and_then(|v| TmuxTag::parse(&v)) else {
        return false;
    };
    match tmux.socket() {
        Some(s) => std::path::Path::new(&tag.socket) == s,
        None => true,
    }
}

fn base(tmux: &Tmux) -> Command {
    let mut cmd = Command::new("tmux");
    if let Some(s) = tmux.socket() {
        cmd.arg("-S").arg(s);
    }
    cmd
}

fn failure(what: &str, status: std::process::ExitStatus, stderr: &[u8]) -> Outcome {
    let err = String::from_utf8_lossy(stderr).trim().to_string();
    let why = if err.is_empty() {
        status.to_string()
    } else {
        err
    };
    Outcome {
        text: format!("tmux {what}: {why}"),
        ok: false,
    }
}

/// Switches or attaches to `name`. An error means the terminal could not be taken back.
pub fn attach(screen: &mut Screen, tmux: &Tmux, name: &str) -> std::io::Result<Outcome> {
    let target = [OsString::from("-t"), exact(name)];
    if inside_same_server(tmux) {
        // TMUX stays set: tmux then switches the client showing this pane, not the most recent one.
        let out = base(tmux)
            .arg("switch-client")
            .args(&target)
            .stdin(Stdio::null())
            .output();
        return Ok(match out {
            Ok(o) if o.status.success() => Outcome {
                text: format!("switched to session {name}"),
                ok: true,
            },
            Ok(o) => failure("switch-client", o.status, &o.stderr),
            Err(e) => Outcome {
                text: format!("cannot run tmux: {e}"),
                ok: false,
            },
        });
    }
    let run = || {
        // The client needs the terminal (stdin, stdout); its complaints are kept for the message bar.
        base(tmux)
            .env_remove("TMUX")
            .arg("attach-session")
            .args(&target)
            .stderr(Stdio::piped())
            .spawn()
            .and_then(std::process::Child::wait_with_output)
    };
    Ok(match screen.suspend(run)? {
        Ok(o) if o.status.success() => Outcome {
            text: format!("back from session {name}"),
            ok: true,
        },
        Ok(o) => failure("attach-session", o.status, &o.stderr),
        Err(e) => Outcome {
            text: format!("cannot run tmux: {e}"),
            ok: false,
        },
    })
}
