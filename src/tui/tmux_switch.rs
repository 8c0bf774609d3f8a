//! Enter on a session: inside a pane of the same tmux server, switch this client to it; otherwise
//! hand the terminal to `tmux attach-session` until the user detaches. Targets are exact (`=NAME`).

use std::process::Stdio;

use crate::tmux::Tmux;

use super::action::Outcome;
use super::terminal::Screen;

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
    if tmux.inside_same_server() {
        // TMUX stays set: tmux then switches the client showing this pane, not the most recent one.
        return Ok(match tmux.switch_client(name) {
            Ok(()) => Outcome {
                text: format!("switched to session {name}"),
                ok: true,
            },
            Err(e) => Outcome {
                text: e.to_string(),
                ok: false,
            },
        });
    }
    let run = || {
        // The client needs the terminal (stdin, stdout); its complaints are kept for the message bar.
        tmux.attach_command(name)
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
