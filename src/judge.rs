//! The one imperative step before every judgment of orphans (`status`, `ps`, `clean`, the daemon's
//! sweep, the hook's reconcile): classify without evidence; only when that finds orphan candidates,
//! read their stdio (/proc/PID/fd, sock_diag) and classify again with it. So `status` on a clean
//! machine never opens a descriptor table, and nothing is ever stopped on lineage alone.

use std::collections::HashMap;

use crate::model::StdioView;
use crate::procs::peers;
use crate::sweep::{self, Classified, Inputs};

/// Classified processes, and the stdio evidence that was read (empty when there were no candidates).
pub fn classify(inp: &Inputs) -> (Vec<Classified>, HashMap<i32, StdioView>) {
    let first = sweep::classify(&Inputs {
        stdio: None,
        ..*inp
    });
    let candidates = sweep::candidates(&first);
    if candidates.is_empty() {
        return (first, HashMap::new());
    }
    let scan = peers::scan_pids(inp.snapshot, inp.my_uid);
    let stdio = peers::stdio_peers(&candidates, &scan);
    let again = sweep::classify(&Inputs {
        stdio: Some(&stdio),
        ..*inp
    });
    (again, stdio)
}
