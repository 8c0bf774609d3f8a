//! Pure: which processes are MCP-like and which are launchers (DESIGN.md, "Orphans, by parent lineage").
//! A process is MCP-like when its command line contains a configured pattern, or when the program or
//! the package/script a launcher runs is named like an MCP server (`*-mcp`, `mcp-*`, `@x/mcp`, a
//! `server-*` package under an MCP scope). Launchers (`npm exec`, `npx`, `sh -c`, `node`, `uvx`,
//! `python`...) are passed over when walking up to the process that decides whether something is owned.

use crate::procs::ProcInfo;

/// Shells are launchers only with `-c` (an interactive shell in a pane owns what it runs).
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "fish", "ash"];

/// Launcher sub-commands and flags to skip when looking for the package a launcher runs.
const SKIP_ARGS: &[&str] = &[
    "exec",
    "run",
    "x",
    "dlx",
    "tool",
    "--yes",
    "-y",
    "-m",
    "--",
    "--offline",
    "--quiet",
    "-q",
];

/// Classifies command lines; built once from the config.
#[derive(Clone, Debug)]
pub struct Matcher {
    patterns: Vec<String>,
    launchers: Vec<Vec<String>>,
}

impl Matcher {
    /// `patterns` are substrings of the command line; `launchers` are program names, optionally with a
    /// sub-command (`npm exec`).
    pub fn new(patterns: Vec<String>, launchers: Vec<String>) -> Matcher {
        let launchers = launchers
            .iter()
            .map(|l| {
                l.split_whitespace()
                    .enumerate()
                    .map(|(i, w)| if i == 0 { normalize(w) } else { w.to_string() })
                    .collect::<Vec<_>>()
            })
            .filter(|l: &Vec<String>| !l.is_empty())
            .collect();
        Matcher {
            patterns: patterns.into_iter().filter(|p| !p.is_empty()).collect(),
            launchers,
        }
    }

    pub fn from_config(c: &crate::config::Config) -> Matcher {
        Matcher::new(c.all_patterns(), c.all_launchers())
    }

    /// True when `p` looks like an MCP server (or a launcher running one).
    pub fn is_mcp(&self, p: &ProcInfo) -> bool {
        if p.cmdline.is_empty() {
            return false;
        }
        let joined = p.cmdline.join(" ");
        if self
            .patterns
            .iter()
            .any(|pat| joined.contains(pat.as_str()))
        {
            return true;
        }
        if mcp_token(base(&p.cmdline[0])) {
            return true;
        }
        let prog = program(p);
        if SHELLS.contains(&prog.as_str()) {
            // `sh -c "npx -y some-mcp"`: look inside the script.
            return shell_script(p).is_some_and(|s| {
                s.split_whitespace()
                    .any(|w| package_is_mcp(strip_quotes(w)))
            });
        }
        if self.is_launcher(p) {
            return p
                .cmdline
                .iter()
                .skip(1)
                .find(|a| !SKIP_ARGS.contains(&a.as_str()) && !a.starts_with('-'))
                .is_some_and(|a| package_is_mcp(a));
        }
        false
    }

    /// True when `p` is a launcher: passed over on the walk up.
    pub fn is_launcher(&self, p: &ProcInfo) -> bool {
        let prog = program(p);
        if SHELLS.contains(&prog.as_str()) {
            return shell_script(p).is_some();
        }
        let sub = p.cmdline.get(1).map(String::as_str);
        self.launchers.iter().any(|l| match l.as_slice() {
            [name] => *name == prog,
            [name, s] => *name == prog && sub == Some(s.as_str()),
            _ => false,
        }) && !SHELLS.contains(&prog.as_str())
    }
}

/// The program's name: argv[0]'s basename (the kernel's `comm` when there is no command line),
/// lowercased, with a version suffix dropped (`python3.11` -> `python`).
pub fn program(p: &ProcInfo) -> String {
    let raw = p
        .cmdline
        .first()
        .map(|a| base(a))
        .unwrap_or(p.comm.as_str());
    // A login shell shows as `-bash`.
    normalize(raw.trim_start_matches('-'))
}

fn normalize(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if trimmed.is_empty() {
        lower
    } else {
        trimmed.to_string()
    }
}

fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

fn strip_quotes(w: &str) -> &str {
    w.trim_matches(|c| c == '\'' || c == '"')
}

/// The script of `sh -c SCRIPT`, if this is one.
fn shell_script(p: &ProcInfo) -> Option<&str> {
    let i = p.cmdline.iter().position(|a| {
        a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.contains('c'))
    })?;
    p.cmdline.get(i + 1).map(String::as_str)
}

/// A program name that says MCP: `*-mcp`, `*_mcp`, `mcp-*`, `mcp_*`.
fn mcp_token(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n
        .strip_suffix(".js")
        .or_else(|| n.strip_suffix(".py"))
        .unwrap_or(&n);
    n.ends_with("-mcp") || n.ends_with("_mcp") || n.starts_with("mcp-") || n.starts_with("mcp_")
}

/// A package or script path that says MCP: `@upstash/context7-mcp@latest`, `@playwright/mcp`,
/// `@acme-mcp/server-x`, `.../node_modules/mcp-foo/dist/index.js`.
fn package_is_mcp(arg: &str) -> bool {
    // Drop a version: `name@1.2` or `@scope/name@latest` (a leading `@` is the scope marker).
    let bytes = arg.as_bytes();
    let unversioned = match (1..bytes.len()).find(|&i| bytes[i] == b'@' && bytes[i - 1] != b'/') {
        Some(i) => &arg[..i],
        None => arg,
    };
    let mut segments = unversioned.split('/').filter(|s| !s.is_empty()).peekable();
    while let Some(seg) = segments.next() {
        let lower = seg.to_ascii_lowercase();
        if mcp_token(&lower) || (lower.starts_with('@') && lower.contains("mcp")) {
            return true;
        }
        if lower.starts_with('@')
            && segments
                .peek()
                .is_some_and(|n| n.eq_ignore_ascii_case("mcp"))
        {
            return true; // @playwright/mcp
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Matcher {
        let c = crate::config::Config::default();
        Matcher::new(c.all_patterns(), c.all_launchers())
    }

    fn p(args: &[&str]) -> ProcInfo {
        ProcInfo {
            pid: 10,
            ppid: 1,
            comm: base(args[0]).chars().take(15).collect(),
            cmdline: args.iter().map(|s| s.to_string()).collect(),
            state: 'S',
            ..Default::default()
        }
    }

    #[test]
    fn mcp_like() {
        let m = m();
        for args in [
            &[
                "npm",
                "exec",
                "@modelcontextprotocol/server-filesystem",
                "/tmp",
            ][..],
            &["sh", "-c", "mcp-server-filesystem /tmp"],
            &[
                "node",
                "/root/.npm/_npx/abc/node_modules/.bin/mcp-server-filesystem",
                "/tmp",
            ],
            &["npx", "-y", "@upstash/context7-mcp@latest"],
            &["node", "/usr/lib/node_modules/@playwright/mcp/cli.js"],
            &["uvx", "mcp-server-time"],
            &["/home/u/.local/bin/serena", "start-mcp-server"],
            &["python3.11", "-m", "mcp_server_time"],
            &["claude", "mcp", "serve"],
            &["bun", "run", "telegram-mcp"],
            &["npx", "@acme-mcp/server-weather"],
            &["sh", "-c", "npx -y 'some-mcp'"],
        ] {
            assert!(m.is_mcp(&p(args)), "{args:?} should be MCP-like");
        }
    }

    #[test]
    fn not_mcp_like() {
        let m = m();
        for args in [
            &["bash"][..],
            &[
                "node",
                "/usr/lib/node_modules/npm/bin/npm-cli.js",
                "install",
            ],
            &["vim", "notes.md"],
            &["mcpd", "status"],
            &["sleep", "100"],
            &["python3", "-m", "http.server"],
            &["tmux", "new", "-s", "mcp"],
        ] {
            assert!(!m.is_mcp(&p(args)), "{args:?} should not be MCP-like");
        }
        assert!(!m.is_mcp(&ProcInfo {
            comm: "kthreadd".into(),
            ..Default::default()
        }));
    }

    #[test]
    fn launchers() {
        let m = m();
        for args in [
            &["npm", "exec", "x"][..],
            &["npx", "-y", "x"],
            &["sh", "-c", "x"],
            &["/usr/bin/node", "x.js"],
            &["uvx", "x"],
            &["python3.12", "-m", "x"],
            &["bun", "run", "x"],
            &["env", "A=1", "x"],
        ] {
            assert!(m.is_launcher(&p(args)), "{args:?} should be a launcher");
        }
        for args in [
            &["bash"][..],
            &["-zsh"],
            &["tmux"],
            &["claude"],
            &["nvim"],
            &["systemd", "--user"],
        ] {
            assert!(
                !m.is_launcher(&p(args)),
                "{args:?} should not be a launcher"
            );
        }
        let extra = Matcher::new(vec![], vec!["pnpm dlx".into()]);
        assert!(extra.is_launcher(&p(&["pnpm", "dlx", "x"])));
        assert!(!extra.is_launcher(&p(&["pnpm", "install"])));
    }

    #[test]
    fn user_patterns_extend() {
        let m = Matcher::new(vec!["my-internal-thing".into()], vec![]);
        assert!(m.is_mcp(&p(&["/opt/my-internal-thing", "--port", "1"])));
    }
}
