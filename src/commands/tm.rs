//! `mcpd tm [NAME] [-d] [-c DIR]`: attach to (or create) the project's tmux session. Outside tmux it
//! attaches; inside the same tmux server it switches the client (no nesting). Creating a session
//! installs mcpd's hooks first. Running it twice never makes a second session.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use anyhow::Context;

use crate::cli::{GlobalArgs, TmArgs};
use crate::tmux::{Tmux, TmuxError};

pub fn run(g: &GlobalArgs, a: &TmArgs) -> anyhow::Result<i32> {
    Tmux::check_version()?;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().context("cannot read the current folder")?,
    };
    let dir = std::fs::canonicalize(&dir)
        .with_context(|| format!("-c {}: no such folder", dir.display()))?;
    if !dir.is_dir() {
        anyhow::bail!("-c {}: not a folder", dir.display());
    }
    let name = match &a.name {
        Some(n) => crate::names::normalize(n)?,
        None => crate::names::from_dir(&dir)?,
    };
    let env = super::env(g)?;
    let tmux = env.tmux.clone();

    let created = if tmux.has_session(&name)? {
        false
    } else {
        let args: Vec<OsString> = vec![
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            name.clone().into(),
            "-c".into(),
            dir.clone().into(),
        ];
        match tmux.run(&args) {
            Ok(_) => true,
            // Another `mcpd tm` won the race: the session exists, which is all we wanted.
            Err(TmuxError::Failed { message, .. }) if message.contains("duplicate session") => {
                false
            }
            Err(e) => return Err(e.into()),
        }
    };
    // Hooks every time: cheap, idempotent, and a restarted server has lost them.
    let hook_note = match super::hook::install(g, &tmux) {
        Ok(()) => None,
        Err(e) => Some(format!(
            "warning: could not install mcpd's tmux hooks: {e:#}"
        )),
    };
    if let Some(n) = &hook_note {
        eprintln!("{n}");
    }
    // Session servers come from the daemon (started if needed); with none configured, no daemon is needed.
    let has_session_servers = env
        .config
        .servers
        .values()
        .any(|c| c.scope == crate::config::Scope::Session);
    if has_session_servers {
        match super::daemon::ensure_running(g, &env.paths) {
            Ok(_) => {
                let req = crate::daemon::protocol::Request::SessionOpened {
                    session: name.clone(),
                    dir: Some(dir.display().to_string()),
                };
                match crate::daemon::client::request(
                    &env.paths,
                    &req,
                    std::time::Duration::from_secs(10),
                ) {
                    Ok(Some(crate::daemon::protocol::Response::Ok { message })) if a.detach => {
                        println!("{message}")
                    }
                    Ok(Some(crate::daemon::protocol::Response::Error { message })) => {
                        eprintln!("warning: {message}")
                    }
                    Err(e) => eprintln!("warning: {e}"),
                    _ => {}
                }
            }
            Err(e) => eprintln!("warning: cannot start the daemon for session servers: {e:#}"),
        }
    }
    if a.detach {
        println!(
            "{} session {name}",
            if created { "created" } else { "existing" }
        );
        return Ok(0);
    }
    if tmux.inside_same_server() {
        // With TMUX kept, tmux switches the client this pane belongs to, not the most recent one.
        return Ok(match tmux.switch_client(&name) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        });
    }
    // tmux itself would only say "open terminal failed: not a terminal".
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin())
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    if !terminal {
        anyhow::bail!(
            "cannot attach to session {name}: this is not a terminal (stdin or stdout is \
             redirected). The session {}; attach from a terminal with `mcpd tm {name}`, or use \
             `mcpd tm -d` to create it without attaching",
            if created { "was created" } else { "exists" }
        );
    }
    let mut cmd = tmux.attach_command(&name);
    let err = cmd.exec();
    Err(anyhow::anyhow!("cannot run tmux attach-session: {err}"))
}
