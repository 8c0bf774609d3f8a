//! tmux tests that run `clean` or close sessions with mcpd's sweeps: each in its own PID namespace
//! (pidns.rs) with a tmux server on a private socket inside, so that no `clean` can see, or stop,
//! anything of the machine's (they ran on the host before, scoped by `--match`).

use std::path::Path;
use std::time::Duration;

use crate::faults::{named_in, records};
use crate::pidns::*;
use crate::support::*;

fn sessions(ns: &Ns) -> Vec<String> {
    let out = ns
        .tmux()
        .args(["list-sessions", "-F", "#{session_name}"])
        .output()
        .unwrap();
    text(&out.stdout).lines().map(str::to_string).collect()
}

/// Starts the agent stand-in (tests/fixtures/agent.py: npm exec of the real filesystem server) in a
/// new window of session `name`; returns the agent's pid and its server's npm exec -> sh -> node pids.
fn start_agent(ns: &Ns, cache: &Path, name: &str) -> (i32, Vec<i32>) {
    let served = ns.sb.path().join(format!("served-{name}"));
    std::fs::create_dir_all(&served).unwrap();
    let ready = served.join("ready");
    let agent_py = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/agent.py");
    let cmd = format!(
        "{} {} {} {} {}",
        q(python()),
        q(agent_py.display().to_string()),
        q(cache.display().to_string()),
        q(served.display().to_string()),
        q(ready.display().to_string())
    );
    ns.tmux_ok(&["new-window", "-d", "-t", &format!("={name}:"), &cmd]);
    assert!(
        wait_for(Duration::from_secs(60), || ready.exists()),
        "agent in {name} did not get ready: {:#?}",
        ns.procs()
    );
    let served_s = served.display().to_string();
    let agent = ns.find(|p| p.command().contains("agent.py") && p.command().contains(&served_s));
    let tree = ns.find(|p| p.command().contains(&served_s) && !p.command().contains("agent.py"));
    assert!(
        agent.len() == 1 && tree.len() >= 3,
        "expected the agent, and npm exec, sh, node under {served_s}: {agent:?} {tree:?}"
    );
    (agent[0], tree)
}

#[test]
fn kill_server_loses_hooks_and_clean_reconciles() {
    let Some(cache) = npm_cache() else { return };
    let ns = Ns::new(Sandbox::new());
    ns.ok(&["tm", "-d", "one"]);
    ns.ok(&["tm", "-d", "two"]);
    let (a1, mut trees) = start_agent(&ns, &cache, "one");
    let (a2, t2) = start_agent(&ns, &cache, "two");
    trees.extend(t2);
    // Adopt them (clean records agent-started servers for their sessions).
    let adopted = ns.json(&["clean", "--json"]);
    assert!(adopted["adopted"].as_u64().unwrap() >= 6, "{adopted:#}");
    let ps = ns.json(&["ps", "--json", "--session", "one"]);
    assert!(ps.as_array().unwrap().len() >= 3, "{ps:#}");
    let status = ns.json(&["status", "--json"]);
    let one = status["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "one")
        .unwrap()
        .clone();
    assert!(
        one["processes"].as_u64().unwrap() >= 3 && one["rss_bytes"].as_u64().unwrap() > 50_000_000,
        "{status:#}"
    );

    // Hooks off, then the whole server goes: nothing fires.
    ns.ok(&["hook", "uninstall"]);
    ns.tmux_ok(&["kill-server"]);
    assert!(
        wait_for(Duration::from_secs(10), || ns
            .find(|p| p.cmdline[0] == "tmux" || p.cmdline[0].starts_with("tmux:"))
            .is_empty()),
        "the tmux server did not exit"
    );
    assert!(
        trees.iter().all(|p| ns.alive(*p)),
        "something died without mcpd"
    );
    // The agents ignore SIGHUP and live on: they are live clients, so nothing of theirs is stopped,
    // and `ps` says why.
    let out = ns.json(&["clean", "--json"]);
    assert!(
        out["stopped"].as_array().unwrap().is_empty(),
        "live work was stopped: {out:#}"
    );
    assert!(trees.iter().all(|p| ns.alive(*p)), "live work was stopped");
    let ps = ns.json(&["ps", "--json"]);
    let reasons: Vec<String> = ps
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["reason"].as_str().map(str::to_string))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("has a live client") && r.contains("agent.py")),
        "{ps:#}"
    );
    // The agents die: now the servers are abandoned, and clean (or their own EOF) ends them.
    ns.kill(a1, "KILL");
    ns.kill(a2, "KILL");
    let mut out = serde_json::Value::Null;
    assert!(
        wait_for(Duration::from_secs(10), || {
            out = ns.json(&["clean", "--json"]);
            trees.iter().all(|p| !ns.alive(*p))
        }),
        "left after clean: {out:#}"
    );
    // Their records are gone too (once a clean has run after the last of them exited: the one above
    // may have looked while a server was still exiting on its own EOF).
    ns.json(&["clean", "--json"]);
    assert!(records(&ns).is_empty(), "{:?}", records(&ns));
}

#[test]
fn twenty_sessions_closed_at_once_leak_nothing() {
    let ns = Ns::new(Sandbox::new());
    let mut fakes = Vec::new();
    for i in 0..20 {
        let name = format!("s{i}");
        ns.ok(&["tm", "-d", &name]);
        // A server that ignores SIGHUP (as setsid'd or nohup'd servers do), started in a pane.
        let tag = format!("mcp-server-fake-{i}");
        let cmd = format!("bash -c 'trap \"\" HUP; exec -a {tag} sleep 100000'");
        ns.tmux_ok(&["new-window", "-d", "-t", &format!("={name}:"), &cmd]);
        fakes.push(tag);
    }
    assert!(wait_for(Duration::from_secs(10), || fakes
        .iter()
        .all(|t| named_in(&ns, t).len() == 1)));
    let pids: Vec<i32> = fakes.iter().map(|t| named_in(&ns, t)[0]).collect();
    let adopted = ns.json(&["clean", "--json"]);
    assert_eq!(adopted["adopted"], 20, "{adopted:#}");
    let children: Vec<_> = (0..20)
        .map(|i| {
            ns.tmux()
                .args(["kill-session", "-t", &format!("=s{i}")])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        c.wait().unwrap();
    }
    let all_gone = wait_for(Duration::from_secs(10), || {
        pids.iter().all(|p| !ns.alive(*p))
    });
    if !all_gone {
        // tmux may drop the last hooks when the server exits; reconciliation covers that.
        ns.ok(&["clean"]);
    }
    assert!(
        wait_for(Duration::from_secs(5), || pids
            .iter()
            .all(|p| !ns.alive(*p))),
        "leaked: {:?}",
        pids.iter().filter(|p| ns.alive(**p)).collect::<Vec<_>>()
    );
    assert!(
        wait_for(Duration::from_secs(5), || records(&ns).is_empty()),
        "records left behind: {:?}",
        records(&ns)
    );
}

#[test]
fn clean_detached_closes_idle_detached_sessions_only_with_consent() {
    let ns = Ns::new(Sandbox::new());
    for s in ["idle1", "idle2"] {
        ns.ok(&["tm", "-d", s]);
    }
    let tag = "mcp-server-det";
    ns.tmux_ok(&[
        "new-window",
        "-d",
        "-t",
        "=idle1:",
        &format!("bash -c 'trap \"\" HUP; exec -a {tag} sleep 100000'"),
    ]);
    assert!(wait_for(Duration::from_secs(5), || named_in(&ns, tag)
        .len()
        == 1));
    let server = named_in(&ns, tag)[0];
    // No terminal to ask on, no --yes: refused, nothing closed.
    let out = ns.run(&["clean", "--detached"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(sessions(&ns).len(), 2);
    // Idle for less than a day: nothing to close.
    let out = ns.ok(&["clean", "--detached", "--older-than", "1d", "--yes"]);
    assert!(out.contains("No detached sessions"), "{out}");
    // A dry run lists them.
    let out = ns.run(&["clean", "--detached", "--dry-run"]);
    assert!(
        text(&out.stderr).contains("idle1") && text(&out.stderr).contains("Would close"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sessions(&ns).len(), 2);
    // With --yes: closed, and what they owned stopped.
    let j = ns.json(&["clean", "--detached", "--yes", "--json"]);
    let closed: Vec<&str> = j["closed_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(closed.len(), 2, "{j:#}");
    assert!(
        wait_for(Duration::from_secs(5), || !ns.alive(server)),
        "what the session owned survived"
    );
}
