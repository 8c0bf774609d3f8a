//! mcpd's benchmarks (a bench binary: `cargo bench --bench mcpd_bench -- PART...`). Results are
//! printed as Markdown for BENCHMARKS.md. Every process started here is stopped by pid. The parts:
//!
//! - status (parts/basic.rs): `mcpd status --json` wall time with 1,000 and 3,000 extra processes on
//!   the machine, side by side with `ps -eo pid,ppid,rss,args`, alternating, same run.
//! - stop (parts/basic.rs): stop latency for a cooperative tree and a SIGTERM-ignoring tree (library
//!   `stop_trees`).
//! - session (parts/basic.rs): tmux kill-session to last process gone for the real npx tree, with
//!   mcpd's hook, and the control without mcpd (what is left behind).
//! - daemon (parts/daemon.rs): idle RSS and CPU at two sweep intervals; one sweep at 3,000.
//! - connect (parts/connect.rs): shared vs direct memory; latency one bridge adds.
//! - scale (run alone: `scale [SIZES...]`, parts/scale.rs): issue 16's table, in a PID namespace.
//! - idle (run alone: `idle [SIZES...]`, default 100 10000; parts/idle.rs): the idle daemon's RSS
//!   and CPU with SIZE processes in a private PID namespace.
//! - bridge (run alone: `bridge`, parts/bridge.rs): latency and throughput at 1, 5 and 20 clients
//!   through `mcpd connect` against server-everything, side by side with a server per client.

#[path = "parts/basic.rs"]
mod basic;
#[path = "parts/bridge.rs"]
mod bridge;
#[path = "parts/common.rs"]
mod common;
#[path = "parts/connect.rs"]
mod connect;
#[path = "parts/daemon.rs"]
mod daemon;
#[path = "parts/idle.rs"]
mod idle;
#[path = "parts/scale.rs"]
mod scale;

// scale.rs names these through `super::`.
use common::{Sandbox, median, time_cmd};

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // These run on their own: a PID namespace, or minutes of their own.
    match filter.first().map(String::as_str) {
        Some("scale") => return scale::outer(&filter[1..]),
        Some("scale-inner") => return scale::inner(&filter[1..]),
        Some("idle") => return idle::outer(&filter[1..]),
        Some("idle-inner") => return idle::inner(&filter[1..]),
        Some("bridge") => return bridge::run_all(),
        _ => {}
    }
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    println!(
        "# mcpd benchmarks ({} cores)\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if want("status") {
        basic::status();
    }
    if want("stop") {
        basic::stop();
    }
    if want("session") {
        basic::session();
    }
    if want("daemon") {
        daemon::daemon();
    }
    if want("connect") {
        connect::connect();
    }
}
