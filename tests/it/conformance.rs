//! Conformance of sharing: real MCP clients (the official TypeScript SDK from npm and the Python
//! `mcp` SDK from PyPI, scripts in tests/clients/) against real servers (server-everything,
//! server-filesystem, server-memory from npm; mcp-server-time from PyPI, which speaks 2026-07-28),
//! each run directly and through `mcpd connect`, with pairs of clients that differ in one contract
//! element connected at once. What each client sees through mcpd must equal what it sees directly.
//!
//! The registries' packages are installed once into target/tmp (pinned versions); under `CI=true`
//! an install that fails is a test failure; elsewhere the tests say so loudly and return.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::support::*;

const NPM_PACKAGES: &[&str] = &[
    "@modelcontextprotocol/sdk@1.32.2",
    "@modelcontextprotocol/server-everything@2026.8.31",
    "@modelcontextprotocol/server-filesystem@2026.8.31",
    "@modelcontextprotocol/server-memory@2026.8.31",
];
const PY_PACKAGES: &[&str] = &["mcp==2.3.0", "mcp-server-time==2026.10.19"];
const AGENT_PACKAGES: &[&str] = &[
    "@anthropic-ai/claude-code@2.1.332",
    "@google/gemini-cli@0.61.0",
];

/// Where the installed clients and servers are.
pub struct Kit {
    /// An npm folder with the TypeScript SDK and the npm servers.
    pub npm: PathBuf,
    /// A Python virtual environment with `mcp` and `mcp-server-time`.
    pub py: PathBuf,
}

impl Kit {
    pub fn bin(&self, name: &str) -> String {
        self.npm
            .join("node_modules/.bin")
            .join(name)
            .display()
            .to_string()
    }

    pub fn py_bin(&self, name: &str) -> String {
        self.py.join("bin").join(name).display().to_string()
    }
}

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A missing registry: a failure under CI=true, a loud skip (None) elsewhere.
fn unavailable(what: &str, why: &str) -> Option<PathBuf> {
    crate::support::unreachable_registry(&format!("cannot install {what}: {why}"))
}

/// Installs npm `packages` into `dir` (once; `probe` shows it is done).
fn npm_install(dir: &Path, packages: &[&str], probe: &str) -> Option<PathBuf> {
    if dir.join(probe).exists() {
        return Some(dir.to_path_buf());
    }
    std::fs::create_dir_all(dir).ok()?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .args(packages)
        .current_dir(dir)
        .output();
    match out {
        Ok(o) if o.status.success() && dir.join(probe).exists() => Some(dir.to_path_buf()),
        Ok(o) => unavailable(&packages.join(" "), &text(&o.stderr)),
        Err(e) => unavailable(&packages.join(" "), &format!("npm: {e}")),
    }
}

fn py_install(dir: &Path) -> Option<PathBuf> {
    let python = dir.join("bin/python");
    if dir.join("bin/mcp-server-time").exists() {
        return Some(dir.to_path_buf());
    }
    let venv = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .output();
    if let Err(e) = &venv {
        return unavailable("a Python venv", &e.to_string());
    }
    let out = Command::new(&python)
        .args(["-m", "pip", "install", "-q"])
        .args(PY_PACKAGES)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(dir.to_path_buf()),
        Ok(o) => unavailable(&PY_PACKAGES.join(" "), &text(&o.stderr)),
        Err(e) => unavailable(&PY_PACKAGES.join(" "), &e.to_string()),
    }
}

/// The clients and servers, installed once per machine.
pub fn kit() -> Option<&'static Kit> {
    static KIT: OnceLock<Option<Kit>> = OnceLock::new();
    KIT.get_or_init(|| {
        let npm = npm_install(
            &tmp().join("conformance-npm"),
            NPM_PACKAGES,
            "node_modules/.bin/mcp-server-memory",
        )?;
        let py = py_install(&tmp().join("conformance-py"))?;
        Some(Kit { npm, py })
    })
    .as_ref()
}

/// The agents' CLIs (`claude`, `gemini`), installed once.
pub fn agents() -> Option<&'static PathBuf> {
    static AGENTS: OnceLock<Option<PathBuf>> = OnceLock::new();
    AGENTS
        .get_or_init(|| {
            npm_install(
                &tmp().join("agents-npm"),
                AGENT_PACKAGES,
                "node_modules/.bin/gemini",
            )
        })
        .as_ref()
}

/// A client run: which SDK, with which configuration (see tests/clients/).
#[derive(Clone, Copy, Debug)]
pub enum Sdk {
    Ts,
    Py,
}

/// Runs one client to its end and returns its transcript. `command` is what it connects to.
#[track_caller]
pub fn run_client(kit: &Kit, sb: &Sandbox, sdk: Sdk, command: &[String], cfg: &Value) -> Value {
    let mut cfg = cfg.clone();
    cfg["command"] = json!(command);
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let mut cmd = match sdk {
        Sdk::Ts => {
            let mut c = Command::new("node");
            c.arg(clients.join("ts_client.cjs")).env(
                "MCP_SDK",
                kit.npm.join("node_modules/@modelcontextprotocol/sdk"),
            );
            c
        }
        Sdk::Py => {
            let mut c = Command::new(kit.py.join("bin/python"));
            c.arg(clients.join("py_client.py"));
            c
        }
    };
    let out = cmd
        .arg(cfg.to_string())
        .envs(sb.envs())
        .env_remove("TMUX")
        .env_remove("TMUX_PANE")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "client printed no transcript ({e}): {stdout}\nstderr: {}",
            text(&out.stderr)
        )
    });
    assert!(
        v.get("fatal").is_none(),
        "client failed: {}\nstderr: {}",
        v["fatal"],
        text(&out.stderr)
    );
    v
}

/// What must be equal direct and through mcpd: the handshake, every step's result, the server's
/// requests. (Notifications are timing: a shared process announced its startup `list_changed`
/// before a later client came.)
pub fn comparable(t: &Value) -> Value {
    json!({"initialize": t["initialize"], "steps": t["steps"], "server_requests": t["server_requests"]})
}

/// The `mcpd connect NAME` command line.
pub fn via(name: &str) -> Vec<String> {
    vec![
        env!("CARGO_BIN_EXE_mcpd").to_string(),
        "connect".into(),
        name.into(),
    ]
}

/// A config with these `[servers.NAME]` sections (on-connect, fast stop).
pub fn config(servers: &[(&str, Vec<String>, &str)]) -> String {
    let mut c = String::from(
        "[daemon]\nsweep_interval = \"2s\"\nsweep_orphans = false\nstop_grace = \"1s\"\n",
    );
    for (name, argv, extra) in servers {
        c.push_str(&format!(
            "\n[servers.{name}]\ncommand = {}\nargs = {}\nstart = \"on-connect\"\n{extra}\n",
            json!(argv[0]),
            json!(argv[1..])
        ));
    }
    c
}

/// Runs each (sdk, config) client directly and, all at once, through mcpd; asserts equal
/// transcripts per client and returns the transcripts through mcpd.
#[track_caller]
pub fn direct_equals_shared(
    kit: &Kit,
    sb: &Sandbox,
    server: &[String],
    name: &str,
    clients: &[(Sdk, Value)],
) -> Vec<Value> {
    let direct: Vec<Value> = clients
        .iter()
        .map(|(sdk, cfg)| run_client(kit, sb, *sdk, server, cfg))
        .collect();
    let shared: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .iter()
            .map(|(sdk, cfg)| s.spawn(move || run_client(kit, sb, *sdk, &via(name), cfg)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, (d, v)) in direct.iter().zip(&shared).enumerate() {
        if let Some(diff) = first_difference(&comparable(d), &comparable(v), "") {
            panic!("client {i}: direct and through mcpd differ at {diff}");
        }
    }
    shared
}

/// The instances of `name` in `mcpd status --json`, with their contracts.
pub fn instances(sb: &Sandbox, name: &str) -> Vec<Value> {
    let status = sb.json(&["status", "--json"]);
    status["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["name"] == name && s["pid"].is_number())
        .cloned()
        .collect()
}

/// Where two JSON values first differ: the path and both values (shortened).
pub fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    let short = |v: &Value| {
        let s = v.to_string();
        if s.len() > 300 {
            format!("{}...", &s[..300])
        } else {
            s
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(va, vb, &format!("{at}.{k}")) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!(
            "{at}: direct {} / through mcpd {}",
            short(a),
            short(b)
        )),
    }
}
