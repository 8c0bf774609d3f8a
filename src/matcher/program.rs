//! Pure: what program a command line runs (DESIGN.md, "Ownership, from evidence"). Only the program's
//! identity counts, never its other arguments: the executable's name, the script an interpreter runs
//! (`node SCRIPT`, `python SCRIPT`, `python -m MODULE`, bun, deno), the package a launcher runs (`npx PKG`,
//! `npm exec PKG`, `uvx PKG`, `uv tool run PKG`, `bunx`, `pnpm dlx`, `yarn dlx`, `pipx run`), and what a
//! `sh -c` or `env` wrapper runs. A file argument, a flag, a folder in a path never becomes a token.

/// How a process relates to what it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Runs itself: its tokens are its executable's name.
    Plain,
    /// An interpreter running a script or module (an agent CLI is one of these).
    Script,
    /// A package runner (`npx PKG`...): it only launches the package.
    Launcher,
    /// `sh -c CMD` or `env ... CMD`: it only runs `inner`.
    Wrapper,
}

/// A program's identity: its kind and the names that patterns are matched against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub kind: Kind,
    /// The executable's base name, lowercased, version suffix dropped (`python3.11` -> `python`).
    pub exe: String,
    /// The names it runs as: the executable, the script's file name and package, the module, the
    /// launched package (with and without its scope). Lowercased; versions and extensions dropped.
    pub tokens: Vec<String>,
    /// For wrappers: what the wrapper runs.
    pub inner: Option<Box<Program>>,
}

const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "fish", "ash"];
const NODE_LIKE: &[&str] = &["node", "nodejs", "tsx", "ts-node"];
const PYTHONS: &[&str] = &["python", "pypy"];
/// Node flags that take a separate value.
const NODE_VALUE_FLAGS: &[&str] = &["-r", "--require", "--import", "--loader", "--env-file"];
/// Launcher flags that take a separate value (the value is not the package, except as noted).
const VALUE_FLAGS: &[&str] = &[
    "--python",
    "-p",
    "--package",
    "--from",
    "--with",
    "--spec",
    "--index-url",
    "--registry",
    "--cache",
    "--userconfig",
    "-w",
    "--workspace",
    "-c",
    "--call",
];
/// Of those, the ones whose value names the package that runs.
const PACKAGE_FLAGS: &[&str] = &["-p", "--package", "--from", "--spec"];
const MAX_DEPTH: usize = 4;

/// The program `argv` runs (`comm` stands in for a kernel thread or an unreadable command line).
pub fn identify(argv: &[String], comm: &str) -> Program {
    identify_at(argv, comm, 0)
}

fn identify_at(argv: &[String], comm: &str, depth: usize) -> Program {
    // A process that set its title (`npm exec PKG` does) shows one argument holding the whole line.
    if let [only] = argv
        && only.contains(' ')
        && !std::path::Path::new(only).is_absolute()
        && depth < MAX_DEPTH
    {
        let words: Vec<String> = only.split_whitespace().map(str::to_string).collect();
        return identify_at(&words, comm, depth + 1);
    }
    let Some(first) = argv.first() else {
        return plain(&normalize(comm));
    };
    let exe = normalize(base(first).trim_start_matches('-'));
    let rest = &argv[1..];
    if depth < MAX_DEPTH {
        if SHELLS.contains(&exe.as_str())
            && let Some(script) = shell_script(rest)
        {
            let words = shell_words(script);
            return wrapper(exe, identify_at(&words, "", depth + 1));
        }
        if exe == "env" {
            let i = rest
                .iter()
                .position(|a| !a.starts_with('-') && !a.contains('='))
                .unwrap_or(rest.len());
            if i < rest.len() {
                return wrapper(exe, identify_at(&rest[i..], "", depth + 1));
            }
        }
    }
    if let Some(p) = launcher(&exe, rest) {
        return p;
    }
    if NODE_LIKE.contains(&exe.as_str()) || exe == "bun" || exe == "deno" {
        return node_like(&exe, rest, depth);
    }
    if PYTHONS.contains(&exe.as_str()) {
        return python(&exe, rest);
    }
    plain(&exe)
}

fn plain(exe: &str) -> Program {
    Program {
        kind: Kind::Plain,
        exe: exe.to_string(),
        tokens: vec![exe.to_string()],
        inner: None,
    }
}

fn wrapper(exe: String, inner: Program) -> Program {
    Program {
        kind: Kind::Wrapper,
        tokens: inner.tokens.clone(),
        exe,
        inner: Some(Box::new(inner)),
    }
}

/// Package runners, by shape: the executable and, where it has one, the sub-command.
fn launcher(exe: &str, rest: &[String]) -> Option<Program> {
    let sub = rest.first().map(String::as_str);
    let args = match (exe, sub) {
        ("npx" | "bunx" | "uvx" | "pnpx", _) => rest,
        ("npm", Some("exec" | "x")) => &rest[1..],
        ("pnpm" | "yarn", Some("dlx")) => &rest[1..],
        ("bun", Some("x")) => &rest[1..],
        ("pipx", Some("run")) => &rest[1..],
        // `uvx` re-executes itself as `uv tool uvx`.
        ("uv", Some("tool")) if rest.get(1).is_some_and(|s| s == "run" || s == "uvx") => &rest[2..],
        _ => return None,
    };
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            i += 1;
            break;
        }
        if let Some((flag, value)) = a.split_once('=')
            && PACKAGE_FLAGS.contains(&flag)
        {
            package_tokens(value, &mut tokens);
        } else if VALUE_FLAGS.contains(&a) {
            if PACKAGE_FLAGS.contains(&a)
                && let Some(v) = args.get(i + 1)
            {
                package_tokens(v, &mut tokens);
            }
            i += 1;
        } else if !a.starts_with('-') {
            break;
        }
        i += 1;
    }
    if let Some(pkg) = args.get(i) {
        package_tokens(pkg, &mut tokens);
    }
    Some(Program {
        kind: Kind::Launcher,
        exe: exe.to_string(),
        tokens: dedup(tokens),
        inner: None,
    })
}

/// `node [flags] SCRIPT`, `bun [run] SCRIPT`, `deno run [flags] SCRIPT`. A launcher's own entry
/// (`.../npm/bin/npx-cli.js`, `npm-cli.js exec`) is that launcher.
fn node_like(exe: &str, rest: &[String], depth: usize) -> Program {
    let mut i = 0;
    if (exe == "bun" || exe == "deno") && rest.first().is_some_and(|s| s == "run") {
        i = 1;
    }
    while i < rest.len() {
        let a = rest[i].as_str();
        if matches!(a, "-e" | "--eval" | "-p" | "--print") {
            return plain(exe); // inline code: no script to name
        }
        if NODE_VALUE_FLAGS.contains(&a) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            break;
        }
        i += 1;
    }
    let Some(script) = rest.get(i) else {
        return plain(exe);
    };
    let name = strip_ext(base(script));
    if depth < MAX_DEPTH {
        let as_launcher = match name.as_str() {
            "npx-cli" => Some("npx"),
            "npm-cli" => Some("npm"),
            "pnpm" | "pnpm.cjs" => Some("pnpm"),
            "yarn" | "yarn.js" => Some("yarn"),
            _ => None,
        };
        if let Some(l) = as_launcher
            && let Some(p) = launcher(l, &rest[i + 1..])
        {
            return p;
        }
    }
    let mut tokens = vec![name.clone()];
    if let Some(dir) = package_dir(script, &name) {
        tokens.push(dir);
    }
    if let Some(pkg) = script.rsplit_once("node_modules/").map(|(_, p)| p) {
        let mut segs = pkg.split('/').filter(|s| !s.is_empty() && *s != ".bin");
        if let Some(first) = segs.next() {
            if first.starts_with('@') {
                if let Some(second) = segs.next() {
                    package_tokens(&format!("{first}/{second}"), &mut tokens);
                }
            } else {
                package_tokens(first, &mut tokens);
            }
        }
    } else if let Some(pkg) = script
        .strip_prefix("npm:")
        .or_else(|| script.strip_prefix("jsr:"))
    {
        package_tokens(pkg, &mut tokens);
    }
    Program {
        kind: Kind::Script,
        exe: exe.to_string(),
        tokens: dedup(tokens),
        inner: None,
    }
}

/// Entry files named for their role, not their program: the program is the folder they belong to.
const GENERIC_ENTRIES: &[&str] = &["index", "main", "cli", "server", "app", "__main__", "run"];
/// Build folders between a package's folder and its entry file.
const BUILD_DIRS: &[&str] = &[
    "dist", "build", "lib", "src", "bin", "out", "dist-cjs", "esm",
];

/// For a generic entry (`/opt/mcp-server-sse/dist/index.js`), the package folder's name
/// (`mcp-server-sse`). Never a home folder (`/home/serena/index.js` names no program).
fn package_dir(script: &str, name: &str) -> Option<String> {
    if !GENERIC_ENTRIES.contains(&name) {
        return None;
    }
    let dirs: Vec<&str> = script.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    let i = dirs
        .iter()
        .rposition(|d| !d.is_empty() && !BUILD_DIRS.contains(d) && *d != ".")?;
    let home = matches!(dirs.get(i.wrapping_sub(1)), Some(&"home") | Some(&"Users"))
        || (i == 1 && dirs[1] == "root")
        || dirs[i].starts_with('.');
    (!home).then(|| strip_ext(dirs[i]))
}

/// `python [flags] -m MODULE` or `python [flags] SCRIPT`.
fn python(exe: &str, rest: &[String]) -> Program {
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        match a {
            "-m" => {
                let Some(module) = rest.get(i + 1) else {
                    return plain(exe);
                };
                let module = module.to_ascii_lowercase();
                let top = module.split('.').next().unwrap_or_default().to_string();
                return Program {
                    kind: Kind::Script,
                    exe: exe.to_string(),
                    tokens: dedup(vec![module, top]),
                    inner: None,
                };
            }
            "-c" => return plain(exe),
            "-X" | "-W" | "-Q" => i += 2,
            _ if a.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let Some(script) = rest.get(i) else {
        return plain(exe);
    };
    let mut tokens = vec![strip_ext(base(script))];
    if let Some((_, pkg)) = script.rsplit_once("-packages/")
        && let Some(top) = pkg.split('/').next()
    {
        tokens.push(strip_ext(top));
    }
    Program {
        kind: Kind::Script,
        exe: exe.to_string(),
        tokens: dedup(tokens),
        inner: None,
    }
}

/// Adds a package's names: `@scope/name@1.2` -> `@scope/name`, `name`; `pkg[extra]==1.0` -> `pkg`.
fn package_tokens(spec: &str, out: &mut Vec<String>) {
    let lower = spec.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // A version after `@` (not the scope's leading `@`), or a Python specifier.
    let mut end = (1..bytes.len())
        .find(|&i| bytes[i] == b'@' && bytes[i - 1] != b'/')
        .unwrap_or(bytes.len());
    if let Some(i) = lower[..end].find(['=', '<', '>', '[', '~', '!']) {
        end = i;
    }
    let name = lower[..end].trim_end_matches('/');
    // A path or URL package (`./dist/index.js`, `git+https://...`) is named by its last part.
    let name = if name.contains("://") || name.starts_with('.') || name.starts_with('/') {
        strip_ext(base(name))
    } else {
        name.to_string()
    };
    if name.is_empty() {
        return;
    }
    if let Some((_, last)) = name.split_once('/') {
        out.push(last.to_string());
    }
    out.push(name);
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|t| !t.is_empty() && seen.insert(t.clone()));
    v
}

/// The script of `sh -c SCRIPT` (also `-lc`, `-ec`...).
fn shell_script(rest: &[String]) -> Option<&str> {
    let i = rest
        .iter()
        .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))?;
    rest.get(i + 1).map(String::as_str)
}

/// The first simple command of a shell script, as words: leading `exec`, assignments and `cd X &&`
/// prefixes are dropped; quotes are removed. Enough to name the program, not a shell parser.
pub fn shell_words(script: &str) -> Vec<String> {
    let mut cmd = script;
    // The last command of `a && b; c` is the one that stays (`cd dir && exec server`).
    for sep in ["&&", ";", "||", "|"] {
        if let Some((_, tail)) = cmd.rsplit_once(sep)
            && !tail.trim().is_empty()
        {
            cmd = tail;
        }
    }
    let words: Vec<String> = cmd
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '\'' || c == '"').to_string())
        .collect();
    let start = words
        .iter()
        .position(|w| w != "exec" && (w.starts_with('-') || !w.contains('=')))
        .unwrap_or(words.len());
    words[start..].to_vec()
}

/// Lowercased, version suffix dropped: `python3.11` -> `python`, `node20` -> `node`.
pub fn normalize(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if trimmed.is_empty() {
        lower
    } else {
        trimmed.to_string()
    }
}

pub fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

fn strip_ext(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    for ext in [".js", ".mjs", ".cjs", ".ts", ".py", ".pyz"] {
        if let Some(s) = lower.strip_suffix(ext) {
            return s.to_string();
        }
    }
    lower
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
