//! `status`, `ps` and `clean` against real process trees, and bad input of every kind.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::pidns::*;
use crate::support::*;

/// A process that looks like an MCP server and whose parent is this test (a live owner).
fn spawn_owned_decoy(sb: &Sandbox) -> std::process::Child {
    let child = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "exec -a 'mcp-server-decoy {}' sleep 100000",
            sb.marker
        ))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    sb.track(child.id() as i32);
    child
}

/// Waits for the npm exec -> sh -> node tree of the filesystem server; returns its pids.
fn npx_tree(ns: &Ns) -> Vec<i32> {
    let mut tree = Vec::new();
    let up = wait_for(Duration::from_secs(90), || {
        let procs = ns.procs();
        let has = |f: &dyn Fn(&NsProc) -> bool| procs.iter().any(f);
        let ok =
            has(&|p| p.cmdline[0] == "node" && p.command().contains(".bin/mcp-server-filesystem"))
                && has(&|p| p.command().starts_with("npm exec"))
                && has(&|p| {
                    p.command().starts_with("sh -c")
                        && p.command().contains("mcp-server-filesystem")
                });
        tree = procs
            .iter()
            .filter(|p| {
                p.command().contains("mcp-server-filesystem") || p.command().starts_with("npm exec")
            })
            .map(|p| p.pid)
            .collect();
        ok
    });
    assert!(
        up,
        "the filesystem server did not start under npm exec: {:#?}",
        ns.procs()
    );
    tree
}

#[test]
fn real_orphaned_npx_tree_is_found_and_fully_stopped_and_decoys_survive() {
    let Some(cache) = npm_cache() else { return };
    let ns = Ns::new(Sandbox::new());
    let served = ns.sb.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    // The real server through `npm exec` (npm exec -> sh -> node) in a subshell whose parent exits:
    // an orphan of the namespace's PID 1, as agents leave them.
    let top = ns.orphan(
        &cache,
        &format!(
            "(sleep 100000 | npm exec --offline -- @modelcontextprotocol/server-filesystem {})",
            q(served.display().to_string())
        ),
    );
    let mut tree = npx_tree(&ns);
    tree.push(top);
    // An MCP-like process whose parent, a program of the user's (a client), lives: owned.
    let owner = ns.sb.path().join("owner.py");
    std::fs::write(
        &owner,
        "import subprocess\nsubprocess.Popen(['bash', '-c', 'exec -a mcp-server-decoy sleep 100000']).wait()\n",
    )
    .unwrap();
    let decoy = ns.orphan(
        ns.sb.path(),
        &format!("{} {}", q(python()), q(owner.display().to_string())),
    );
    // A non-MCP process reparented to PID 1.
    let plain = ns.orphan(ns.sb.path(), "bash -c 'exec -a plain-orphan sleep 100000'");
    // An MCP-like orphan of another user (`nobody`; we are root).
    ns.orphan(
        ns.sb.path(),
        "setpriv --reuid=nobody --regid=nogroup --clear-groups \
         bash -c 'exec -a mcp-server-theirs sleep 100000'",
    );
    assert!(wait_for(Duration::from_secs(10), || {
        ["mcp-server-decoy", "plain-orphan", "mcp-server-theirs"]
            .iter()
            .all(|n| ns.find(|p| p.cmdline[0] == *n).len() == 1)
    }));
    let decoy_server = ns.find(|p| p.cmdline[0] == "mcp-server-decoy")[0];
    assert_eq!(ns.parent(decoy_server), Some(decoy));
    let theirs = ns.find(|p| p.cmdline[0] == "mcp-server-theirs")[0];

    // ps --orphans finds the whole npm exec -> sh -> node tree, and none of the decoys.
    let ps = ns.json(&["ps", "--orphans", "--json"]);
    let pids: Vec<i64> = ps
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pid"].as_i64().unwrap())
        .collect();
    for (cmd, needle) in [
        ("npm exec", "npm exec"),
        ("sh -c", "sh -c"),
        ("node", "node "),
    ] {
        assert!(
            ps.as_array().unwrap().iter().any(|r| r["command"]
                .as_str()
                .unwrap()
                .starts_with(needle)
                && r["orphan"] == true),
            "no orphaned {cmd} in {ps:#}"
        );
    }
    assert!(pids.contains(&(top as i64)), "{ps:#}");
    assert!(
        !pids.contains(&(decoy_server as i64)),
        "the owned decoy is not an orphan"
    );
    assert!(
        !pids.contains(&(plain as i64)),
        "a non-MCP orphan is not listed"
    );
    assert!(
        !pids.contains(&(theirs as i64)),
        "another user's process is never considered"
    );
    let row = &ps[0];
    for key in [
        "pid",
        "ppid",
        "start_time",
        "rss_bytes",
        "command",
        "owner",
        "orphan",
        "age_seconds",
    ] {
        assert!(row.get(key).is_some(), "ps --json lacks {key}: {row}");
    }

    // status counts them.
    let status = ns.json(&["status", "--json"]);
    assert!(
        status["orphans"]["value"].as_u64().unwrap() >= 3,
        "{status:#}"
    );
    assert!(
        status["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("mcpd clean"))
    );

    // --dry-run signals nothing.
    let dry = ns.ok(&["clean", "--dry-run"]);
    assert!(dry.contains("Would stop"), "{dry}");
    assert!(
        tree.iter().all(|p| ns.alive(*p)),
        "dry run killed something"
    );

    // clean stops every process of the tree and nothing else.
    let out = ns.json(&["clean", "--json"]);
    assert!(out["freed_bytes"].as_u64().unwrap() > 50_000_000, "{out:#}");
    assert!(
        wait_for(Duration::from_secs(5), || tree
            .iter()
            .all(|p| !ns.alive(*p))),
        "left: {:?}",
        tree.iter().filter(|p| ns.alive(**p)).collect::<Vec<_>>()
    );
    assert!(ns.alive(decoy_server), "the owned decoy was killed");
    assert!(ns.alive(plain), "the non-MCP orphan was killed");
    assert!(ns.alive(theirs), "another user's process was killed");
}

#[test]
fn status_works_with_no_config_and_no_state() {
    let sb = Sandbox::new();
    std::fs::remove_file(&sb.config).unwrap();
    let out = sb.ok(&["status"]);
    assert!(
        out.contains("MCP processes") && out.contains("orphaned MCP processes"),
        "{out}"
    );
    let j = sb.json(&["status", "--json"]);
    for key in ["processes", "rss_bytes", "detached_sessions", "orphans"] {
        for f in ["value", "level", "warn", "crit"] {
            assert!(j[key].get(f).is_some(), "{key}.{f} missing: {j:#}");
        }
    }
    for key in ["sessions", "servers", "recommendations"] {
        assert!(j[key].is_array(), "{key} missing: {j:#}");
    }
    assert_eq!(j["processes"]["warn"], 10);
    assert_eq!(j["rss_bytes"]["crit"], 1_000_000_000u64);
}

#[test]
fn status_check_exit_codes_follow_levels() {
    // Thresholds of 0/1 make the mere presence of one MCP-like process (the decoy) a warning or worse.
    let sb = Sandbox::with_config("[thresholds]\nprocesses = { warn = 0, crit = 100000 }\n");
    assert_eq!(sb.run(&["status", "--check"]).status.code(), Some(1));
    let sb = Sandbox::with_config("[thresholds]\nprocesses = { warn = 0, crit = 1 }\n");
    let mut decoy = spawn_owned_decoy(&sb);
    assert!(wait_for(Duration::from_secs(5), || !marked(
        "mcp-server-decoy"
    )
    .is_empty()));
    assert_eq!(sb.run(&["status", "--check"]).status.code(), Some(2));
    decoy.kill().unwrap();
    decoy.wait().unwrap();
    // Unknown: a broken config means the state cannot be judged.
    let sb = Sandbox::with_config("[thresholds\n");
    let out = sb.run(&["status", "--check"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("UNKNOWN"));
}

#[test]
fn broken_config_errors_name_file_line_and_key() {
    for (config, expect) in [
        ("[daemon]\nsweep_intervall = \"30s\"\n", "2"),
        (
            "[thresholds]\nrss = { warn = \"1GB\", crit = \"300MB\" }\n",
            "rss",
        ),
        ("[servers.fs]\nscope = \"global\"\n", "command"),
        ("[daemon]\nstop_grace = \"3 parsecs\"\n", "stop_grace"),
        ("\u{0}\u{1}garbage", "config.toml"),
    ] {
        let sb = Sandbox::with_config(config);
        let out = sb.run(&["status"]);
        assert_eq!(out.status.code(), Some(1), "{config:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&sb.config.display().to_string()),
            "no file named for {config:?}: {err}"
        );
        assert!(err.contains(expect), "{config:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let check = sb.run(&["config", "check"]);
        assert_eq!(check.status.code(), Some(1));
    }
}

#[test]
fn corrupt_state_file_is_reported_moved_aside_and_others_are_kept() {
    let sb = Sandbox::new();
    let records = sb.state.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let good = serde_json::json!({
        "version": 1, "owner": "session:keep",
        "records": [{"pid": 999999, "start_ticks": 1, "pgid": 999999, "owner": "session:keep", "origin": "adopted",
                     "command": "node mcp-server-x", "recorded_at": 1}]
    });
    std::fs::write(records.join("session-keep.json"), good.to_string()).unwrap();
    std::fs::write(
        records.join("session-bad.json"),
        "{\"version\": 1, \"owner\": \"session:bad\", \"rec",
    )
    .unwrap();
    std::fs::write(records.join("session-bin.json"), [0xff, 0x00, 0x13]).unwrap();
    let out = sb.run(&["status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("session-bad.json") && all.contains("session-bin.json"),
        "{all}"
    );
    assert!(records.join("session-bad.json.corrupt").exists());
    assert!(records.join("session-bin.json.corrupt").exists());
    // The good file was not touched by the bad ones.
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(records.join("session-keep.json")).unwrap()).unwrap();
    assert_eq!(kept["records"][0]["pid"], 999999);
}

#[test]
fn clean_drops_records_of_gone_processes() {
    let sb = Sandbox::new();
    let records = sb.state.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let file = serde_json::json!({
        "version": 1, "owner": "global:fs",
        "records": [{"pid": 999999, "start_ticks": 1, "pgid": 999999, "owner": "global:fs", "origin": "spawned",
                     "server": "fs", "command": "node mcp-server-x", "recorded_at": 1}]
    });
    std::fs::write(records.join("global-fs.json"), file.to_string()).unwrap();
    let out = sb.json(&["clean", "--json", "--match", &sb.marker]);
    assert_eq!(out["dropped_records"], 1, "{out:#}");
    assert!(!records.join("global-fs.json").exists());
}

#[test]
fn twenty_concurrent_writers_lose_nothing() {
    use mcpd::model::{Identity, Origin, Owner, Record};
    use mcpd::state::Registry;
    let sb = Sandbox::new();
    let dir = sb.state.join("records");
    let threads: Vec<_> = (0..20)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                // Each writer opens its own registry: its own lock file descriptor, as separate processes have.
                let reg = Registry::open(&dir).unwrap();
                for i in 0..25 {
                    let owner = Owner::Session(format!("s{}", i % 3));
                    let id = Identity {
                        pid: w * 1000 + i,
                        start_ticks: 1,
                    };
                    reg.add(vec![
                        Record::new(id, owner, Origin::Adopted)
                            .with_pgid(1)
                            .with_command("x"),
                    ])
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (all, warnings) = Registry::open(&dir).unwrap().load_all();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(all.len(), 500);
}

#[test]
fn twenty_concurrent_mcpd_processes_keep_the_registry_whole() {
    // Real processes this time: 20 `hook session-renamed` runs moving records between owners at once,
    // while the records are also read. Every record must end up under exactly one owner.
    use mcpd::model::{Identity, Origin, Owner, Record};
    use mcpd::state::Registry;
    let sb = Sandbox::new();
    let reg = Registry::open(&sb.state.join("records")).unwrap();
    let recs: Vec<Record> = (0..20)
        .flat_map(|s| {
            (0..10).map(move |i| {
                let id = Identity {
                    pid: 100_000 + s * 100 + i,
                    start_ticks: 1,
                };
                Record::new(id, Owner::Session(format!("old{s}")), Origin::Adopted)
                    .with_pgid(1)
                    .with_command("x")
                    .with_session_id(s as u32)
            })
        })
        .collect();
    reg.add(recs).unwrap();
    let children: Vec<_> = (0..20)
        .map(|s| {
            sb.mcpd()
                .args([
                    "hook",
                    "session-renamed",
                    &format!("${s}"),
                    &format!("new{s}"),
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let (all, warnings) = reg.load_all();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(all.len(), 200);
    for r in &all {
        assert_eq!(
            r.owner,
            Owner::Session(format!("new{}", r.session_id.unwrap()))
        );
    }
}
