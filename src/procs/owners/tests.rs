use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use super::*;
use crate::procs::{EnvTags, Identity, StopOptions, StopTarget};

fn sleeper(uid: Option<u32>) -> Child {
    let mut c = Command::new("sleep");
    c.arg("60").stdin(Stdio::null());
    if let Some(uid) = uid {
        c.uid(uid).gid(uid);
    }
    let child = c.spawn().unwrap();
    // Until it runs `sleep` (after the fork it briefly runs this test's image).
    let pid = child.id();
    for _ in 0..500 {
        if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child
}

fn stop(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

/// Root is needed to start another user's process; CI runs as root, so there it must not skip.
fn root_or_skip(what: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} needs root, and CI runs as root"
    );
    eprintln!("skipped (needs root): {what}");
    false
}

#[test]
fn a_pass_leaves_owners_unread_and_settles_them_from_the_cache_or_from_proc() {
    let child = sleeper(None);
    let pid = child.id() as i32;
    let me = nix::unistd::geteuid().as_raw();

    let snap = Snapshot::take_owners_later().unwrap();
    let p = snap.get(pid).unwrap();
    assert_eq!(p.uid, UID_UNREAD, "the pass read no owner");
    assert!(
        crate::procs::guard::Guard::for_self(&snap)
            .refusal(p)
            .is_some(),
        "an unread owner is never taken for this user's"
    );

    // Kernel threads (seen when this test is not in a PID namespace) are root's without a read.
    for k in snap.procs.values().filter(|k| {
        std::fs::read_to_string(format!("/proc/{}/stat", k.pid))
            .ok()
            .and_then(|t| crate::procs::linux::parse_stat(&t))
            .is_some_and(|st| st.flags & crate::procs::linux::PF_KTHREAD != 0)
    }) {
        assert_eq!(k.uid, 0, "kernel thread {} ({})", k.pid, k.comm);
    }

    // Nothing cached: every owner is read.
    let mut read = snap.clone();
    settle(&mut read, None, 4242);
    assert_eq!(read.get(pid).unwrap().uid, me);
    let me_too = std::process::id() as i32;
    assert_eq!(read.get(me_too).unwrap().uid, me);

    // The cache knows the child's image: it is served (given the uid passed, 4242 here, which no
    // read would give), and everything else is read.
    let mut cache = EnvCache::new(snap.boot_time);
    let mut seen = p.clone();
    seen.uid = me;
    cache.insert(&seen, EnvTags::default(), false);
    let mut served = snap.clone();
    settle(&mut served, Some(&cache), 4242);
    assert_eq!(served.get(pid).unwrap().uid, 4242, "served from the cache");
    assert_eq!(served.get(me_too).unwrap().uid, me, "read from /proc");

    // Another image under the same pid and start time (an exec: another command line) is read.
    let mut execd = snap.clone();
    execd.procs.get_mut(&pid).unwrap().cmdline = vec!["node".into(), "x.js".into()];
    settle(&mut execd, Some(&cache), 4242);
    assert_eq!(execd.get(pid).unwrap().uid, me);

    // The cache never holds another user's process: such an entry is not written at all.
    let mut foreign = seen.clone();
    foreign.uid = me.wrapping_add(1);
    foreign.pid = pid + 100_000;
    cache.insert(&foreign, EnvTags::default(), false);
    assert!(!cache.knows(&foreign));
    stop(child);
}

#[test]
fn another_users_process_is_read_as_theirs_and_a_stop_refuses_it_whatever_the_snapshot_says() {
    if !root_or_skip("starting another user's process") {
        return;
    }
    let child = sleeper(Some(65534));
    let pid = child.id() as i32;
    let mut snap = Snapshot::take_owners_later().unwrap();
    settle(&mut snap, None, 0);
    let p = snap.get(pid).unwrap().clone();
    assert_eq!(p.uid, 65534);
    assert_eq!(owner_now(pid), Some(65534));

    // A stale snapshot that says it is this user's (a cached owner that dropped to another user):
    // the stop reads the owner of what it pinned, and refuses.
    snap.procs.get_mut(&pid).unwrap().uid = 0;
    let out = crate::procs::stop_trees_seen(
        &snap,
        &[StopTarget {
            identity: Identity::of(&p),
            pgid: None,
            leader_exited: false,
        }],
        &StopOptions::with_grace(std::time::Duration::from_millis(200)),
    )
    .unwrap();
    assert!(out.stopped.is_empty(), "{out:?}");
    assert!(
        out.refused
            .iter()
            .any(|(r, _, why)| *r == pid && why.contains("another user")),
        "{out:?}"
    );
    assert!(
        crate::procs::Identity::of(&p).pid == pid
            && std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| !s.contains(") Z ")),
        "the other user's process was stopped"
    );
    stop(child);
}
