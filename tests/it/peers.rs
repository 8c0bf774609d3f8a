//! The stdio peers of real processes: pipes (Python's subprocess), socketpairs (Node's child_process),
//! named pipes, /dev/null, closed and vanished descriptors. This test process plays the client, and so do
//! real node and python parents.
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mcpd::procs::peers::{
    Access, ClientEvidence, Endpoint, Holder, StdioView, client_evidence, live_client, scan_pids,
    stdio_peers,
};
use mcpd::procs::{Snapshot, my_uid};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};

use crate::support::*;

/// Children killed and reaped by pid when the test ends, however it ends.
struct Kids(Vec<Child>);

impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn me() -> i32 {
    std::process::id() as i32
}

fn pid_of(c: &Child) -> i32 {
    c.id() as i32
}

/// The view of one candidate, scanning this test, its children and `more`.
fn view_of(pid: i32, more: &[i32]) -> StdioView {
    let mut scan = vec![me(), pid];
    scan.extend_from_slice(more);
    let mut views = stdio_peers(&[pid], &scan);
    views.remove(&pid).expect("a view for every candidate")
}

fn pids(holders: &[Holder]) -> Vec<i32> {
    holders.iter().map(|h| h.pid).collect()
}

#[test]
fn a_piped_child_has_this_test_as_its_client() {
    let child = Command::new("sleep")
        .arg("300")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let kid = pid_of(&child);
    let _kids = Kids(vec![child]);
    // A realistic scan: every process of this user, as the sweep will do it.
    let scan = scan_pids(&Snapshot::take().unwrap(), my_uid());
    assert!(scan.contains(&kid));
    let v = stdio_peers(&[kid], &scan).remove(&kid).unwrap();
    assert!(matches!(v.stdin, Endpoint::Pipe { .. }), "{v:?}");
    assert!(matches!(v.stdout, Endpoint::Pipe { .. }), "{v:?}");
    assert!(
        v.stdin_clients
            .iter()
            .any(|h| h.pid == me() && h.mode == Access::Write),
        "this test holds the write end of the child's stdin: {v:?}"
    );
    assert!(
        v.stdout_clients
            .iter()
            .any(|h| h.pid == me() && h.mode == Access::Read),
        "this test holds the read end of the child's stdout: {v:?}"
    );
    assert_eq!(live_client(&v, &HashSet::new()), Some(me()));
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Live(me())
    );
    // When the client is among the processes about to be stopped, it protects nothing.
    assert_eq!(
        client_evidence(&v, &HashSet::from([me()])),
        ClientEvidence::NoClient
    );
}

#[test]
fn a_grandchild_sharing_the_same_stdin_end_is_not_a_client() {
    // `sh` runs `sleep` in the background with the same stdin (the launcher-chain shape: npm exec -> sh ->
    // node all hold the read end). Background jobs get /dev/null unless told, hence fd 3.
    let mut child = Command::new("sh")
        .args(["-c", "exec 3<&0; sleep 300 <&3 3<&- & echo $!; wait"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let sh = pid_of(&child);
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let grandchild: i32 = line.trim().parse().unwrap();
    let _kids = Kids(vec![child]);
    let sb = Sandbox::new(); // dropped first: the grandchild is stopped before its parent
    sb.track(grandchild);
    // `echo $!` runs as soon as the job is forked: wait until it has set up its stdin and run sleep.
    assert!(wait_for(Duration::from_secs(10), || {
        std::fs::read(format!("/proc/{grandchild}/cmdline"))
            .is_ok_and(|c| c.starts_with(b"sleep\0"))
    }));

    let views = stdio_peers(&[sh, grandchild], &[me(), sh, grandchild]);
    for pid in [sh, grandchild] {
        let v = &views[&pid];
        assert!(matches!(v.stdin, Endpoint::Pipe { .. }), "{v:?}");
        assert_eq!(
            v.stdin_clients,
            vec![Holder {
                pid: me(),
                fd: v.stdin_clients[0].fd,
                mode: Access::Write
            }],
            "only this test writes to the stdin of {pid}: {v:?}"
        );
        assert_eq!(pids(&v.stdout_clients), vec![me()], "{v:?}");
    }
    assert_eq!(views[&sh].stdin, views[&grandchild].stdin);
}

#[test]
fn a_socketpair_child_is_found_through_sock_diag_until_its_client_closes() {
    // CLOEXEC: children that other tests spawn meanwhile must not inherit this test's end.
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .unwrap();
    let child = {
        let theirs2: OwnedFd = theirs.try_clone().unwrap();
        Command::new("sleep")
            .arg("300")
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::from(theirs2))
            .spawn()
            .unwrap()
        // The Command, and with it this process's copies of the child's end, is dropped here.
    };
    let kid = pid_of(&child);
    let _kids = Kids(vec![child]);

    let v = view_of(kid, &[]);
    let Endpoint::Socket {
        inode,
        peer: Some(peer),
    } = v.stdin
    else {
        panic!("stdin is a connected socket: {v:?}");
    };
    assert_ne!(inode, peer);
    assert_eq!(v.stdout, v.stdin, "one socket serves both");
    assert_eq!(pids(&v.stdin_clients), vec![me()], "{v:?}");
    assert_eq!(pids(&v.stdout_clients), vec![me()], "{v:?}");
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Live(me())
    );

    drop(ours);
    // Another test's child, between its fork and its exec, may hold a copy of our end for a moment
    // (CLOEXEC closes it only at the exec): the peer goes when the last copy does.
    let mut v = view_of(kid, &[]);
    wait_for(Duration::from_secs(10), || {
        v = view_of(kid, &[]);
        v.stdin == Endpoint::Socket { inode, peer: None }
    });
    assert_eq!(v.stdin, Endpoint::Socket { inode, peer: None }, "{v:?}");
    assert!(v.stdin_clients.is_empty() && v.stdout_clients.is_empty());
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::NoClient
    );
}

/// Runs `program args` (a parent that spawns `sleep 300` and prints its pid) and returns the parent, the
/// sleep's pid, and the sandbox that stops the sleep (drop it before the parent: no orphan is left).
fn parent_of_sleep(program: &str, args: &[&str]) -> (Kids, i32, Sandbox) {
    let mut parent = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(parent.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let kids = Kids(vec![parent]);
    let sleep: i32 = line.trim().parse().unwrap();
    let sb = Sandbox::new();
    sb.track(sleep);
    (kids, sleep, sb)
}

#[test]
fn node_child_process_gives_socketpairs_and_the_agent_is_the_client() {
    let js = "const c = require('child_process').spawn('sleep', ['300'], \
              { stdio: ['pipe', 'pipe', 'inherit'] }); console.log(c.pid); setInterval(() => {}, 1e6);";
    let (kids, sleep, _sb) = parent_of_sleep("node", &["-e", js]);
    let node = pid_of(&kids.0[0]);
    let v = view_of(sleep, &[node]);
    assert!(
        matches!(v.stdin, Endpoint::Socket { peer: Some(_), .. }),
        "{v:?}"
    );
    assert!(
        matches!(v.stdout, Endpoint::Socket { peer: Some(_), .. }),
        "{v:?}"
    );
    assert_eq!(pids(&v.stdin_clients), vec![node], "{v:?}");
    assert_eq!(pids(&v.stdout_clients), vec![node], "{v:?}");
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Live(node)
    );
}

#[test]
fn python_subprocess_gives_pipes_and_the_agent_is_the_client() {
    let py = "import subprocess, time\n\
              p = subprocess.Popen(['sleep', '300'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)\n\
              print(p.pid, flush=True)\ntime.sleep(300)";
    let (kids, sleep, _sb) = parent_of_sleep("python3", &["-c", py]);
    let python = pid_of(&kids.0[0]);
    let v = view_of(sleep, &[python]);
    assert!(matches!(v.stdin, Endpoint::Pipe { .. }), "{v:?}");
    assert_eq!(
        v.stdin_clients
            .iter()
            .map(|h| (h.pid, h.mode))
            .collect::<Vec<_>>(),
        vec![(python, Access::Write)],
        "{v:?}"
    );
    assert_eq!(
        v.stdout_clients
            .iter()
            .map(|h| (h.pid, h.mode))
            .collect::<Vec<_>>(),
        vec![(python, Access::Read)],
        "{v:?}"
    );
}

#[test]
fn a_tcp_stdin_is_unknown_never_abandoned() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server_end, _) = listener.accept().unwrap();
    let child = Command::new("sleep")
        .arg("300")
        .stdin(Stdio::from(OwnedFd::from(server_end)))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let kid = pid_of(&child);
    let _kids = Kids(vec![child]);
    let v = view_of(kid, &[]);
    assert!(
        matches!(&v.stdin, Endpoint::Unknown(why) if why.contains("not a UNIX socket")),
        "{v:?}"
    );
    assert!(matches!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Unknown(_)
    ));
}

#[test]
fn dev_null_and_closed_stdio_have_no_client() {
    let null = Command::new("sleep")
        .arg("300")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let closed = Command::new("sh")
        .args(["-c", "exec sleep 300 <&- >&-"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (null_pid, closed_pid) = (pid_of(&null), pid_of(&closed));
    let _kids = Kids(vec![null, closed]);
    let v = view_of(null_pid, &[]);
    assert_eq!(
        (&v.stdin, &v.stdout),
        (&Endpoint::DevNull, &Endpoint::DevNull)
    );
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::NoClient
    );
    // `exec` replaces sh; wait until it has, so fd 0 is sleep's.
    assert!(wait_for(Duration::from_secs(10), || {
        view_of(closed_pid, &[]).stdin == Endpoint::Closed
    }));
    let v = view_of(closed_pid, &[]);
    assert_eq!(
        (&v.stdin, &v.stdout),
        (&Endpoint::Closed, &Endpoint::Closed)
    );
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::NoClient
    );
}

#[test]
fn a_vanished_or_exited_process_is_unknown_without_error() {
    let mut zombie = Command::new("sleep").arg("300").spawn().unwrap();
    let mut reaped = Command::new("true").spawn().unwrap();
    reaped.wait().unwrap();
    zombie.kill().unwrap();
    let zpid = pid_of(&zombie);
    assert!(wait_for(Duration::from_secs(10), || gone(zpid)));
    let rpid = pid_of(&reaped);
    let views = stdio_peers(&[zpid, rpid], &[me(), zpid, rpid]);
    for pid in [zpid, rpid] {
        let v = &views[&pid];
        assert!(
            matches!(&v.stdin, Endpoint::Unknown(why) if why.contains("gone")),
            "{pid}: {v:?}"
        );
        assert!(matches!(
            client_evidence(v, &HashSet::new()),
            ClientEvidence::Unknown(_)
        ));
    }
    zombie.wait().unwrap();
}

#[test]
fn a_named_pipe_is_followed_by_path_and_access_mode() {
    let sb = Sandbox::new();
    let fifo = sb.path().join("in.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // The child blocks opening the FIFO until this test opens it for writing.
    let script = format!("exec sleep 300 < '{}'", fifo.display());
    let child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let kid = pid_of(&child);
    let _kids = Kids(vec![child]);
    let _writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        matches!(view_of(kid, &[]).stdin, Endpoint::Fifo { .. })
    }));
    let v = view_of(kid, &[]);
    assert_eq!(
        v.stdin,
        Endpoint::Fifo {
            path: fifo.display().to_string()
        }
    );
    assert_eq!(pids(&v.stdin_clients), vec![me()], "{v:?}");
    assert_eq!(v.stdin_clients[0].mode, Access::Write);
}

/// Not an assertion: the cost of one `stdio_peers` pass with ~1,000 more processes to scan
/// (`cargo test --release --test it measure_stdio_peers -- --ignored --nocapture`).
#[test]
#[ignore]
fn measure_stdio_peers() {
    use std::time::Instant;
    let spawn = |stdin: Stdio| {
        Command::new("sleep")
            .arg("600")
            .stdin(stdin)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kids = Kids((0..1000).map(|_| spawn(Stdio::null())).collect());
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .unwrap();
    kids.0.push(spawn(Stdio::piped()));
    kids.0.push(spawn(Stdio::from(theirs)));
    let candidates: Vec<i32> = kids.0[kids.0.len() - 4..].iter().map(pid_of).collect();
    let t = Instant::now();
    let snap = Snapshot::take().unwrap();
    let snapshot_took = t.elapsed();
    let scan = scan_pids(&snap, my_uid());
    let fds: usize = scan
        .iter()
        .filter_map(|p| std::fs::read_dir(format!("/proc/{p}/fd")).ok())
        .map(|d| d.count())
        .sum();
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let views = stdio_peers(&candidates, &scan);
        times.push(t.elapsed());
        assert_eq!(views.len(), candidates.len());
        assert!(
            views
                .values()
                .any(|v| live_client(v, &HashSet::new()) == Some(me()))
        );
    }
    times.sort();
    println!(
        "stdio_peers: {} candidates, {} processes ({fds} fds) scanned: median {:?}, min {:?} \
         (Snapshot::take {snapshot_took:?})",
        candidates.len(),
        scan.len(),
        times[times.len() / 2],
        times[0]
    );
    drop(ours);
}
