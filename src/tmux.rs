//! Talking to one tmux server: the one named by `--tmux-socket`/`MCPD_TMUX_SOCKET`, else the one in
//! `$TMUX` (we are inside it), else tmux's default. tmux is always run directly (never through a shell),
//! names travel as single arguments, and targets are exact (`=NAME` or `$ID`), so `foo` never matches
//! `foobar` and a hostile name is only ever data.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The oldest tmux whose hooks and formats mcpd relies on (`#{q:...}`, `hook_session_name`).
pub const MIN_VERSION: (u32, u32) = (3, 0);

/// Errors talking to tmux.
#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    #[error(
        "tmux is not installed (or not on PATH); install it, e.g. `apt-get install tmux` or `brew install tmux`"
    )]
    Missing,
    #[error("tmux {found} is too old: mcpd needs tmux {}.{} or newer", MIN_VERSION.0, MIN_VERSION.1)]
    TooOld { found: String },
    #[error("no tmux server is running on {socket}")]
    NoServer { socket: String },
    /// A server may be there, but cannot be asked: its sessions are unknown, not gone.
    #[error(
        "cannot reach the tmux server at {socket} ({reason}): its sessions cannot be checked; \
         point --tmux-socket (MCPD_TMUX_SOCKET) at a server you can reach"
    )]
    Unreachable { socket: String, reason: String },
    #[error("tmux {args}: {message}")]
    Failed { args: String, message: String },
    #[error("cannot run tmux: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for TmuxError {
    /// Running tmux failed: not installed, or something else.
    fn from(e: std::io::Error) -> TmuxError {
        if e.kind() == std::io::ErrorKind::NotFound {
            TmuxError::Missing
        } else {
            TmuxError::Io(e)
        }
    }
}

pub use crate::model::{Pane, SessionInfo, TmuxView};

/// A handle on one tmux server.
#[derive(Clone, Debug)]
pub struct Tmux {
    socket: Option<PathBuf>,
}

impl Tmux {
    /// Picks the server: `explicit` (from `--tmux-socket` or `MCPD_TMUX_SOCKET`), else the socket in
    /// `$TMUX`, else tmux's default.
    pub fn new(explicit: Option<PathBuf>) -> Tmux {
        let from_env = std::env::var("TMUX")
            .ok()
            .and_then(|v| crate::procs::environ::TmuxTag::parse(&v))
            .map(|t| PathBuf::from(t.socket));
        Tmux {
            socket: explicit.or(from_env),
        }
    }

    /// The socket given with `-S`, if any (None: tmux's default).
    pub fn socket(&self) -> Option<&Path> {
        self.socket.as_deref()
    }

    /// The socket path tmux uses for this server: the explicit one, else tmux's default
    /// (`$TMUX_TMPDIR/tmux-UID/default`).
    pub fn socket_path(&self) -> String {
        match &self.socket {
            Some(p) => p.display().to_string(),
            None => {
                let dir = std::env::var("TMUX_TMPDIR")
                    .ok()
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "/tmp".into());
                format!(
                    "{}/tmux-{}/default",
                    dir.trim_end_matches('/'),
                    nix::unistd::getuid().as_raw()
                )
            }
        }
    }

    /// The server's sessions; when no server runs, an empty view that still names the socket (so
    /// processes tagged with it are known to have lost their server).
    pub fn view_or_empty(&self) -> Result<TmuxView, TmuxError> {
        Ok(self.view()?.unwrap_or_else(|| TmuxView {
            socket_path: self.socket_path(),
            ..TmuxView::default()
        }))
    }

    /// A human description of the server, for messages.
    pub fn describe(&self) -> String {
        match &self.socket {
            Some(p) => p.display().to_string(),
            None => "the default tmux server".to_string(),
        }
    }

    /// A tmux client command for this server. Without `as_pane_client`, `TMUX` is removed (a nested
    /// TMUX would make tmux refuse some commands: "sessions should be nested with care"); with it,
    /// `TMUX` is kept, so tmux acts on the client showing the pane we run in, not the most recent one.
    fn command(&self, as_pane_client: bool) -> Command {
        let mut c = Command::new("tmux");
        if let Some(s) = &self.socket {
            c.arg("-S").arg(s);
        }
        if !as_pane_client {
            c.env_remove("TMUX");
        }
        c.stdin(Stdio::null());
        c
    }

    /// A handle on the server at `socket` exactly (whatever `$TMUX` says).
    pub fn at(socket: PathBuf) -> Tmux {
        Tmux {
            socket: Some(socket),
        }
    }

    /// True when we run inside a pane of this server (`$TMUX` names its socket; with no explicit
    /// socket, any `$TMUX` is tmux's default server, which is this one).
    pub fn inside_same_server(&self) -> bool {
        let Some(tag) = std::env::var("TMUX")
            .ok()
            .and_then(|v| crate::procs::environ::TmuxTag::parse(&v))
        else {
            return false;
        };
        match self.socket() {
            Some(s) => Path::new(&tag.socket) == s,
            None => true,
        }
    }

    /// Switches the client showing the pane we run in to session `name` (exact).
    pub fn switch_client(&self, name: &str) -> Result<(), TmuxError> {
        self.run_as(
            &[OsString::from("switch-client"), "-t".into(), exact(name)],
            true,
        )
        .map(drop)
    }

    /// The name of the session holding `pane` (`%7`), or, without one, the session of the client we
    /// run in (`$TMUX`).
    pub fn pane_session(&self, pane: Option<&str>) -> Result<String, TmuxError> {
        let mut args = vec!["display-message", "-p"];
        if let Some(p) = pane {
            args.extend(["-t", p]);
        }
        args.push("#{session_name}");
        Ok(self.run_as(&args, true)?.trim_end_matches('\n').to_string())
    }

    /// The command that attaches this terminal to session `name` (exact) until the user detaches:
    /// an interactive client, so it has no timeout; the caller runs or execs it.
    pub fn attach_command(&self, name: &str) -> Command {
        let mut c = self.command(false);
        c.stdin(Stdio::inherit()).args([
            OsString::from("attach-session"),
            "-t".into(),
            exact(name),
        ]);
        c
    }

    /// Runs tmux with `args` and returns its stdout.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<String, TmuxError> {
        self.run_as(args, false)
    }

    /// [`Tmux::run`], as the client of our pane when `as_pane_client` (see [`Tmux::command`]).
    fn run_as<S: AsRef<std::ffi::OsStr>>(
        &self,
        args: &[S],
        as_pane_client: bool,
    ) -> Result<String, TmuxError> {
        let mut cmd = self.command(as_pane_client);
        cmd.args(args);
        let out = output_within(cmd, TIMEOUT).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                TmuxError::Unreachable {
                    socket: self.describe(),
                    reason: format!("tmux did not answer within {} s", TIMEOUT.as_secs()),
                }
            } else {
                TmuxError::from(e)
            }
        })?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if message.starts_with("no server running") {
            return Err(TmuxError::NoServer {
                socket: self.describe(),
            });
        }
        if let Some(rest) = message.strip_prefix("error connecting to") {
            // `(No such file or directory)`: no socket, so no server. Anything else (permission,
            // a name too long...) leaves the server's sessions unknown.
            let reason = rest
                .rsplit_once('(')
                .map_or(rest, |(_, r)| r.trim_end_matches(')'))
                .trim()
                .to_owned();
            if reason == "No such file or directory" {
                return Err(TmuxError::NoServer {
                    socket: self.describe(),
                });
            }
            return Err(TmuxError::Unreachable {
                socket: self.describe(),
                reason,
            });
        }
        let args: Vec<String> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        Err(TmuxError::Failed {
            args: args.join(" "),
            message,
        })
    }

    /// Checks that tmux is installed and new enough.
    pub fn check_version() -> Result<String, TmuxError> {
        let mut cmd = Command::new("tmux");
        cmd.arg("-V").stdin(Stdio::null());
        let out = output_within(cmd, TIMEOUT).map_err(TmuxError::from)?;
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        match parse_version(&v) {
            Some(found) if found >= MIN_VERSION => Ok(v),
            Some(_) => Err(TmuxError::TooOld { found: v }),
            // Builds from git say `tmux next-3.5`: newer than any release we need.
            None => Ok(v),
        }
    }

    /// The server's sessions, or None when no server is running on the socket.
    pub fn view(&self) -> Result<Option<TmuxView>, TmuxError> {
        // The name cannot hold a raw tab (tmux escapes it); the path, last, may.
        let fmt = "#{session_id}\t#{session_attached}\t#{session_activity}\t#{session_created}\t#{pid}\t#{socket_path}\t#{session_name}\t#{session_path}";
        // One run for both lists: the panes are read at the same moment as the sessions.
        let out = match self.run(&[
            "list-sessions",
            "-F",
            fmt,
            ";",
            "list-panes",
            "-a",
            "-F",
            PANE_FORMAT,
            ";",
            "display-message",
            "-p",
            "N\t#{next_session_id}",
        ]) {
            Ok(o) => o,
            Err(TmuxError::NoServer { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(parse_sessions(&out, self.socket.as_deref())))
    }

    /// Every pane's process with its session.
    pub fn panes(&self) -> Result<Vec<Pane>, TmuxError> {
        match self.run(&["list-panes", "-a", "-F", PANE_FORMAT]) {
            Ok(o) => Ok(o.lines().filter_map(parse_pane).collect()),
            Err(TmuxError::NoServer { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// True when a session with exactly this name exists.
    pub fn has_session(&self, name: &str) -> Result<bool, TmuxError> {
        match self.run(&[OsString::from("has-session"), "-t".into(), exact(name)]) {
            Ok(_) => Ok(true),
            Err(TmuxError::NoServer { .. }) => Ok(false),
            Err(TmuxError::Failed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// How long any tmux command may take: a hung tmux server never hangs mcpd.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `cmd` to completion, or kills it after `limit` (an error of kind `TimedOut`). Two threads
/// read its output and say when their pipe ends: once both ended the child is exiting, and it is
/// reaped at once (a fixed polling tick would add up to a tick to every tmux command).
fn output_within(
    mut cmd: Command,
    limit: std::time::Duration,
) -> std::io::Result<std::process::Output> {
    use std::io::Read;
    use std::sync::mpsc;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let (ended, ends) = mpsc::channel::<()>();
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let ended = ended.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = ended.send(());
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    drop(ended);
    let deadline = std::time::Instant::now() + limit;
    let timed_out = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
        std::io::Error::new(std::io::ErrorKind::TimedOut, "tmux did not answer in time")
    };
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match ends.recv_timeout(left) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(timed_out(&mut child)),
            // A reader is gone without a word (it cannot be: it only reads): wait for the child.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Both pipes closed: the exit is a matter of microseconds, unless the child closed them early.
    let mut pause = std::time::Duration::from_micros(50);
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if std::time::Instant::now() >= deadline {
            return Err(timed_out(&mut child));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(2));
    };
    Ok(std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Pane lines start with a marker so that one run can list sessions and panes.
const PANE_FORMAT: &str = "P\t#{pane_pid}\t#{session_id}\t#{pane_tty}\t#{session_name}";

fn parse_pane(line: &str) -> Option<Pane> {
    let mut f = line.strip_prefix("P\t")?.splitn(4, '\t');
    Some(Pane {
        pid: f.next()?.parse().ok()?,
        session_id: f.next()?.trim_start_matches('$').parse().ok()?,
        tty: f.next()?.to_string(),
        session_name: f.next()?.to_string(),
    })
}

/// An exact session target: `=NAME` (no prefix or pattern matching).
pub fn exact(name: &str) -> OsString {
    OsString::from(format!("={name}"))
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let num = v.split_whitespace().nth(1)?;
    let mut parts = num.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor: String = parts
        .next()
        .unwrap_or("0")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((major, minor.parse().unwrap_or(0)))
}

/// Parses `list-sessions` output in the format [`Tmux::view`] asks for. tmux escapes tabs and newlines
/// in names (`\t`), so a line is one session; the path, last, may hold anything else.
pub fn parse_sessions(out: &str, socket: Option<&Path>) -> TmuxView {
    let mut view = TmuxView::default();
    for line in out.lines() {
        if line.starts_with("P\t") {
            view.panes.extend(parse_pane(line));
            continue;
        }
        if let Some(next) = line.strip_prefix("N\t$") {
            view.next_session_id = next.parse().ok();
            continue;
        }
        let mut f = line.splitn(8, '\t');
        let (Some(id), Some(att), Some(act), Some(created), Some(pid), Some(sock), Some(name)) = (
            f.next(),
            f.next(),
            f.next(),
            f.next(),
            f.next(),
            f.next(),
            f.next(),
        ) else {
            continue;
        };
        let path = f.next().unwrap_or_default().to_string();
        let Some(id) = id.strip_prefix('$').and_then(|i| i.parse().ok()) else {
            continue;
        };
        view.server_pid = pid.parse().unwrap_or(0);
        view.socket_path = sock.to_string();
        view.sessions.push(SessionInfo {
            id,
            name: name.to_string(),
            attached: att.parse().unwrap_or(0),
            activity: act.parse().unwrap_or(0),
            created: created.parse().unwrap_or(0),
            path,
        });
    }
    if view.socket_path.is_empty() {
        view.socket_path = socket.map(|s| s.display().to_string()).unwrap_or_default();
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("tmux 3.3a"), Some((3, 3)));
        assert_eq!(parse_version("tmux 2.9"), Some((2, 9)));
        assert_eq!(parse_version("tmux next-3.5"), None);
        assert!(Some((3, 3)) >= Some(MIN_VERSION));
    }

    #[test]
    fn parses_sessions_with_hostile_names() {
        let out = "$2\t0\t100\t90\t6073\t/tmp/s\t$(touch /tmp/PWN)\t/home/u\n$0\t1\t101\t91\t6073\t/tmp/s\ta b\t/x\ty\ngarbage\n";
        let v = parse_sessions(out, None);
        assert_eq!(v.server_pid, 6073);
        assert_eq!(v.sessions.len(), 2);
        assert_eq!(v.sessions[0].name, "$(touch /tmp/PWN)");
        assert_eq!(v.sessions[1].name, "a b");
        assert_eq!(v.sessions[1].path, "/x\ty");
        assert_eq!(v.session_by_id(0).unwrap().attached, 1);
        assert_eq!(v.next_session_id, None);
        let v = parse_sessions(
            &format!("{out}P\t77\t$2\t/dev/pts/4\tx\ty\nP\tbad\nN\t$3\n"),
            None,
        );
        assert_eq!(v.sessions.len(), 2);
        assert_eq!(v.next_session_id, Some(3));
        assert!(v.is_newer_than_view(3) && !v.is_newer_than_view(2));
        assert_eq!(
            v.panes,
            [Pane {
                pid: 77,
                session_id: 2,
                session_name: "x\ty".into(),
                tty: "/dev/pts/4".into()
            }]
        );
        assert!(v.is_pane_tty("/dev/pts/4") && !v.is_pane_tty("/dev/pts/5"));
    }

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]).stdin(Stdio::null());
        c
    }

    #[test]
    fn a_command_is_reaped_when_it_ends_and_killed_past_its_limit() {
        let long = std::time::Duration::from_secs(60);
        let o = output_within(sh("sleep 0.2; echo out; echo err >&2; exit 3"), long).unwrap();
        assert_eq!(o.status.code(), Some(3));
        assert_eq!(
            (&o.stdout[..], &o.stderr[..]),
            (&b"out\n"[..], &b"err\n"[..])
        );
        let short = std::time::Duration::from_millis(300);
        let hung = output_within(sh("exec sleep 60"), short).unwrap_err();
        assert_eq!(hung.kind(), std::io::ErrorKind::TimedOut);
        // One that closes its output and lives on is bounded all the same.
        let closed = output_within(sh("exec >&- 2>&-; exec sleep 60"), short).unwrap_err();
        assert_eq!(closed.kind(), std::io::ErrorKind::TimedOut);
    }

    /// A private tmux server (its own socket in a temp dir), killed when dropped.
    struct Server {
        tmux: Tmux,
        _dir: tempfile::TempDir,
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.tmux.run(&["kill-server"]);
        }
    }

    #[test]
    fn asks_a_pane_for_its_session_and_switching_without_a_client_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let srv = Server {
            tmux: Tmux::at(dir.path().join("sock")),
            _dir: dir,
        };
        srv.tmux
            .run(&["new-session", "-d", "-s", "a b", "-x", "80", "-y", "24"])
            .unwrap();
        let pane = srv
            .tmux
            .run(&["list-panes", "-a", "-F", "#{pane_id}"])
            .unwrap();
        assert_eq!(srv.tmux.pane_session(Some(pane.trim())).unwrap(), "a b");
        // No client is attached to this server: tmux says so, within the timeout.
        assert!(matches!(
            srv.tmux.switch_client("a b"),
            Err(TmuxError::Failed { .. })
        ));
        let attach = srv.tmux.attach_command("a b");
        let args: Vec<_> = attach.get_args().collect();
        assert_eq!(
            args,
            [
                std::ffi::OsStr::new("-S"),
                srv.tmux.socket().unwrap().as_os_str(),
                "attach-session".as_ref(),
                "-t".as_ref(),
                "=a b".as_ref()
            ]
        );
    }
}
