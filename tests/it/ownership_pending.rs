//! NOT registered in main.rs: scenarios that fail with the current implementation, kept here with their
//! diagnosis until the lead fixes them (then move each test to its file and register it).

use crate::pidns::*;
use crate::support::*;

/// Fails about 1 run in 3 with two `yes` loads on the 2-core machine (seen once in a full
/// `cargo test --test it`): `mcpd daemon stop` exits 1 with "the daemon at .../mcpd.sock sent an
/// unreadable answer: EOF while parsing a value at line 1 column 0", though the daemon does stop. The
/// supervisor answers `Shutdown` through the oneshot and sets `shutdown` (src/daemon/supervisor.rs,
/// `request`); its loop (`while !sup.shutdown`) ends at once and src/daemon/mod.rs shuts the runtime
/// down (`rt.shutdown_timeout`), dropping the control connection's task (src/daemon/control.rs) before
/// it has written the answer. The client (src/commands/daemon.rs, `DaemonCommand::Stop`) then fails on
/// the EOF instead of going on to wait for the pid. Fix either side: let in-flight control tasks finish
/// before the runtime goes, and/or treat an EOF after `Shutdown` as "stopping".
#[test]
fn daemon_stop_succeeds_every_time() {
    let ns = Ns::new(Sandbox::with_config(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\n",
    ));
    for round in 0..30 {
        ns.ok(&["daemon", "start"]);
        let out = ns.run(&["daemon", "stop"]);
        assert!(
            out.status.success(),
            "round {round}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}
