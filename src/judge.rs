//! The one imperative step before every judgment of orphans (`status`, `ps`, `clean`, the daemon's
//! sweep, the hook's reconcile): classify without evidence; only when that finds orphan candidates,
//! read their stdio (/proc/PID/fd, sock_diag) and classify again with it. So `status` on a clean
//! machine never opens a descriptor table, and nothing is ever stopped on lineage alone.

use std::collections::HashMap;

use crate::matcher::{Kind, Matcher};
use crate::model::{ProcInfo, StdioView};
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

/// For incremental passes (`procs::incremental`): whether `p`'s command line must be read again even
/// though its process image is the one seen before. Yes for every process of `uid` whose command line
/// could make a stop: interpreters (which can retitle themselves), launchers, wrappers and MCP-like
/// processes. A plain program that is not MCP-like can at worst be missed as a candidate or taken
/// as an owner on a stale name. Other users' processes are never candidates: their command lines
/// are read again only for a new image.
pub fn reread(matcher: &Matcher, uid: u32, p: &ProcInfo) -> bool {
    p.uid == uid && (matcher.program(p).kind != Kind::Plain || matcher.is_mcp(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_could_make_a_stop_is_read_every_time() {
        let m = Matcher::from_config(&crate::config::Config::default());
        let p = |uid: u32, args: &[&str]| ProcInfo {
            pid: 5,
            uid,
            comm: args[0].into(),
            cmdline: args.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert!(
            reread(&m, 1, &p(1, &["node", "/x/cli.js"])),
            "an interpreter"
        );
        assert!(
            reread(&m, 1, &p(1, &["npx", "-y", "some-pkg"])),
            "a launcher"
        );
        assert!(
            reread(&m, 1, &p(1, &["sh", "-c", "sleep 1; true"])),
            "a wrapper"
        );
        assert!(reread(&m, 1, &p(1, &["mcp-server-time"])), "MCP-like");
        assert!(!reread(&m, 1, &p(1, &["sleep", "100"])), "a plain program");
        assert!(
            !reread(&m, 1, &p(2, &["node", "/x/cli.js"])),
            "another user's"
        );
    }
}
