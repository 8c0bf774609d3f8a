//! Servers that run in several copies, one per agent session, although they could be shared:
//! "4 copies of mcp-server-filesystem in 4 sessions: `mcpd link claude` shares them". Pure:
//! the process snapshot and the classification in, findings out (status and the dashboard show
//! them among the recommendations).
//!
//! Only servers that could share count: not those mcpd already runs (a recorded spawn or a
//! `MCPD_OWNER` global server), not orphans (`mcpd clean` is the advice for those), not launchers
//! (the server process itself is counted once, not `npm exec` and `sh` above it). Copies are
//! the same server when their command lines are equal: same program, same arguments.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::procs::{ProcInfo, Snapshot};
use crate::state::{Origin, Owner};
use crate::sweep::Classified;
use crate::units::human_bytes;

/// One server running in several copies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// A short name for it (the package or script), e.g. `mcp-server-filesystem`.
    pub server: String,
    /// Its command line.
    pub command: String,
    /// How many copies run.
    pub copies: usize,
    /// In how many tmux sessions (copies outside tmux count one each).
    pub sessions: usize,
    /// Their memory together.
    pub rss_bytes: u64,
    /// The `mcpd link` agents that started them (empty: unknown).
    pub agents: Vec<String>,
}

impl Duplicate {
    /// The advice, as a sentence.
    pub fn advice(&self) -> String {
        let link = if self.agents.len() == 1 {
            format!("`mcpd link {}`", self.agents[0])
        } else {
            "`mcpd link all`".to_owned()
        };
        format!(
            "{} copies of {} in {} session{} ({}): `mcpd import` then {link} shares them",
            self.copies,
            self.server,
            self.sessions,
            if self.sessions == 1 { "" } else { "s" },
            human_bytes(self.rss_bytes),
        )
    }
}

/// The servers that run in two copies or more, most copies first.
pub fn find(snapshot: &Snapshot, classified: &[Classified]) -> Vec<Duplicate> {
    let mcp: std::collections::HashSet<i32> = classified.iter().map(|c| c.pid).collect();
    let mut groups: BTreeMap<String, Vec<(&Classified, &ProcInfo)>> = BTreeMap::new();
    for c in classified {
        let Some(p) = snapshot.get(c.pid) else {
            continue;
        };
        let shared_already = matches!(c.owner, Some(Owner::Global(_)))
            || c.recorded == Some(Origin::Spawned)
            || p.env.as_ref().is_some_and(|e| e.mcpd_owner.is_some());
        // The server itself: its launchers have an MCP-like child, it has none.
        let launcher = snapshot
            .children_of(c.pid)
            .iter()
            .any(|ch| mcp.contains(ch));
        if shared_already || c.orphan.is_some() || launcher || p.cmdline.is_empty() {
            continue;
        }
        groups.entry(p.command()).or_default().push((c, p));
    }
    let mut out: Vec<Duplicate> = groups
        .into_iter()
        .filter(|(_, g)| g.len() >= 2)
        .map(|(command, g)| {
            let mut sessions: Vec<String> = g
                .iter()
                .map(|(c, p)| match &c.owner {
                    Some(Owner::Session(s)) => format!("s:{s}"),
                    _ => format!("p:{}", p.pid),
                })
                .collect();
            sessions.sort();
            sessions.dedup();
            let mut agents: Vec<String> = g
                .iter()
                .filter_map(|(_, p)| agent_of(snapshot, p.pid))
                .map(str::to_owned)
                .collect();
            agents.sort();
            agents.dedup();
            Duplicate {
                server: short_name(&g[0].1.cmdline),
                command,
                copies: g.len(),
                sessions: sessions.len(),
                rss_bytes: g.iter().map(|(_, p)| snapshot.tree_rss(p.pid)).sum(),
                agents,
            }
        })
        .collect();
    out.sort_by(|a, b| b.copies.cmp(&a.copies).then(a.server.cmp(&b.server)));
    out
}

/// The interpreters whose first argument names the server.
const INTERPRETERS: &[&str] = &[
    "node", "python", "python3", "bun", "deno", "uv", "uvx", "npx",
];

/// `node /x/node_modules/.bin/mcp-server-filesystem ~/src` -> `mcp-server-filesystem`.
fn short_name(argv: &[String]) -> String {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
    let prog = base(&argv[0]);
    let interp = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !INTERPRETERS.contains(&interp) {
        return prog;
    }
    let mut args = argv[1..].iter().filter(|a| !a.starts_with('-'));
    let first = args.next().map(String::as_str).unwrap_or(&prog);
    // `node .../pkg/dist/index.js`: the package's folder says more than `index.js`.
    let parts: Vec<&str> = first.split('/').collect();
    let name = match parts.as_slice() {
        [.., pkg, "dist" | "build" | "lib", file] if file.starts_with("index.") => pkg,
        [.., file] => file,
        [] => first,
    };
    base(name)
}

/// The agent (as `mcpd link` names it) that started `pid`: the first ancestor that is one.
fn agent_of(snapshot: &Snapshot, pid: i32) -> Option<&'static str> {
    snapshot.ancestors(pid).into_iter().find_map(|a| {
        let p = snapshot.get(a)?;
        let prog = |s: &str| s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase();
        let argv0 = prog(p.cmdline.first().map_or(p.comm.as_str(), String::as_str));
        let script = p
            .cmdline
            .get(1)
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        Some(match argv0.as_str() {
            "claude" => "claude",
            "codex" => "codex",
            "gemini" => "gemini",
            "opencode" => "opencode",
            "goose" => "goose",
            "amp" => "amp",
            "copilot" => "copilot",
            "cursor" | "cursor-agent" => "cursor",
            "zed" | "zed-editor" => "zed",
            "windsurf" => "windsurf",
            "kiro" => "kiro",
            "node" if script.contains("claude-code") => "claude",
            "node" if script.contains("@openai/codex") => "codex",
            "node" if script.contains("gemini-cli") => "gemini",
            "node" if script.contains("@github/copilot") => "copilot",
            _ => return None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: i32, ppid: i32, argv: &[&str]) -> ProcInfo {
        ProcInfo::new(pid, ppid, argv).with_rss(50 << 20)
    }

    fn class(pid: i32, owner: Option<Owner>) -> Classified {
        Classified::owned(pid, owner)
    }

    const FS: &[&str] = &["node", "/n/.bin/mcp-server-filesystem", "/home/u"];

    /// Four claude sessions, each running npm exec -> node server-filesystem; one global server.
    fn machine() -> (Snapshot, Vec<Classified>) {
        let mut procs = Vec::new();
        let mut classified = Vec::new();
        for i in 0..4 {
            let base = 100 + i * 10;
            procs.push(proc(base, 1, &["claude"]));
            procs.push(proc(
                base + 1,
                base,
                &["npm", "exec", "@m/server-filesystem"],
            ));
            procs.push(proc(base + 2, base + 1, FS));
            let owner = Some(Owner::Session(format!("s{i}")));
            classified.push(class(base + 1, owner.clone()));
            classified.push(class(base + 2, owner));
        }
        procs.push(proc(300, 1, FS));
        classified.push(class(300, Some(Owner::Global("fs".into()))));
        (Snapshot::from_procs(procs, 100, 0, 0.0), classified)
    }

    #[test]
    fn copies_in_sessions_are_found_with_the_agent_to_link() {
        let (snap, classified) = machine();
        let d = find(&snap, &classified);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].copies, d[0].sessions), (4, 4));
        assert_eq!(d[0].server, "mcp-server-filesystem");
        assert_eq!(d[0].agents, ["claude"]);
        assert!(
            d[0].advice()
                .starts_with("4 copies of mcp-server-filesystem in 4 sessions"),
            "{}",
            d[0].advice()
        );
        assert!(d[0].advice().contains("`mcpd link claude`"));
    }

    #[test]
    fn shared_orphaned_and_single_servers_do_not_count() {
        let (snap, mut classified) = machine();
        // Two of the copies are orphans: two left, still a duplicate.
        let gone = || {
            Some(crate::sweep::OrphanWhy::SessionGone {
                session: "s".into(),
            })
        };
        classified[1].orphan = gone();
        classified[3].orphan = gone();
        assert_eq!(find(&snap, &classified)[0].copies, 2);
        classified[5].orphan = gone();
        assert!(find(&snap, &classified).is_empty());
    }

    #[test]
    fn short_names() {
        let s = |v: &[&str]| short_name(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["/usr/bin/mcp-foo", "--x"]), "mcp-foo");
        assert_eq!(
            s(&["node", "/n/@m/server-memory/dist/index.js"]),
            "server-memory"
        );
        assert_eq!(s(&["python3.12", "-m", "serena"]), "serena");
        assert_eq!(s(&["uvx"]), "uvx");
    }
}
