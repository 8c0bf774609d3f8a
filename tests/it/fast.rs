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

    // Another PID namespace has other pids: it gets a cache file of its own.
    let out = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            "\"$0\" status --json >/dev/null & wait $!",
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
