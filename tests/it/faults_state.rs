//! Issue 15, the fault matrix: the state directory read-only, full (a small tmpfs mounted in the
//! test's own mount namespace), and deleted under a running daemon. Whatever cannot be written must be
//! reported, must not lose a record, and must not leave a server running unrecorded.

use std::time::Duration;

use crate::faults::*;
use crate::pidns::*;
use crate::support::*;

fn servers() -> String {
    // `late` is not eager: started by hand while the state dir is broken.
    format!(
        "{}{}{}start = \"on-connect\"\n",
        server("g", "global", &sleeper("mcp-server-g")),
        server("notes", "session", &sleeper("mcp-server-notes")),
        server("late", "global", &sleeper("mcp-server-late")),
    )
}

/// The common setup: bystanders, a global server, sessions keep and X with their session servers.
fn setup(ns: &Ns) -> (Bystanders, i32, i32, i32) {
    let by = Bystanders::start(ns);
    ns.ok(&["tm", "-d", "keep"]);
    ns.ok(&["tm", "-d", "X"]);
    let g = running(ns, "g", None);
    let keep = running(ns, "notes", Some("keep"));
    let x = running(ns, "notes", Some("X"));
    (by, g, keep, x)
}

/// `mcpd start late` must fail, say why, and leave nothing of `late` running.
#[track_caller]
fn start_late_fails(ns: &Ns, why: &str) {
    let out = ns.run(&["start", "late"]);
    assert!(
        !out.status.success(),
        "`mcpd start late` succeeded with the state dir {why}: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(&ns.sb.state.display().to_string()) || err.contains("record"),
        "the error does not say what failed: {err}"
    );
    sweep_n(ns, 1);
    assert!(
        named_in(ns, "mcp-server-late").is_empty() && owned_by(ns, "global:late").is_empty(),
        "an unrecorded server runs: {:#?}",
        ns.procs()
    );
}

#[test]
fn read_only_state_dir_fails_loudly_and_loses_nothing() {
    let ns = daemon_ns(&servers());
    let (by, g, keep, x) = setup(&ns);
    let before = records(&ns);
    let state = q(ns.sb.state.display().to_string());
    ns.sh(&format!(
        "mount --bind {state} {state} && mount -o remount,bind,ro {state}"
    ));
    start_late_fails(&ns, "read-only");
    // A session closed meanwhile: its server is stopped though nothing can be written.
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(x)),
        "X's server survived its session with the state dir read-only"
    );
    // The daemon says that it cannot write its state.
    let st = status(&ns).to_string();
    assert!(
        st.contains("read-only") || st.contains("Read-only"),
        "`status --json` does not report the read-only state dir: {st}"
    );
    ns.sh(&format!("umount {state}"));
    // Writable again: what was recorded is still there, and X's record goes with the next sweeps.
    assert!(
        wait_for(Duration::from_secs(30), || {
            let now = records(&ns);
            now.iter().all(|r| before.contains(r)) && !now.iter().any(|r| r.1 == x)
        }),
        "before {before:?}, now {:?}",
        records(&ns)
    );
    for r in [
        ("global:g".to_string(), g),
        ("session:keep".to_string(), keep),
    ] {
        assert!(records(&ns).contains(&r), "{r:?} lost");
    }
    ns.ok(&["start", "late"]);
    running(&ns, "late", None);
    assert!(ns.alive(g) && ns.alive(keep));
    by.alive(&ns);
}

#[test]
fn full_state_dir_fails_loudly_and_loses_nothing() {
    let ns = daemon_ns(&servers());
    let state = q(ns.sb.state.display().to_string());
    ns.sh(&format!(
        "mkdir -p {state} && mount -t tmpfs -o size=2m,mode=0700 mcpd-full {state}"
    ));
    let (by, g, keep, x) = setup(&ns);
    let before = records(&ns);
    // Fill it: the last write fails with ENOSPC.
    let out = ns
        .cmd("sh")
        .arg("-c")
        .arg(format!("dd if=/dev/zero of={state}/fill bs=4k 2>&1"))
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("No space left"),
        "{}",
        text(&out.stdout)
    );
    start_late_fails(&ns, "full");
    ns.tmux_ok(&["kill-session", "-t", "=X"]);
    assert!(
        wait_for(Duration::from_secs(30), || !ns.alive(x)),
        "X's server survived its session with the state dir full"
    );
    sweep_n(&ns, 2);
    // Nothing recorded was lost or truncated by the failed writes.
    let now = records(&ns);
    for r in &before {
        assert!(now.contains(r) || r.1 == x, "record {r:?} lost: {now:?}");
    }
    let st = status(&ns).to_string();
    assert!(
        st.contains("No space left") || st.contains("full"),
        "`status --json` does not report the full state dir: {st}"
    );
    ns.sh(&format!("rm {state}/fill"));
    assert!(
        wait_for(Duration::from_secs(30), || !records(&ns)
            .iter()
            .any(|r| r.1 == x)),
        "X's record stays: {:?}",
        records(&ns)
    );
    ns.ok(&["start", "late"]);
    running(&ns, "late", None);
    assert!(ns.alive(g) && ns.alive(keep));
    by.alive(&ns);
}
