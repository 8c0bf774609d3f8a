//! Issue 10, without tmux: live agents keep their servers whatever their lineage, innocent jobs are
//! never MCP-like for a word in their arguments, and truly abandoned servers are still stopped. Each
//! test runs in its own PID namespace (pidns.rs), with real node and python agents and the real
//! filesystem server from npm.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::pidns::*;
use crate::support::*;

fn rows(ps: &Value) -> &Vec<Value> {
    ps.as_array().unwrap()
}

fn row(ps: &Value, pid: i32) -> Option<&Value> {
    rows(ps).iter().find(|r| r["pid"] == pid)
}

fn stopped_pids(clean: &Value) -> Vec<i64> {
    clean["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect()
}

/// Starts the node agent detached (`setsid nohup`, parent PID 1) with `extra` on its own command line,
/// running `server`; returns (agent, server) pids once the server answered `initialize`.
fn detached_node_agent(ns: &Ns, cache: &Path, name: &str, extra: &str, server: &str) -> (i32, i32) {
    let ready = ns.sb.path().join(format!("{name}.ready"));
    let agent = ns.orphan(
        cache,
        &format!(
            "setsid nohup node {} {} {} {extra} -- {server}",
            q(fixture("agent.js").display().to_string()),
            q(ready.display().to_string()),
            q(cache.display().to_string()),
        ),
    );
    let server = ns.ready(&ready, name);
    (agent, server)
}

fn served(ns: &Ns) -> String {
    let dir = ns.sb.path().join("served");
    std::fs::create_dir_all(&dir).unwrap();
    npx_fs(&dir).join(" ")
}

#[test]
fn live_detached_agents_keep_their_servers_and_what_they_abandon_is_stopped() {
    let Some(cache) = npm_cache() else { return };
    let ns = Ns::new(Sandbox::with_config(
        "[daemon]\norphan_min_age = \"0s\"\nstop_grace = \"1s\"\nsweep_interval = \"1s\"\nsweep_orphans = true\n",
    ));
    let fs = served(&ns);
    // A node agent (socketpairs) whose own command line holds a default pattern word.
    let (node_agent, node_server) =
        detached_node_agent(&ns, &cache, "node", "--config mcp-server.json", &fs);
    // A python agent (pipes), its server in its own session, as tests/fixtures/agent.py starts it.
    let py_ready = ns.sb.path().join("py.ready");
    let py_agent = ns.orphan(
        &cache,
        &format!(
            "setsid nohup {} {} {} {} {} --config mcp-server.json",
            q(python()),
            q(Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/agent.py")
                .display()
                .to_string()),
            q(cache.display().to_string()),
            q(ns.sb.path().join("served").display().to_string()),
            q(py_ready.display().to_string()),
        ),
    );
    let py_server = ns.ready(&py_ready, "python agent");
    // A third agent whose server outlives its client: abandoned once that agent dies.
    let (sticky_agent, sticky) = detached_node_agent(
        &ns,
        &cache,
        "sticky",
        "",
        &format!(
            "{} {}",
            q(python()),
            q(fixture("mcp_server_sticky.py").display().to_string())
        ),
    );
    for a in [node_agent, py_agent, sticky_agent] {
        assert_eq!(ns.parent(a), Some(1), "agent {a} is not detached");
    }
    let node_tree = ns.tree(node_server);
    let py_tree = ns.tree(py_server);
    assert!(
        node_tree.len() >= 3 && py_tree.len() >= 3,
        "npm exec -> sh -> node: {node_tree:?} {py_tree:?}\n{:#?}",
        ns.procs()
    );
    let live: Vec<i32> = [node_agent, py_agent, sticky_agent, sticky]
        .into_iter()
        .chain(node_tree.iter().copied())
        .chain(py_tree.iter().copied())
        .collect();

    // clean stops nothing, and says why.
    let out = ns.json(&["clean", "--json"]);
    assert!(
        stopped_pids(&out).is_empty(),
        "live work was stopped: {out:#}"
    );
    assert!(live.iter().all(|p| ns.alive(*p)), "live work was stopped");
    let ps = ns.json(&["ps", "--json"]);
    for (agent, tree) in [(node_agent, &node_tree), (py_agent, &py_tree)] {
        for pid in tree {
            let r = row(&ps, *pid).unwrap_or_else(|| panic!("{pid} not listed: {ps:#}"));
            let reason = r["reason"].as_str().unwrap();
            assert!(
                r["orphan"] == false
                    && (reason.contains("live client") || reason.starts_with("owned by"))
                    && reason.contains(&agent.to_string()),
                "{pid}: the reason must name its client {agent}: {r:#}"
            );
        }
    }
    for agent in [node_agent, py_agent, sticky_agent] {
        assert!(row(&ps, agent).is_none(), "an agent is MCP-like: {ps:#}");
    }
    let why = ns.ok(&["ps", "--explain", &node_server.to_string()]);
    assert!(
        why.contains(&node_agent.to_string())
            && why.contains("agent.js")
            && why.contains("verdict: kept"),
        "{why}"
    );
    let why = ns.ok(&["ps", "--explain", &node_agent.to_string()]);
    assert!(why.contains("not MCP-like"), "{why}");

    // A daemon sweeping orphans every second stops nothing either.
    ns.ok(&["daemon", "start"]);
    let mut status = Value::Null;
    assert!(
        wait_for(Duration::from_secs(30), || {
            status = ns.json(&["status", "--json"]);
            status["daemon"]["sweeps"].as_u64().unwrap_or(0) >= 3
        }),
        "the daemon did not sweep: {status:#}"
    );
    assert_eq!(
        ns.events(),
        Vec::<Value>::new(),
        "the sweep stopped something"
    );
    assert!(
        live.iter().all(|p| ns.alive(*p)),
        "the sweep stopped live work"
    );
    // Stopped by signal: `daemon stop` can fail on a busy machine with "unreadable answer: EOF"
    // (the daemon exits before its answer is written; see ownership_pending.rs).
    let daemon: i32 = std::fs::read_to_string(ns.sb.state.join("daemon.lock"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    ns.kill(daemon, "TERM");
    assert!(wait_for(Duration::from_secs(20), || !ns.alive(daemon)));

    // The agents die: what they leave is abandoned. The filesystem servers end on their stdin's EOF
    // or are stopped by clean; the sticky one lives on until clean stops it, with its reason.
    for a in [node_agent, py_agent, sticky_agent] {
        ns.kill(a, "KILL");
    }
    let abandoned: Vec<i32> = [sticky]
        .into_iter()
        .chain(node_tree.iter().copied())
        .chain(py_tree.iter().copied())
        .collect();
    let mut stopped = Vec::new();
    assert!(
        wait_for(Duration::from_secs(30), || {
            stopped.extend(stopped_pids(&ns.json(&["clean", "--json"])));
            abandoned.iter().all(|p| !ns.alive(*p))
        }),
        "left: {:?}",
        abandoned
            .iter()
            .filter(|p| ns.alive(**p))
            .collect::<Vec<_>>()
    );
    assert!(stopped.contains(&(sticky as i64)), "stopped: {stopped:?}");
    let events = ns.events();
    for pid in &stopped {
        let e = events
            .iter()
            .find(|e| e["pid"] == *pid)
            .unwrap_or_else(|| panic!("{pid} stopped but not in the journal: {events:#?}"));
        assert_eq!(e["actor"], "clean", "{e}");
        assert!(
            e["reason"].as_str().unwrap().contains("no live client"),
            "{e}"
        );
    }
}

#[test]
fn an_agent_running_as_pid_1_keeps_its_server() {
    // As in a container: the agent is PID 1, so its server's parent is PID 1.
    let Some(cache) = npm_cache() else { return };
    let sb = Sandbox::new();
    let served = sb.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let ready = sb.path().join("agent.ready");
    let agent_js = fixture("agent.js").display().to_string();
    let (ready_s, cache_s) = (ready.display().to_string(), cache.display().to_string());
    let mut argv = vec![
        "node",
        agent_js.as_str(),
        ready_s.as_str(),
        cache_s.as_str(),
        "--config",
        "mcp-server.json",
        "--",
    ];
    let fs = npx_fs(&served);
    argv.extend(fs.iter().map(String::as_str));
    let ns = Ns::with_init(sb, &argv, Some(&cache));
    let server = ns.ready(&ready, "the PID 1 agent");
    assert_eq!(ns.parent(server), Some(1));
    let tree = ns.tree(server);
    assert!(tree.len() >= 3, "{:#?}", ns.procs());

    let ps = ns.json(&["ps", "--json"]);
    for pid in &tree {
        let r = row(&ps, *pid).unwrap_or_else(|| panic!("{pid} not listed: {ps:#}"));
        assert!(
            r["orphan"] == false
                && r["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("has a live client: 1 node")
                && r["client"]["pid"] == 1,
            "{r:#}"
        );
    }
    let why = ns.ok(&["ps", "--explain", &server.to_string()]);
    assert!(
        why.contains("held by 1") && why.contains("agent.js") && why.contains("verdict: kept"),
        "{why}"
    );
    let out = ns.json(&["clean", "--json"]);
    assert!(stopped_pids(&out).is_empty(), "{out:#}");
    assert!(tree.iter().all(|p| ns.alive(*p)) && ns.alive(1));
    assert!(ns.events().is_empty());
    crate::ownership_dumps::save(
        &ns,
        "agent_as_pid_1",
        "A node agent running as PID 1 (as in a container) talks to the real filesystem server \
         through npx over socketpairs: the server's parent is PID 1, its client is live, so every \
         process of its tree is protected, none an orphan.",
        tree.iter().map(|p| (*p, "protected")),
    );
}

#[test]
fn innocent_jobs_named_like_servers_are_left_alone() {
    let mut sb = Sandbox::new();
    // The tmux server runs in, and has its socket in, a folder named like a server.
    let weather = sb.path().join("mcp-server-weather");
    std::fs::create_dir_all(&weather).unwrap();
    sb.socket = weather.join("tmux.sock");
    let ns = Ns::new(sb);
    let dir = ns.sb.path().to_path_buf();
    for f in ["graphiti.log", "mcp-server.log"] {
        std::fs::write(dir.join(f), "log\n").unwrap();
    }
    let (serena, site) = (dir.join("serena"), dir.join("x/mcp_server"));
    std::fs::create_dir_all(&serena).unwrap();
    std::fs::create_dir_all(&site).unwrap();
    let jobs = [
        ns.orphan(&dir, "tail -f graphiti.log"),
        ns.orphan(&dir, "tail -f mcp-server.log"),
        ns.orphan(
            &dir,
            &format!(
                "{} -m http.server 0 --bind 127.0.0.1 --directory {}",
                q(python()),
                q(site.display().to_string())
            ),
        ),
        ns.orphan(&serena, "sleep 100000"),
    ];
    ns.start_tmux("weather", &weather);
    // And in its panes: an editor and a pager on files named like servers.
    std::fs::write(weather.join("mcp-server-notes.md"), "notes\n").unwrap();
    std::fs::write(serena.join("x"), "x\n").unwrap();
    for cmd in [
        "vim -N -u NONE -n mcp-server-notes.md".to_string(),
        format!("less {}", q(serena.join("x").display().to_string())),
    ] {
        ns.tmux_ok(&["new-window", "-d", "-t", "=weather:", &cmd]);
    }
    let panes = ["vim", "less"].map(|prog| {
        let mut found = Vec::new();
        assert!(
            wait_for(Duration::from_secs(10), || {
                found = ns.find(|p| p.cmdline[0] == prog);
                found.len() == 1
            }),
            "{prog}: {:#?}",
            ns.procs()
        );
        found[0]
    });
    let tmux = ns.find(|p| p.ppid == 1 && p.cmdline[0].starts_with("tmux"));
    assert_eq!(tmux.len(), 1, "{:#?}", ns.procs());
    assert!(
        wait_for(Duration::from_secs(10), || jobs
            .iter()
            .all(|j| ns.parent(*j) == Some(1))),
        "{:#?}",
        ns.procs()
    );
    let all: Vec<i32> = jobs.iter().chain(&tmux).chain(&panes).copied().collect();

    let ps = ns.json(&["ps", "--json"]);
    assert!(rows(&ps).is_empty(), "innocent jobs are MCP-like: {ps:#}");
    let check = ns.run(&["status", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    let status = ns.json(&["status", "--json"]);
    assert_eq!(status["processes"]["value"], 0, "{status:#}");
    assert_eq!(status["orphans"]["value"], 0, "{status:#}");
    let dry = ns.run(&["clean", "--dry-run"]);
    let said = format!("{}{}", text(&dry.stdout), text(&dry.stderr));
    assert!(dry.status.success(), "{said}");
    assert!(!said.to_lowercase().contains("tmux"), "{said}");
    assert!(said.contains("Nothing to do"), "{said}");
    let out = ns.json(&["clean", "--json"]);
    assert!(stopped_pids(&out).is_empty(), "{out:#}");
    assert!(
        all.iter().all(|p| ns.alive(*p)),
        "an innocent job was stopped"
    );
    assert!(ns.events().is_empty());
}

#[test]
fn an_abandoned_npx_tree_without_a_client_is_stopped() {
    // The server's stdin is a pipe whose writer (`sleep`) is part of the same abandoned tree: no
    // client outside the tree, so nothing protects it.
    let Some(cache) = npm_cache() else { return };
    let ns = Ns::new(Sandbox::new());
    let fs = served(&ns);
    let top = ns.orphan(
        &cache,
        &format!("sh -c {}", q(format!("sleep 100000 | {fs}"))),
    );
    let innocent = ns.orphan(ns.sb.path(), "sleep 100000");
    assert!(
        wait_for(Duration::from_secs(60), || ns
            .find(|p| p.command().contains(".bin/mcp-server-filesystem"))
            .len()
            == 1),
        "{:#?}",
        ns.procs()
    );
    let tree = ns.tree(top);
    assert!(
        tree.len() >= 4,
        "sh, sleep, npm exec, sh, node: {:#?}",
        ns.procs()
    );

    let dry = ns.ok(&["clean", "--dry-run"]);
    assert!(
        dry.contains("Would stop") && dry.contains(&top.to_string()),
        "{dry}"
    );
    assert!(
        tree.iter().all(|p| ns.alive(*p)),
        "the dry run stopped something"
    );
    let out = ns.json(&["clean", "--json"]);
    let planned: Vec<&Value> = out["plan"]["stop"].as_array().unwrap().iter().collect();
    assert!(planned.len() == 1 && planned[0]["pid"] == top, "{out:#}");
    // The tree's top was signalled; the rest went with it (npm exec passes the signal on, so not
    // every process is listed as stopped by mcpd itself).
    assert!(stopped_pids(&out).contains(&(top as i64)), "{out:#}");
    assert!(
        wait_for(Duration::from_secs(10), || tree
            .iter()
            .all(|p| !ns.alive(*p))),
        "left: {:?}",
        ns.tree(top)
    );
    assert!(ns.alive(innocent));
    let events = ns.events();
    let e = events.iter().find(|e| e["pid"] == top).unwrap();
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("no live client; adopted by sh (pid 1)"),
        "{e}"
    );
}
