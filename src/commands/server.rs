//! `mcpd start|stop|restart SERVER [--session NAME]`: control one configured server through the daemon
//! (started first when needed). `start` and `restart` answer once the daemon knows whether the
//! server stayed up: a command that does not exist, an immediate exit or a crash loop is an error
//! (exit 1) with the exit status and the last lines of its log.

use std::time::Duration;

use crate::cli::{GlobalArgs, ServerArgs};
use crate::daemon::client;
use crate::daemon::protocol::{Request, Response};

#[derive(Clone, Copy, Debug)]
pub enum Verb {
    Start,
    Stop,
    Restart,
}

pub fn run(g: &GlobalArgs, verb: Verb, a: ServerArgs) -> anyhow::Result<i32> {
    let env = super::env(g)?;
    // A running daemon must act on the config this command read: an edit it has not applied is
    // reloaded first (so `restart` after an edit starts the new command, and a server removed from
    // the file is stopped). A daemon started below reads the file anyway.
    super::handshake::check(&env.paths, true)?;
    if !env.config.servers.contains_key(&a.server) {
        let known: Vec<&str> = env.config.servers.keys().map(String::as_str).collect();
        anyhow::bail!(
            "no server named {:?} in {} (configured: {})",
            a.server,
            env.paths.config_file.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    if matches!(verb, Verb::Stop) && super::daemon::ping(&env.paths).is_none() {
        println!(
            "the daemon is not running: {} is not running under mcpd",
            a.server
        );
        return Ok(0);
    }
    super::daemon::ensure_running(g, &env.paths)?;
    let (server, session) = (a.server, a.session);
    let req = match verb {
        Verb::Start => Request::Start { server, session },
        Verb::Stop => Request::Stop { server, session },
        Verb::Restart => Request::Restart { server, session },
    };
    let timeout = env.config.daemon.stop_grace * 3 + Duration::from_secs(10);
    match client::request(&env.paths, &req, timeout)? {
        Some(Response::Ok { message }) => {
            println!("{message}");
            Ok(0)
        }
        Some(Response::Error { message }) => anyhow::bail!("{message}"),
        Some(other) => anyhow::bail!("unexpected answer from the daemon: {other:?}"),
        None => anyhow::bail!("the daemon stopped answering"),
    }
}
