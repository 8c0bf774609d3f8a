use std::process::{Command, Stdio};

use super::*;
use crate::procs::Snapshot;

fn proc(pid: i32, start: u64, args: &[&str]) -> ProcInfo {
    ProcInfo::new(pid, 1, args).with_start(start)
}

fn tags(owner: &str) -> EnvTags {
    EnvTags {
        tmux: TmuxTag::parse("/tmp/a,b/sock,42,3"),
        tmux_pane: Some("%1".into()),
        mcpd_owner: Some(owner.into()),
        mcpd_state: Some("/state".into()),
        mcpd_server: None,
        unit: Some("x.service".into()),
    }
}

#[test]
fn serves_only_the_same_process_image() {
    let mut c = EnvCache::new(7);
    let p = proc(10, 100, &["node", "mcp-server-a"]);
    c.insert(&p, tags("session:a"), false);
    assert_eq!(c.get(&p, false), Some(&tags("session:a")));
    // A recycled pid has another start time.
    assert_eq!(
        c.get(&proc(10, 101, &["node", "mcp-server-a"]), false),
        None
    );
    // An exec keeps pid and start time but changes the command line (or comm).
    assert_eq!(c.get(&proc(10, 100, &["node", "other"]), false), None);
    let mut renamed = p.clone();
    renamed.comm = "MainThread".into();
    assert_eq!(c.get(&renamed, false), None);
    // A unit was not looked up for it: a caller that needs one reads again.
    assert_eq!(c.get(&p, true), None);
    assert_eq!((c.hits, c.misses), (1, 4));
}

#[test]
fn drops_gone_and_recycled_entries_and_everything_at_a_new_boot() {
    let mut c = EnvCache::new(7);
    for (pid, start) in [(1, 1), (2, 2), (3, 3)] {
        c.insert(&proc(pid, start, &["x"]), EnvTags::default(), false);
    }
    c.retain_live(7, |pid, start| pid == 1 || (pid == 2 && start == 99));
    assert_eq!(c.len(), 1);
    c.retain_live(8, |_, _| true);
    assert!(c.is_empty());
}

#[test]
fn the_file_round_trips_and_damage_gives_an_empty_cache() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("env.cache");
    let mut c = EnvCache::new(7);
    let (a, b) = (proc(10, 100, &["a"]), proc(11, 100, &["b", "x y"]));
    c.insert(&a, tags("global:fs"), true);
    c.insert(&b, EnvTags::default(), false);
    c.save(&path).unwrap();
    assert!(!c.is_dirty());
    let mut back = EnvCache::load(&path, 7);
    assert_eq!(back.len(), 2);
    assert_eq!(back.get(&a, true), Some(&tags("global:fs")));
    assert_eq!(back.get(&b, false), Some(&EnvTags::default()));
    assert!(EnvCache::load(&path, 8).is_empty(), "another boot");

    let raw = std::fs::read(&path).unwrap();
    for cut in [0, 5, 20, raw.len() - 1] {
        std::fs::write(&path, &raw[..cut]).unwrap();
        assert!(EnvCache::load(&path, 7).is_empty(), "truncated at {cut}");
    }
    let mut huge_count = raw.clone();
    huge_count[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&path, &huge_count).unwrap();
    assert!(EnvCache::load(&path, 7).is_empty());
    std::fs::write(&path, b"garbage, not a cache").unwrap();
    assert!(EnvCache::load(&path, 7).is_empty());

    // Writable by others: not trusted.
    std::fs::write(&path, &raw).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert!(EnvCache::load(&path, 7).is_empty());
    assert!(EnvCache::load(&d.path().join("missing"), 7).is_empty());
}

/// A real child with a `TMUX` tag; the caller kills it.
fn tagged_child(session: u32) -> std::process::Child {
    Command::new("sleep")
        .arg("1000")
        .env("TMUX", format!("/tmp/envcache-test,4242,{session}"))
        .env("MCPD_OWNER", format!("session:s{session}"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_exec(pid: i32) {
    // Until the child runs `sleep` (after fork it briefly runs the test binary's image).
    for _ in 0..500 {
        if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep")) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn real_processes_are_read_once_and_a_reused_pid_is_read_again() {
    let mut child = tagged_child(5);
    let pid = child.id() as i32;
    wait_exec(pid);
    let mine = |p: &ProcInfo| p.pid == pid;

    let mut snap = Snapshot::take().unwrap();
    let mut cache = EnvCache::new(snap.boot_time);
    snap.load_env_tags_cached(&mut cache, mine);
    let env = snap.get(pid).unwrap().env.clone().unwrap();
    assert_eq!(env.tmux.unwrap().session_id, 5);
    assert_eq!(env.mcpd_owner.as_deref(), Some("session:s5"));
    assert_eq!((cache.hits, cache.misses), (0, 1));

    let mut snap = Snapshot::take().unwrap();
    snap.load_env_tags_cached(&mut cache, mine);
    assert_eq!(
        (cache.hits, cache.misses),
        (1, 1),
        "the second pass is served"
    );

    // The pid reused by another process (simulated: the entry says another start time, with other
    // tags): the real environment is read, never the stale tags.
    let live = snap.get(pid).unwrap().clone();
    let mut stale = live.clone();
    stale.start_ticks += 1;
    cache.insert(&stale, tags("session:stale"), true);
    let mut snap = Snapshot::take().unwrap();
    snap.load_env_tags_cached(&mut cache, mine);
    let env = snap.get(pid).unwrap().env.clone().unwrap();
    assert_eq!(env.mcpd_owner.as_deref(), Some("session:s5"));
    assert_eq!(
        cache.get(&live, false).unwrap().mcpd_owner.as_deref(),
        Some("session:s5")
    );

    let _ = child.kill();
    let _ = child.wait();
    // Gone: its entry is dropped at the next pass.
    let mut snap = Snapshot::take().unwrap();
    snap.load_env_tags_cached(&mut cache, |_| false);
    assert_eq!(cache.get(&live, false), None);
}

#[test]
fn a_lean_pass_trusts_cached_tags_only_to_rule_out_and_reads_suspects_again() {
    let mut child = tagged_child(6);
    let pid = child.id() as i32;
    wait_exec(pid);
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("env.cache");
    let mine = |p: &ProcInfo| p.pid == pid;
    let session = |n: u32| move |t: &EnvTags| t.tmux.as_ref().is_some_and(|x| x.session_id == n);

    // Unknown to the cache: read whole (command line and environment), and remembered.
    let mut snap = Snapshot::take_lean().unwrap();
    let read = load_lean_through_file(&mut snap, Some(&file), mine, session(99));
    assert!(read.contains(&pid));
    let p = snap.get(pid).unwrap();
    assert_eq!(p.cmdline.first().map(String::as_str), Some("sleep"));
    assert_eq!(p.env.as_ref().unwrap().tmux.as_ref().unwrap().session_id, 6);

    // The cache now says something else for the same image (as after an exec that kept the comm).
    let live = snap.get(pid).unwrap().clone();
    let mut cache = EnvCache::load(&file, snap.boot_time);
    cache.insert(&live, tags("session:cached"), false);
    cache.save(&file).unwrap();
    // Not a suspect for this close: the cached tags stand, nothing is read.
    let mut snap = Snapshot::take_lean().unwrap();
    let read = load_lean_through_file(&mut snap, Some(&file), mine, session(99));
    assert!(read.is_empty());
    let p = snap.get(pid).unwrap();
    assert!(p.cmdline.is_empty());
    assert_eq!(
        p.env.as_ref().unwrap().mcpd_owner.as_deref(),
        Some("session:cached")
    );
    // A suspect (its cached tag names the closing session $3): read again, judged on what is true now.
    let mut snap = Snapshot::take_lean().unwrap();
    let read = load_lean_through_file(&mut snap, Some(&file), mine, session(3));
    assert!(read.contains(&pid));
    let env = snap.get(pid).unwrap().env.clone().unwrap();
    assert_eq!(env.tmux.unwrap().session_id, 6);
    assert_eq!(env.mcpd_owner.as_deref(), Some("session:s6"));
    let _ = child.kill();
    let _ = child.wait();
}
