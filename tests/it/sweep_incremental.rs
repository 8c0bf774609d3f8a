//! Incremental sweeps (`procs::incremental`) in a private PID namespace: a process served from
//! memory (same /proc/PID inode, parent unchanged, not MCP-like) is never judged on stale data
//! where that matters. A pid used again is read again and judged as the new process; a server
//! whose parent dies is an orphan; a plain process that execs into a server is caught by the
//! refresh; an innocent job and a live agent's servers are left alone through it all.
//! `MCPD_SWEEP_REFRESH_SECS` sets the refresh (every process read again once per period): off
//! (a day) where only the inode may tell, short where the refresh is what is tested.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::pidns::{Ns, q};
use crate::support::*;

const CONFIG: &str =
    "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n";

/// `name` in `dir`, a symlink to `target`: the program runs under that name (its `comm` and argv[0]).
fn program(dir: &Path, name: &str, target: &str) -> PathBuf {
    let p = dir.join(name);
    std::os::unix::fs::symlink(target, &p).unwrap();
    p
}

fn start_daemon(ns: &Ns, refresh_secs: &str) {
    let out = ns
        .mcpd()
        .env("MCPD_SWEEP_REFRESH_SECS", refresh_secs)
        .args(["daemon", "start"])
        .output()
        .unwrap();
    assert!(out.status.success(), "daemon start: {}", text(&out.stderr));
}

/// Waits for `n` more sweeps of the daemon.
#[track_caller]
fn sweep_n(ns: &Ns, n: u64) {
    let sweeps = || {
        ns.json(&["status", "--json"])["daemon"]["sweeps"]
            .as_u64()
            .unwrap_or(0)
    };
    let from = sweeps();
    assert!(wait_for(Duration::from_secs(60), || sweeps() >= from + n));
}

/// The inode of the namespace's /proc/PID.
fn ino(ns: &Ns, pid: i32) -> Option<u64> {
    std::fs::metadata(ns.proc_dir().join(pid.to_string()))
        .ok()
        .map(|m| m.ino())
}

/// Waits until the sweep has stopped `pid` (gone, and in the journal, which is written once the
/// whole stop is over), and returns its journal entry.
#[track_caller]
fn stopped_by_sweep(ns: &Ns, pid: i32, what: &str) -> serde_json::Value {
    let mut entry = None;
    let done = wait_for(Duration::from_secs(60), || {
        entry = ns.events().into_iter().find(|e| e["pid"] == pid);
        entry.is_some() && !ns.alive(pid)
    });
    assert!(
        done,
        "{what} ({pid}) was not stopped: {:#?}\n{:#?}",
        ns.procs(),
        ns.events()
    );
    let e = entry.unwrap();
    assert_eq!(e["actor"], "sweep", "{e}");
    e
}

/// The one live process whose command line satisfies `f`.
#[track_caller]
fn one(ns: &Ns, f: impl Fn(&crate::pidns::NsProc) -> bool) -> i32 {
    let mut found = Vec::new();
    assert!(
        wait_for(Duration::from_secs(30), || {
            found = ns.find(&f);
            found.len() == 1
        }),
        "{:#?}",
        ns.procs()
    );
    found[0]
}

#[test]
fn a_reused_pid_is_judged_anew_and_a_server_whose_parent_dies_is_an_orphan() {
    let ns = Ns::new(Sandbox::with_config(CONFIG));
    let dir = ns.sb.path().to_path_buf();
    let server = program(&dir, "mcp-server-reused", "/bin/sleep");
    program(&dir, "mcp-server-child", "/bin/sleep");
    program(&dir, "plain-parent", "/bin/bash");
    // A plain job, orphaned: never MCP-like, never judged.
    let job = ns.orphan(&dir, "sleep 100000");
    // A server under a plain parent (itself orphaned): its parent owns it.
    let parent = ns.orphan(
        &dir,
        "./plain-parent -c './mcp-server-child 100000 </dev/null >/dev/null 2>&1 & wait'",
    );
    let child = one(&ns, |p| {
        p.ppid == parent && p.cmdline[0].ends_with("mcp-server-child")
    });
    // The refresh off: only the inode can tell that pid `job` is another process below.
    start_daemon(&ns, "86400");
    sweep_n(&ns, 3);
    assert!(ns.alive(job) && ns.alive(child), "{:#?}", ns.procs());
    let old_ino = ino(&ns, job).unwrap();

    // The job exits and a server, orphaned, gets its pid (through ns_last_pid).
    ns.kill(job, "KILL");
    let mut reused = None;
    for _ in 0..20 {
        assert!(wait_for(Duration::from_secs(10), || ino(&ns, job).is_none()));
        let pid: i32 = ns
            .sh(&format!(
                "echo {} > /proc/sys/kernel/ns_last_pid; {} 100000 </dev/null >/dev/null 2>&1 & echo $!",
                job - 1,
                q(server.display().to_string())
            ))
            .trim()
            .parse()
            .unwrap();
        if pid == job {
            reused = Some(pid);
            break;
        }
        // Another process of the namespace forked first: try again once this one is gone.
        ns.kill(pid, "KILL");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = reused.expect("the server got the job's pid");
    assert_ne!(ino(&ns, pid), Some(old_ino), "a new /proc/PID inode");
    let e = stopped_by_sweep(&ns, pid, "the server on the reused pid");
    assert!(
        e["reason"].as_str().unwrap().contains("no live client"),
        "{e}"
    );

    // The parent dies: the kernel hands its server to PID 1, an orphan the sweep stops.
    assert!(ns.alive(child), "owned by its parent until then");
    ns.kill(parent, "KILL");
    let e = stopped_by_sweep(&ns, child, "the server whose parent died");
    assert!(e["reason"].as_str().unwrap().contains("pid 1"), "{e}");
}

#[test]
fn a_plain_process_that_execs_into_a_server_is_caught_and_the_innocent_are_left() {
    let ns = Ns::new(Sandbox::with_config(CONFIG));
    let dir = ns.sb.path().to_path_buf();
    program(&dir, "mcp-server-exec", "/bin/sleep");
    program(&dir, "mcp-server-live", "/bin/sleep");
    program(&dir, "mcp-server-agent", "/bin/sleep");
    program(&dir, "plain-exec", "/bin/bash");
    program(&dir, "agent", "/bin/bash");
    let job = ns.orphan(&dir, "sleep 100001");
    // An orphaned server whose client (the writer on its stdin) lives: protected.
    ns.orphan(&dir, "( sleep 100002 | ./mcp-server-live 100000 & )");
    let live = one(&ns, |p| p.cmdline[0].ends_with("mcp-server-live"));
    // An agent (its own program, not a shell) with its server: owned by the agent.
    let agent = ns.orphan(
        &dir,
        "./agent -c 'sleep 100003 | ./mcp-server-agent 100000'",
    );
    let agents = one(&ns, |p| {
        p.ppid == agent && p.cmdline[0].ends_with("mcp-server-agent")
    });
    // A plain program (not an interpreter, launcher or wrapper to mcpd) that execs into a server
    // later: same pid, same /proc/PID inode, same parent.
    let execer = ns.orphan(
        &dir,
        "./plain-exec -c 'while [ ! -e go ]; do sleep 0.2; done; exec ./mcp-server-exec 100000'",
    );
    start_daemon(&ns, "2");
    sweep_n(&ns, 3);
    std::fs::write(dir.join("go"), "").unwrap();
    let e = stopped_by_sweep(&ns, execer, "the plain process that exec'd into a server");
    assert!(
        e["command"].as_str().unwrap().contains("mcp-server-exec"),
        "judged on its new image: {e}"
    );
    // Sweeps go on, incremental and with their refresh: the innocent are never stopped.
    sweep_n(&ns, 4);
    for (pid, what) in [
        (job, "the plain job"),
        (live, "the server with a live client"),
        (agents, "the agent's server"),
    ] {
        assert!(
            ns.alive(pid),
            "{what} ({pid}) was stopped: {:#?}",
            ns.events()
        );
    }
    let events = ns.events();
    assert!(
        events
            .iter()
            .all(|e| [job, live, agent, agents].iter().all(|p| e["pid"] != *p)),
        "{events:#?}"
    );
}

/// What an incremental pass serves from memory may be stale; a stop is never decided on it. Here a
/// container-style init (`tini`, which adopts orphans: a server under it with no client is one)
/// execs into an agent that then starts its server. With the refresh off, the daemon's memory
/// still says `tini`, so on the incremental pass the new server looks adopted, with no client: a
/// stop. The sweep decides stops on a full pass, which sees the agent: the server is left.
#[test]
fn a_stop_is_never_decided_on_what_an_incremental_pass_served_from_memory() {
    let ns = Ns::new(Sandbox::with_config(CONFIG));
    let dir = ns.sb.path().to_path_buf();
    program(&dir, "tini", "/bin/bash");
    program(&dir, "agent", "/bin/bash");
    program(&dir, "mcp-server-late", "/bin/sleep");
    let init = ns.orphan(
        &dir,
        "./tini -c 'while [ ! -e go ]; do sleep 0.2; done; \
         exec ./agent -c \"./mcp-server-late 100000 </dev/null >/dev/null 2>&1 & wait\"'",
    );
    start_daemon(&ns, "86400");
    sweep_n(&ns, 3);
    std::fs::write(dir.join("go"), "").unwrap();
    let server = one(&ns, |p| {
        p.ppid == init && p.cmdline[0].ends_with("mcp-server-late")
    });
    sweep_n(&ns, 4);
    assert!(
        ns.alive(server),
        "stopped on a stale parent: {:#?}",
        ns.events()
    );
    let comm = std::fs::read_to_string(ns.proc_dir().join(format!("{init}/comm"))).unwrap();
    assert_eq!(comm.trim(), "agent");
    assert!(
        ns.events().iter().all(|e| e["pid"] != server),
        "{:#?}",
        ns.events()
    );
}
