//! The daemon against time and `rm -rf`: a daemon of another mcpd version or protocol (the CLI says
//! so and how to restart it), and a state or runtime directory deleted under a running daemon (it
//! recreates them, or exits and leaves the one daemon; never two for one state directory).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::*;

const DAEMON: &str =
    "[daemon]\nsweep_interval = \"30s\"\nstop_grace = \"1s\"\nsweep_orphans = false\n";

fn config(tag: &str) -> String {
    format!(
        "{DAEMON}[servers.fs]\ncommand = \"bash\"\nargs = [\"-c\", \"exec -a {tag} sleep 100000\"]\n\n\
         [servers.later]\ncommand = \"bash\"\nargs = [\"-c\", \"exec -a {tag}-later sleep 100000\"]\nstart = \"on-connect\"\n"
    )
}

/// Kills, by pid, what is left of the servers named with `tag` when the test ends (declared before
/// the sandbox, so it runs after the sandbox has stopped its daemon). A daemon whose socket is inside
/// the state directory cannot be asked to stop by the sandbox (its runtime dir is elsewhere), and a
/// SIGKILLed daemon leaves its servers behind.
struct Reap(String);

impl Drop for Reap {
    fn drop(&mut self) {
        let later = format!("{}-later", self.0);
        for pid in named(&self.0).into_iter().chain(named(&later)) {
            if let Some(start_ticks) = mcpd::procs::identity::current_start_ticks(pid)
                && let Ok(pin) =
                    mcpd::procs::identity::Pinned::open(mcpd::model::Identity { pid, start_ticks })
            {
                pin.signal(nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}

fn tag() -> String {
    let probe = Sandbox::new();
    let t = format!("mcp-server-dirs-{}", probe.marker);
    drop(probe);
    t
}

/// Live `mcpd daemon run` processes whose MCPD_STATE_DIR is `state`.
fn daemons_of(state: &Path) -> Vec<i32> {
    let want = format!("MCPD_STATE_DIR={}", state.display());
    let mut out = Vec::new();
    for p in mcpd::procs::Snapshot::take().unwrap().procs.values() {
        if p.is_zombie() || !p.command().contains("daemon run") {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{}/environ", p.pid)) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|v| v == want.as_bytes()) {
            out.push(p.pid);
        }
    }
    out.sort_unstable();
    out
}

#[test]
fn a_daemon_of_another_version_is_named_with_how_to_restart_it() {
    let sb = Sandbox::with_config(DAEMON);
    for (fake, word) in [("0.0.1", "older"), ("99.0.0", "newer")] {
        let out = sb
            .mcpd()
            .env("MCPD_TEST_FAKE_VERSION", fake)
            .args(["daemon", "start"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let status = sb.ok(&["daemon", "status"]);
        assert!(
            status.contains(&format!("version {fake}"))
                && status.contains(&format!("{word} than this mcpd"))
                && status.contains("mcpd daemon restart"),
            "{status}"
        );
        let j = sb.json(&["daemon", "status", "--json"]);
        assert_eq!(j["version"], fake);
        assert_eq!(j["cli_version"], env!("CARGO_PKG_VERSION"));
        let out = sb.run(&["status"]);
        assert!(
            text(&out.stderr).contains(&format!("runs mcpd {fake}, {word} than")),
            "{}",
            text(&out.stderr)
        );
        // Restarted by this mcpd: the versions agree and nothing is said.
        let old = sb.daemon_pid().unwrap();
        assert!(sb.ok(&["daemon", "restart"]).contains("daemon restarted"));
        assert_ne!(sb.daemon_pid(), Some(old));
        let status = sb.ok(&["daemon", "status"]);
        assert!(!status.contains("note:"), "{status}");
        sb.ok(&["daemon", "stop"]);
    }
}

/// Same version, other binary: a daemon started from an mcpd that was then replaced on disk (an
/// upgrade or rebuild) is pointed out too.
#[test]
fn a_daemon_whose_binary_was_replaced_is_pointed_out() {
    let sb = Sandbox::with_config(DAEMON);
    let copy = sb.path().join("mcpd-before-upgrade");
    std::fs::copy(env!("CARGO_BIN_EXE_mcpd"), &copy).unwrap();
    // Another test's fork may hold the copy open for writing until its exec (ETXTBSY): run again.
    let mut out = None;
    assert!(wait_for(Duration::from_secs(10), || {
        match Command::new(&copy)
            .envs(sb.envs())
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .args(["daemon", "start"])
            .stdin(std::process::Stdio::null())
            .output()
        {
            Ok(o) => out = Some(o),
            Err(e) => assert_eq!(e.raw_os_error(), Some(nix::libc::ETXTBSY), "{e}"),
        }
        out.is_some()
    }));
    let out = out.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!sb.ok(&["daemon", "status"]).contains("note:"));
    std::fs::remove_file(&copy).unwrap();
    let status = sb.ok(&["daemon", "status"]);
    assert!(
        status.contains("has been replaced") && status.contains("mcpd daemon restart"),
        "{status}"
    );
    sb.ok(&["daemon", "restart"]);
    assert!(!sb.ok(&["daemon", "status"]).contains("note:"));
}

/// A daemon speaking protocol 2, written by hand: it holds the lock (naming a `sleep` of ours as its
/// pid, so nothing real is signalled) and answers every line with a pong full of fields this mcpd
/// does not know.
#[test]
fn a_daemon_of_another_protocol_is_refused_clearly() {
    let sb = Sandbox::with_config(&config(&tag()));
    std::fs::create_dir_all(&sb.state).unwrap();
    std::fs::create_dir_all(&sb.runtime).unwrap();
    let mut stand_in = Command::new("sleep").arg("1000").spawn().unwrap();
    let pid = stand_in.id() as i32;
    sb.track(pid);
    let lock_path = sb.state.join("daemon.lock");
    std::fs::write(&lock_path, pid.to_string()).unwrap();
    let lock = nix::fcntl::Flock::lock(
        std::fs::File::open(&lock_path).unwrap(),
        nix::fcntl::FlockArg::LockExclusiveNonblock,
    )
    .unwrap();
    let listener = UnixListener::bind(sb.runtime.join("mcpd.sock")).unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&s).read_line(&mut line);
            let _ = writeln!(
                s,
                r#"{{"type":"pong","pid":{pid},"version":"7.0.0","uptime_secs":5,"protocol":2,"config":null,"build":{{"x":1}}}}"#
            );
        }
    });
    let status = sb.ok(&["daemon", "status"]);
    assert!(
        status.contains("protocol 2") && status.contains("mcpd daemon restart"),
        "{status}"
    );
    let out = sb.run(&["start", "later"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("runs mcpd 7.0.0 with control protocol 2") && err.contains("mcpd daemon stop"),
        "{err}"
    );
    drop(lock);
    stand_in.kill().unwrap();
    stand_in.wait().unwrap();
}

/// `rm -rf` of the state directory, with the runtime directory elsewhere (MCPD_RUNTIME_DIR): the
/// daemon still answers; it recreates the directory, its lock and its records, and spawns work.
#[test]
fn a_deleted_state_dir_is_recreated_and_spawns_keep_working() {
    let t = tag();
    let _reap = Reap(t.clone());
    let sb = Sandbox::with_config(&config(&t));
    sb.ok(&["daemon", "start"]);
    let daemon = sb.daemon_pid().unwrap();
    assert!(wait_for(Duration::from_secs(10), || named(&t).len() == 1));
    let fs = named(&t)[0];
    remove_under_the_daemon(&sb.state);
    sb.ok(&["status"]);
    let out = sb.ok(&["start", "later"]);
    assert!(out.contains("started later"), "{out}");
    assert!(wait_for(Duration::from_secs(10), || named(&format!(
        "{t}-later"
    ))
    .len()
        == 1));
    assert_eq!(daemons_of(&sb.state), vec![daemon]);
    assert_eq!(
        sb.daemon_pid(),
        Some(daemon),
        "the lock file was not recreated"
    );
    assert_eq!(named(&t), vec![fs], "the running server was touched");
    // Its records are back: `ps` knows both servers as the daemon's.
    let ps = sb.json(&["ps", "--json"]);
    for pid in [fs, named(&format!("{t}-later"))[0]] {
        let row = ps.as_array().unwrap().iter().find(|r| r["pid"] == pid);
        assert!(
            row.is_some_and(|r| r["owner"] == "global:fs" || r["owner"] == "global:later"),
            "{pid}: {ps:#}"
        );
    }
    let events = std::fs::read_to_string(sb.state.join("events.jsonl")).unwrap();
    assert!(events.contains("was deleted"), "{events}");
}

/// `rm -rf` of the runtime directory alone: the daemon, still holding its lock, listens again; the
/// next command waits for it instead of starting another.
#[test]
fn a_deleted_runtime_dir_gets_the_socket_back() {
    let t = tag();
    let _reap = Reap(t.clone());
    let sb = Sandbox::with_config(&config(&t));
    sb.ok(&["daemon", "start"]);
    let daemon = sb.daemon_pid().unwrap();
    remove_under_the_daemon(&sb.runtime);
    let out = sb.ok(&["start", "later"]);
    assert!(out.contains("started later"), "{out}");
    assert_eq!(daemons_of(&sb.state), vec![daemon]);
    assert!(sb.runtime.join("mcpd.sock").exists());
    assert!(
        sb.ok(&["daemon", "status"])
            .contains(&format!("pid {daemon}"))
    );
}

/// `rm -rf` of the state directory in the default layout, where the runtime directory (and so the
/// socket) is inside it: the next command finds no daemon. Whichever daemon wins the new lock, there
/// is exactly one for the state directory afterwards, and it runs the servers.
#[test]
fn a_deleted_state_dir_with_the_socket_inside_leaves_exactly_one_daemon() {
    let t = tag();
    let _reap = Reap(t.clone());
    let sb = Sandbox::with_config(&config(&t));
    let run = |args: &[&str]| {
        sb.mcpd()
            .env_remove("MCPD_RUNTIME_DIR")
            .env_remove("XDG_RUNTIME_DIR")
            .args(args)
            .output()
            .unwrap()
    };
    expect_ok(&["daemon", "start"], run(&["daemon", "start"]));
    assert!(sb.state.join("run/mcpd.sock").exists());
    let first = sb.daemon_pid().unwrap();
    assert!(wait_for(Duration::from_secs(10), || named(&t).len() == 1));
    remove_under_the_daemon(&sb.state);
    expect_ok(&["status"], run(&["status"]));
    let out = expect_ok(&["start", "later"], run(&["start", "later"]));
    assert!(out.contains("started later"), "{out}");
    assert!(
        wait_for(Duration::from_secs(30), || daemons_of(&sb.state).len() == 1),
        "daemons for one state dir: {:?}",
        daemons_of(&sb.state)
    );
    let survivor = daemons_of(&sb.state)[0];
    assert_eq!(sb.daemon_pid(), Some(survivor));
    let events = std::fs::read_to_string(sb.state.join("events.jsonl")).unwrap_or_default();
    if survivor == first {
        assert!(events.contains("was deleted"), "{events}");
    } else {
        // The first daemon gave way, and said why. `daemons_of` stops seeing it once its memory is
        // released (its command line and environment read empty), a moment before it is gone.
        assert!(wait_for(Duration::from_secs(10), || gone(first)));
        assert!(events.contains("another daemon took it over"), "{events}");
    }
    // The one daemon runs the servers, once each.
    assert!(wait_for(Duration::from_secs(10), || named(&t).len() == 1
        && named(&format!("{t}-later")).len() == 1));
    let out = expect_ok(&["restart", "later"], run(&["restart", "later"]));
    assert!(out.contains("started later"), "{out}");
}

/// The same layout, but no command comes before the daemon's own check: it recreates the directory,
/// its lock and its socket, and stays the one daemon.
#[test]
fn a_deleted_state_dir_with_the_socket_inside_is_recreated_by_the_daemon() {
    let t = tag();
    let _reap = Reap(t.clone());
    let sb = Sandbox::with_config(&config(&t));
    let run = |args: &[&str]| {
        sb.mcpd()
            .env_remove("MCPD_RUNTIME_DIR")
            .env_remove("XDG_RUNTIME_DIR")
            .args(args)
            .output()
            .unwrap()
    };
    expect_ok(&["daemon", "start"], run(&["daemon", "start"]));
    let first = sb.daemon_pid().unwrap();
    assert!(wait_for(Duration::from_secs(10), || named(&t).len() == 1));
    let fs = named(&t)[0];
    remove_under_the_daemon(&sb.state);
    assert!(
        wait_for(Duration::from_secs(30), || sb
            .state
            .join("run/mcpd.sock")
            .exists()),
        "the daemon did not recreate its socket"
    );
    let out = expect_ok(&["start", "later"], run(&["start", "later"]));
    assert!(out.contains("started later"), "{out}");
    assert_eq!(daemons_of(&sb.state), vec![first]);
    assert_eq!(sb.daemon_pid(), Some(first));
    assert_eq!(named(&t), vec![fs]);
    let events = std::fs::read_to_string(sb.state.join("events.jsonl")).unwrap();
    assert!(events.contains("was deleted"), "{events}");
}

/// Deletes `dir` under the running daemon. Its once-a-second check may recreate the directory while
/// it is being removed (the removal then finds it not empty): removed again until one removal wins.
fn remove_under_the_daemon(dir: &std::path::Path) {
    let mut last = None;
    assert!(
        wait_for(Duration::from_secs(10), || {
            match std::fs::remove_dir_all(dir) {
                Ok(()) => true,
                Err(e) => {
                    last = Some(e);
                    false
                }
            }
        }),
        "cannot remove {}: {last:?}",
        dir.display()
    );
}
