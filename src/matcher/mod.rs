//! Pure: which processes are MCP-like and which only launch another (DESIGN.md, "Ownership, from
//! evidence"). Patterns are matched against the program a process runs ([`program::identify`]): never
//! against its other arguments, so `vim mcp-server-notes.md` or `tail -f graphiti.log` is never MCP-like.
//!
//! A pattern is a name (`serena`: contained in a program's name), a glob (`mcp-server*`: the whole
//! name), or words (`claude mcp serve`: the executable and its first arguments).

pub mod program;

use crate::model::ProcInfo;
pub use program::{Kind, Program, identify};

/// One pattern, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    Contains(String),
    Glob(String),
    Words(Vec<String>),
}

impl Pattern {
    fn parse(s: &str) -> Option<Pattern> {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() {
            return None;
        }
        if s.contains(char::is_whitespace) {
            return Some(Pattern::Words(
                s.split_whitespace().map(str::to_string).collect(),
            ));
        }
        if s.contains('*') {
            Some(Pattern::Glob(s))
        } else {
            Some(Pattern::Contains(s))
        }
    }

    fn matches_token(&self, token: &str) -> bool {
        match self {
            Pattern::Contains(s) => token.contains(s.as_str()),
            Pattern::Glob(g) => glob(g.as_bytes(), token.as_bytes()),
            Pattern::Words(_) => false,
        }
    }

    fn matches_argv(&self, argv: &[String]) -> bool {
        let Pattern::Words(words) = self else {
            return false;
        };
        argv.len() >= words.len()
            && words.iter().zip(argv).enumerate().all(|(i, (w, a))| {
                let a = if i == 0 { program::base(a) } else { a.as_str() };
                a.eq_ignore_ascii_case(w)
            })
    }

    fn matches(&self, prog: &Program, argv: &[String]) -> bool {
        prog.tokens.iter().any(|t| self.matches_token(t))
            || self.matches_argv(argv)
            || prog
                .inner
                .as_deref()
                .is_some_and(|_| self.matches_argv(&inner_argv(argv)))
    }
}

/// The words a `sh -c` wrapper runs (for word patterns).
fn inner_argv(argv: &[String]) -> Vec<String> {
    argv.iter()
        .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))
        .and_then(|i| argv.get(i + 1))
        .map(|s| program::shell_words(s))
        .unwrap_or_default()
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Why a process is MCP-like: the pattern and the program name it matched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchWhy {
    pub pattern: String,
    pub token: String,
}

/// Classifies command lines; built once from the config.
#[derive(Clone, Debug)]
pub struct Matcher {
    patterns: Vec<(String, Pattern)>,
    exclude: Vec<Pattern>,
    /// Extra launcher programs from the config (`rye`, `pnpm exec`).
    launchers: Vec<Vec<String>>,
}

impl Matcher {
    /// `patterns` make a program MCP-like, `exclude` never; `launchers` are extra program names
    /// (optionally with a sub-command) that only launch what follows them.
    pub fn new(patterns: Vec<String>, exclude: Vec<String>, launchers: Vec<String>) -> Matcher {
        Matcher {
            patterns: patterns
                .into_iter()
                .filter_map(|p| Pattern::parse(&p).map(|q| (p, q)))
                .collect(),
            exclude: exclude.iter().filter_map(|p| Pattern::parse(p)).collect(),
            launchers: launchers
                .iter()
                .map(|l| l.split_whitespace().map(str::to_ascii_lowercase).collect())
                .filter(|l: &Vec<String>| !l.is_empty())
                .collect(),
        }
    }

    pub fn from_config(c: &crate::config::Config) -> Matcher {
        Matcher::new(
            c.all_patterns(),
            c.matching.exclude.clone(),
            c.matching.launchers.clone(),
        )
    }

    /// The program `p` runs.
    pub fn program(&self, p: &ProcInfo) -> Program {
        let prog = identify(&p.cmdline, &p.comm);
        if prog.kind == Kind::Plain
            && let Some(words) = self.user_launcher(&p.cmdline)
        {
            let rest: Vec<String> = p
                .cmdline
                .iter()
                .skip(words)
                .filter(|a| !a.starts_with('-'))
                .take(1)
                .cloned()
                .collect();
            let inner = identify(&rest, "");
            return Program {
                kind: Kind::Launcher,
                exe: prog.exe,
                tokens: inner.tokens,
                inner: None,
            };
        }
        prog
    }

    /// How many words of `argv` a configured launcher takes (`rye run` -> 2), if one matches.
    fn user_launcher(&self, argv: &[String]) -> Option<usize> {
        let exe = program::normalize(program::base(argv.first()?));
        self.launchers.iter().find_map(|l| match l.as_slice() {
            [name] if *name == exe => Some(1),
            [name, sub] if *name == exe && argv.get(1).is_some_and(|a| a == sub) => Some(2),
            _ => None,
        })
    }

    /// Why `p` is MCP-like, or None.
    pub fn why_mcp(&self, p: &ProcInfo) -> Option<MatchWhy> {
        if p.cmdline.is_empty() {
            return None;
        }
        let prog = self.program(p);
        if self.exclude.iter().any(|x| x.matches(&prog, &p.cmdline)) {
            return None;
        }
        for (raw, pat) in &self.patterns {
            if let Some(t) = prog.tokens.iter().find(|t| pat.matches_token(t)) {
                return Some(MatchWhy {
                    pattern: raw.clone(),
                    token: t.clone(),
                });
            }
            if pat.matches(&prog, &p.cmdline) {
                return Some(MatchWhy {
                    pattern: raw.clone(),
                    token: raw.clone(),
                });
            }
        }
        None
    }

    /// True when `p` runs an MCP server (or a launcher or wrapper running one).
    pub fn is_mcp(&self, p: &ProcInfo) -> bool {
        self.why_mcp(p).is_some()
    }

    /// True when `ancestor` only launches `child`: a package runner, a user-declared launcher, `env`,
    /// or a `sh -c` whose command runs the child (or a launcher). An interpreter running anything
    /// else, an agent for instance, is not a launcher: it decides ownership.
    pub fn launches(&self, ancestor: &ProcInfo, child: &ProcInfo) -> bool {
        let a = self.program(ancestor);
        if self.user_launcher(&ancestor.cmdline).is_some() {
            return true;
        }
        match a.kind {
            Kind::Launcher => true,
            Kind::Wrapper => {
                let Some(inner) = a.inner.as_deref() else {
                    return false;
                };
                if matches!(inner.kind, Kind::Launcher | Kind::Wrapper) || a.exe == "env" {
                    return true;
                }
                let c = self.program(child);
                inner.exe == c.exe || inner.tokens.iter().any(|t| c.tokens.contains(t))
            }
            Kind::Plain | Kind::Script => false,
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
