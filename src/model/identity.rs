//! Process identity as a plain value: a pid plus its kernel start time. A pid alone is not an identity
//! (pids are recycled); checking one against the live system (`is_alive`, pinning) lives in `procs`.

use serde::{Deserialize, Serialize};

use super::process::ProcInfo;

/// Who a process is: pid + start time (clock ticks since boot on Linux).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub pid: i32,
    pub start_ticks: u64,
}

impl Identity {
    pub fn of(p: &ProcInfo) -> Identity {
        Identity {
            pid: p.pid,
            start_ticks: p.start_ticks,
        }
    }
}
