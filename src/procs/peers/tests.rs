//! Pure tests over synthetic views; the real-process tests are in tests/it/peers.rs.

use super::*;
use crate::procs::ProcInfo;

fn h(pid: i32, fd: i32, mode: Access) -> Holder {
    Holder { pid, fd, mode }
}

fn view(stdin: Endpoint, stdin_clients: Vec<Holder>) -> StdioView {
    StdioView {
        pid: 50,
        stdin,
        stdout: Endpoint::DevNull,
        stdin_clients,
        stdout_clients: Vec::new(),
    }
}

#[test]
fn a_client_outside_the_stopped_trees_is_live() {
    let v = view(
        Endpoint::Pipe { inode: 7 },
        vec![h(40, 5, Access::Write), h(60, 9, Access::Write)],
    );
    assert_eq!(live_client(&v, &HashSet::new()), Some(40));
    assert_eq!(live_client(&v, &HashSet::from([40])), Some(60));
    assert_eq!(live_client(&v, &HashSet::from([40, 60])), None);
    assert_eq!(
        client_evidence(&v, &HashSet::from([40])),
        ClientEvidence::Live(60)
    );
    assert_eq!(
        client_evidence(&v, &HashSet::from([40, 60])),
        ClientEvidence::NoClient
    );
}

#[test]
fn stdout_clients_count_too_and_the_candidate_never_is_its_own() {
    let mut v = view(Endpoint::DevNull, vec![h(50, 3, Access::Write)]);
    v.stdout = Endpoint::Pipe { inode: 8 };
    assert_eq!(live_client(&v, &HashSet::new()), None);
    v.stdout_clients = vec![h(41, 0, Access::Read)];
    assert_eq!(live_client(&v, &HashSet::new()), Some(41));
}

#[test]
fn unreadable_stdio_is_unknown_not_abandoned() {
    let v = view(Endpoint::Unknown("process 50 is gone".into()), Vec::new());
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Unknown("stdin: process 50 is gone".into())
    );
    // A proven client wins over an unreadable other stream.
    let mut v = v;
    v.stdout = Endpoint::Pipe { inode: 1 };
    v.stdout_clients = vec![h(70, 4, Access::Read)];
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Live(70)
    );
}

#[test]
fn an_open_socket_peer_nobody_visible_holds_is_unknown() {
    let open_peer = Endpoint::Socket {
        inode: 10,
        peer: Some(11),
    };
    let v = view(open_peer.clone(), Vec::new());
    assert!(matches!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::Unknown(why) if why.contains("socket:[11]")
    ));
    // Held only by a process about to be stopped (the launcher): no client.
    let v = view(open_peer, vec![h(45, 0, Access::ReadWrite)]);
    assert_eq!(
        client_evidence(&v, &HashSet::from([45])),
        ClientEvidence::NoClient
    );
    // The peer end closed: no client.
    let v = view(
        Endpoint::Socket {
            inode: 10,
            peer: None,
        },
        Vec::new(),
    );
    assert_eq!(
        client_evidence(&v, &HashSet::new()),
        ClientEvidence::NoClient
    );
}

#[test]
fn ends_without_another_side_have_no_client() {
    for e in [
        Endpoint::DevNull,
        Endpoint::Closed,
        Endpoint::Tty("/dev/pts/4".into()),
        Endpoint::File("/tmp/log".into()),
        Endpoint::Pipe { inode: 3 },
    ] {
        assert_eq!(
            client_evidence(&view(e.clone(), Vec::new()), &HashSet::new()),
            ClientEvidence::NoClient,
            "{e:?}"
        );
    }
}

#[test]
fn views_round_trip_through_json() {
    let v = StdioView {
        pid: 9,
        stdin: Endpoint::Socket {
            inode: 1,
            peer: Some(2),
        },
        stdout: Endpoint::Fifo {
            path: "/tmp/f".into(),
        },
        stdin_clients: vec![h(3, 4, Access::ReadWrite)],
        stdout_clients: vec![h(5, 6, Access::Read)],
    };
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(serde_json::from_str::<StdioView>(&json).unwrap(), v);
    for e in [
        Endpoint::DevNull,
        Endpoint::Closed,
        Endpoint::Unknown("x".into()),
    ] {
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Endpoint>(&s).unwrap(), e);
    }
}

#[test]
fn scans_only_the_users_live_processes() {
    let p = |pid, ppid, uid, state, cmd: &[&str]| {
        ProcInfo::new(pid, ppid, cmd)
            .with_uid(uid)
            .with_state(state)
    };
    let s = Snapshot::from_procs(
        vec![
            p(1, 0, 0, 'S', &["init"]),
            p(2, 0, 0, 'S', &[]),
            p(3, 2, 0, 'I', &[]),
            p(10, 1, 1000, 'S', &["node"]),
            p(11, 10, 1000, 'Z', &[]),
            p(12, 1, 1001, 'S', &["bash"]),
            p(13, 10, 1000, 'R', &["sh"]),
        ],
        100,
        0,
        0.0,
    );
    assert_eq!(scan_pids(&s, 1000), vec![10, 13]);
    assert_eq!(scan_pids(&s, 0), vec![1]);
}

#[cfg(target_os = "linux")]
#[test]
fn same_end_holders_of_a_pipe_are_not_clients() {
    let key = b"pipe:[77]".to_vec();
    let holders = HashMap::from([(
        key,
        vec![
            h(50, 0, Access::Read),      // the candidate itself
            h(49, 0, Access::Read),      // its launcher, same read end
            h(30, 12, Access::Write),    // the client
            h(31, 3, Access::ReadWrite), // reopened read-write: may write, so reported
        ],
    )]);
    let mut o = fds::Observed {
        endpoint: Endpoint::Pipe { inode: 77 },
        mode: Access::Read,
        other_end_closed: false,
    };
    let pids = |v: Vec<Holder>| v.iter().map(|h| h.pid).collect::<Vec<_>>();
    assert_eq!(pids(clients(50, &o, &holders)), vec![30, 31]);
    // The candidate's own mode unknown: every other holder is reported, the caller decides.
    o.mode = Access::Unknown;
    assert_eq!(pids(clients(50, &o, &holders)), vec![49, 30, 31]);
    // The kernel said nobody holds the other end: nothing was looked for, nobody is reported.
    o.other_end_closed = true;
    assert!(clients(50, &o, &holders).is_empty());
}
