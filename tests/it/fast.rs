//! The fast paths of issue 16, end to end: the environment-tag cache the commands share (one file per
//! PID namespace), served tags equal read tags, and a reused pid is never given another's tags.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Sandbox, gone, wait_for};

fn cache_files(sb: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&sb.runtime)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("env-tags") && n.ends_with(".cache"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn owner_of(sb: &Sandbox, pid: i32) -> Option<String> {
    let ps = sb.json(&["ps", "--json"]);
    ps.as_array()?
        .iter()
        .find(|r| r["pid"] == pid)
        .and_then(|r| r["owner"].as_str().map(str::to_string))
}

#[test]
fn commands_share_environment_tags_per_pid_namespace() {
    let sb = Sandbox::new();
    let tagged = |owner: &str| {
        let mut c = Command::new("sleep");
        c.arg("1000")
            .env("MCPD_OWNER", owner)
            .env("MCPD_STATE", &sb.state)
            .stdin(Stdio::null());
        let child = c.spawn().unwrap();
        let pid = child.id() as i32;
        sb.track(pid);
        assert!(wait_for(Duration::from_secs(5), || {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep"))
        }));
        child
    };
    let mut a = tagged("global:cached-a");
    let pid_a = a.id() as i32;
    // Cold: read from /proc/PID/environ, then written to the shared cache.
    assert_eq!(owner_of(&sb, pid_a).as_deref(), Some("global:cached-a"));
    let files = cache_files(&sb);
    assert_eq!(files.len(), 1, "{files:?}");
    let written = std::fs::metadata(sb.runtime.join(&files[0])).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        written.permissions().mode() & 0o077,
        0,
        "private to the user"
    );
    // Warm: served from the cache, the same answer.
    assert_eq!(owner_of(&sb, pid_a).as_deref(), Some("global:cached-a"));

    // A new process (whatever its pid) gets its own tags, never a cached one.
    let _ = a.kill();
    let _ = a.wait();
    assert!(gone(pid_a));
    let mut b = tagged("global:cached-b");
    assert_eq!(
        owner_of(&sb, b.id() as i32).as_deref(),
        Some("global:cached-b")
    );
    let _ = b.kill();
    let _ = b.wait();

    // Another PID namespace has other pids: it gets a cache file of its own (the `sleep` is a
    // process to read there: a command reads neither PID 1 nor itself).
    let out = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            "sleep 1000 & \"$0\" status --json >/dev/null & wait $!",
        ])
        .arg(env!("CARGO_BIN_EXE_mcpd"))
        .envs(sb.envs())
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = cache_files(&sb);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&files[0]));
}

/// A command reads no environment of its own nor of its children (the tmux client it runs): in a
/// table that does not change, the second `status` finds everything in the shared cache and leaves
/// the file alone (before, each run read itself, dropped the last run, and wrote the file again).
#[test]
fn status_in_an_unchanged_table_does_not_write_the_tag_cache_again() {
    let sb = Sandbox::new();
    let script = "sleep 1000 & \
         for i in 1 2 3; do \
           \"$0\" status --json >/dev/null || exit 9; \
           stat -c '%i %Y' \"$1\"/env-tags-*.cache; \
         done";
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "sh", "-c", script])
        .arg(env!("CARGO_BIN_EXE_mcpd"))
        .arg(&sb.runtime)
        .envs(sb.envs())
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stamps: Vec<&str> = stdout.lines().collect();
    assert_eq!(stamps.len(), 3, "{stdout}");
    // The first run read the `sleep` and wrote the file; the others found it there.
    assert_eq!(stamps[1], stamps[0], "rewritten: {stdout}");
    assert_eq!(stamps[2], stamps[0], "rewritten: {stdout}");
}

/// Incremental sweeps (procs::incremental) read a command line again for every interpreter: a node
/// server that retitles itself (`process.title`, as npm does) after the daemon has seen it is judged
/// on its new name. Both processes below are MCP-like by their script, orphaned, and protected by a
/// live writer on their stdin while the daemon sweeps them; then one retitles itself to a plain name
/// and both writers die. The one still named like a server is stopped (the setup would stop); the
/// retitled one is left, however many sweeps follow. It sets its `comm` back to `node` (libuv renames
/// it with the title), so pid, start time, `comm` and the argument block's place are all unchanged:
/// only reading the command line again can tell.
#[test]
fn a_daemon_sweep_judges_a_retitled_server_on_its_new_name() {
    use crate::pidns::Ns;
    let sb = Sandbox::with_config(
        "[daemon]\nsweep_interval = \"1s\"\nstop_grace = \"1s\"\norphan_min_age = \"0s\"\n",
    );
    let ns = Ns::new(sb);
    let dir = ns.sb.path().to_path_buf();
    std::fs::write(
        dir.join("mcp-server-retitle.js"),
        "const fs = require('fs');\n\
         const t = setInterval(() => {\n\
           if (process.argv[2] === 'retitle' && fs.existsSync('go')) {\n\
             process.title = 'plain-worker';\n\
             fs.writeFileSync('/proc/self/comm', 'node');\n\
             fs.writeFileSync('retitled', '');\n\
             clearInterval(t);\n\
           }\n\
         }, 20);\n\
         setInterval(() => {}, 1 << 30);\n",
    )
    .unwrap();
    for (writer, arg) in [("100001", "retitle"), ("100002", "stay")] {
        ns.orphan(
            &dir,
            &format!("( sleep {writer} | node mcp-server-retitle.js {arg} & )"),
        );
    }
    let one = |f: &dyn Fn(&crate::pidns::NsProc) -> bool| -> i32 {
        let mut found = Vec::new();
        assert!(
            wait_for(Duration::from_secs(30), || {
                found = ns.find(f);
                found.len() == 1
            }),
            "{:#?}",
            ns.procs()
        );
        found[0]
    };
    let node = |arg: &'static str| {
        one(&move |p: &crate::pidns::NsProc| {
            p.cmdline
                .iter()
                .any(|a| a.ends_with("mcp-server-retitle.js"))
                && p.cmdline.last().is_some_and(|a| a == arg)
        })
    };
    let (retitled, stays) = (node("retitle"), node("stay"));
    let writer = |n: &'static str| one(&move |p: &crate::pidns::NsProc| p.cmdline == ["sleep", n]);
    let writers = [writer("100001"), writer("100002")];
    ns.ok(&["daemon", "start"]);
    let sweeps = || {
        ns.json(&["status", "--json"])["daemon"]["sweeps"]
            .as_u64()
            .unwrap_or(0)
    };
    let sweep_n = |n: u64| {
        let from = sweeps();
        assert!(wait_for(Duration::from_secs(60), || sweeps() >= from + n));
    };
    // The daemon has seen both as MCP-like; their writers protect them.
    sweep_n(2);
    assert!(ns.alive(retitled) && ns.alive(stays), "{:#?}", ns.procs());
    std::fs::write(dir.join("go"), "").unwrap();
    assert!(wait_for(Duration::from_secs(30), || dir
        .join("retitled")
        .exists()));
    assert!(
        wait_for(Duration::from_secs(10), || {
            ns.procs()
                .iter()
                .any(|p| p.pid == retitled && p.cmdline == ["plain-worker"])
        }),
        "{:#?}",
        ns.procs()
    );
    let comm = std::fs::read_to_string(ns.proc_dir().join(retitled.to_string()).join("comm"));
    assert_eq!(
        comm.unwrap().trim(),
        "node",
        "the same image, to every cheap check"
    );
    for w in writers {
        ns.kill(w, "KILL");
    }
    assert!(
        wait_for(Duration::from_secs(60), || !ns.alive(stays)),
        "the server still named like one is stopped: {:#?}",
        ns.procs()
    );
    sweep_n(3);
    assert!(
        ns.alive(retitled),
        "stopped on its old name: {:#?}",
        ns.events()
    );
}
