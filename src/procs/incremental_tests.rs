//! Incremental passes over synthetic /proc trees (a temp directory: a directory's inode plays the
//! /proc/PID inode) and over the real /proc.

use super::*;

use std::path::Path;

/// A /proc-like directory.
struct Fake {
    dir: tempfile::TempDir,
}

const SEC: Duration = Duration::from_secs(1);

impl Fake {
    fn new() -> Fake {
        Fake {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or rewrites in place: same inode) process `pid`.
    fn put(&self, pid: i32, ppid: i32, comm: &str, rss: u64, argv: &[&str]) {
        self.put_in(&pid.to_string(), pid, ppid, comm, rss, argv);
    }

    fn put_in(&self, name: &str, pid: i32, ppid: i32, comm: &str, rss: u64, argv: &[&str]) {
        let d = self.root().join(name);
        std::fs::create_dir_all(&d).unwrap();
        // The argument block's place follows the command line (an exec places it anew).
        let layout = 1000 + argv.concat().len() as u64;
        let stat = format!(
            "{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 {} 1000 {rss} \
             0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 {layout} 2000 3000 4000 0",
            100 + pid
        );
        std::fs::write(d.join("stat"), stat).unwrap();
        let mut cmdline = Vec::new();
        for a in argv {
            cmdline.extend_from_slice(a.as_bytes());
            cmdline.push(0);
        }
        std::fs::write(d.join("cmdline"), cmdline).unwrap();
    }

    /// `pid` used again by another process: a new /proc/PID inode (made before the old one is
    /// removed, so the filesystem cannot hand the same inode number out again).
    fn reuse(&self, pid: i32, ppid: i32, comm: &str, argv: &[&str]) {
        let tmp = format!("new-{pid}");
        self.put_in(&tmp, pid, ppid, comm, 1, argv);
        self.gone(pid);
        std::fs::rename(self.root().join(&tmp), self.root().join(pid.to_string())).unwrap();
    }

    fn gone(&self, pid: i32) {
        std::fs::remove_dir_all(self.root().join(pid.to_string())).unwrap();
    }
}

fn pass(
    images: &mut Images,
    fake: &Fake,
    reread: &dyn Fn(&ProcInfo) -> bool,
    trees: &[i32],
    at: Duration,
) -> Snapshot {
    let ask = Ask {
        reread,
        trees,
        full: false,
    };
    images.pass(fake.root(), &ask, at).unwrap()
}

fn never(_: &ProcInfo) -> bool {
    false
}

/// init(1) -> shell(10) -> job(11) -> worker(12); agent(20) -> mcp-server(21).
fn table() -> Fake {
    let f = Fake::new();
    f.put(1, 0, "init", 1, &["init"]);
    f.put(10, 1, "bash", 1, &["bash"]);
    f.put(11, 10, "job", 1, &["job", "--run"]);
    f.put(12, 11, "worker", 1, &["worker"]);
    f.put(20, 1, "claude", 1, &["claude"]);
    f.put(21, 20, "mcp-server-x", 1, &["mcp-server-x"]);
    f
}

#[test]
fn an_unchanged_process_is_served_from_memory_without_reading_its_stat() {
    let f = table();
    let mut images = Images::with_refresh(Duration::from_secs(3600));
    let first = pass(&mut images, &f, &never, &[], SEC);
    assert_eq!((images.stat_read, images.stat_skipped), (6, 0));
    assert!(images.last_full && images.last_read == 6);
    // Memory changed in place (same inode): not read, the remembered figure stands.
    f.put(12, 11, "worker", 999, &["worker"]);
    let second = pass(&mut images, &f, &never, &[], 2 * SEC);
    assert_eq!((images.stat_read, images.stat_skipped), (0, 6));
    assert!(!images.last_full);
    assert_eq!(
        second.get(12).unwrap().rss_bytes,
        first.get(12).unwrap().rss_bytes
    );
    assert_eq!(second.procs, first.procs, "the same table, from memory");
    assert_eq!(second.children_of(11), &[12]);
}

#[test]
fn a_reused_pid_is_read_again_and_seen_as_the_new_process() {
    let f = table();
    let mut images = Images::with_refresh(Duration::from_secs(3600));
    pass(&mut images, &f, &never, &[], SEC);
    // 12 exits; another process gets pid 12 (new inode): read, with its own command line.
    f.reuse(12, 1, "mcp-server-y", &["mcp-server-y", "--stdio"]);
    let s = pass(&mut images, &f, &never, &[], 2 * SEC);
    let p = s.get(12).unwrap();
    assert_eq!(p.comm, "mcp-server-y");
    assert_eq!(p.cmdline, ["mcp-server-y", "--stdio"]);
    assert_eq!(p.ppid, 1);
    assert_eq!((images.stat_read, images.stat_skipped), (1, 5));
    assert_eq!(images.last_read, 1, "its command line too");
}

#[test]
fn a_child_whose_parent_died_or_was_replaced_is_read_again() {
    let f = table();
    let mut images = Images::with_refresh(Duration::from_secs(3600));
    pass(&mut images, &f, &never, &[], SEC);
    // 11 dies: the kernel reparents 12 to PID 1 (its stat says so; its inode is unchanged).
    f.gone(11);
    f.put(12, 1, "worker", 1, &["worker"]);
    let s = pass(&mut images, &f, &never, &[], 2 * SEC);
    assert_eq!(s.get(12).unwrap().ppid, 1, "reparented, seen at once");
    assert!(s.get(11).is_none());
    assert_eq!(images.stat_read, 1);
    // 10's pid is used again by another process: its child is read again too.
    f.reuse(10, 1, "other", &["other"]);
    f.put(11, 1, "job", 1, &["job", "--run"]);
    let s = pass(&mut images, &f, &never, &[], 3 * SEC);
    assert_eq!(s.get(10).unwrap().comm, "other");
    assert_eq!(
        images.stat_read, 2,
        "10 (new inode) and 11 (its parent changed)"
    );
    assert_eq!(s.get(11).unwrap().ppid, 1);
}

#[test]
fn what_the_caller_names_is_read_every_time() {
    let f = table();
    let mut images = Images::with_refresh(Duration::from_secs(3600));
    let mcp = |p: &ProcInfo| p.comm.starts_with("mcp") || p.comm == "bash";
    pass(&mut images, &f, &mcp, &[], SEC);
    pass(&mut images, &f, &mcp, &[], 2 * SEC);
    assert_eq!((images.stat_read, images.stat_skipped), (2, 4));
    assert_eq!(images.last_read, 2, "their command lines too");
    // A tree named by its root (a server the daemon runs): the root and everything under it.
    f.put(12, 11, "worker", 777, &["worker"]);
    let s = pass(&mut images, &f, &mcp, &[11], 3 * SEC);
    assert_eq!((images.stat_read, images.stat_skipped), (4, 2));
    assert_eq!(
        s.get(12).unwrap().rss_bytes,
        777 * super::super::linux::page_size()
    );
    assert_eq!(
        images.last_served, 2,
        "11 and 12: the same images, command lines kept"
    );
}

#[test]
fn an_exec_without_a_new_inode_is_seen_by_the_refresh_or_a_full_pass() {
    let f = table();
    let period = Duration::from_secs(60);
    let mut images = Images::with_refresh(period);
    pass(&mut images, &f, &never, &[], SEC);
    // 11 execs into a server: same pid, same inode. An incremental pass does not see it...
    f.put(11, 10, "mcp-server-z", 1, &["mcp-server-z"]);
    let s = pass(&mut images, &f, &never, &[], SEC + SEC / 2);
    assert_eq!(s.get(11).unwrap().comm, "job");
    // ... a full pass does (what every stop is decided on), with its new command line ...
    let full = images
        .pass(
            f.root(),
            &Ask {
                reread: &never,
                trees: &[],
                full: true,
            },
            2 * SEC,
        )
        .unwrap();
    assert!(images.last_full);
    assert_eq!(full.get(11).unwrap().cmdline, ["mcp-server-z"]);
    // ... and so does its turn in the refresh, within one period, even if passes are frequent.
    f.put(12, 11, "mcp-server-w", 1, &["mcp-server-w"]);
    let mut at = 2 * SEC;
    let mut seen = None;
    while at <= 2 * SEC + period {
        at += SEC;
        let s = pass(&mut images, &f, &never, &[], at);
        assert!(
            images.stat_read <= 2,
            "a few at a time, not the whole table"
        );
        if s.get(12).unwrap().comm == "mcp-server-w" {
            seen = Some(at);
            break;
        }
    }
    assert!(seen.is_some(), "read again within one period");
    // A pass a whole period after the previous one reads everything.
    pass(&mut images, &f, &never, &[], at + period);
    assert!(images.last_full && images.stat_read == 6);
}

#[test]
fn the_refresh_reads_every_process_once_per_period_evenly() {
    let period = Duration::from_secs(60);
    let pids: Vec<i32> = (1..=10_000).collect();
    let mut count = HashMap::new();
    let mut per_pass = Vec::new();
    // Passes every 2 s over one period.
    for i in 0..30u64 {
        let (prev, now) = (Duration::from_secs(2 * i), Duration::from_secs(2 * i + 2));
        let due: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|p| due(*p, period, prev, now))
            .collect();
        per_pass.push(due.len());
        for p in due {
            *count.entry(p).or_insert(0) += 1;
        }
    }
    assert!(count.len() == pids.len() && count.values().all(|c| *c == 1));
    // About 1/30 of the table per pass (333), never a big share of it.
    assert!(
        per_pass.iter().all(|n| (200..=500).contains(n)),
        "{per_pass:?}"
    );
    assert!(pids.iter().all(|p| due(*p, period, SEC, SEC + period)));
}

#[test]
fn a_zero_refresh_reads_everything_every_time() {
    let f = table();
    let mut images = Images::with_refresh(Duration::ZERO);
    pass(&mut images, &f, &never, &[], SEC);
    pass(&mut images, &f, &never, &[], 2 * SEC);
    assert!(images.last_full && images.stat_read == 6);
    assert_eq!(
        images.last_served, 6,
        "command lines of the same images still kept"
    );
}

#[test]
fn passes_over_the_real_proc_match_a_full_snapshot() {
    let me = std::process::id() as i32;
    let mut images = Images::with_refresh(Duration::from_secs(3600));
    images.take(&never, &[]).unwrap();
    let second = images.take(&|p| p.pid == me, &[]).unwrap();
    assert!(images.stat_skipped > 0, "served from memory");
    assert!(images.stat_read >= 1, "this process was read again");
    let full = Snapshot::take().unwrap();
    let (a, b) = (second.get(me).unwrap(), full.get(me).unwrap());
    assert_eq!(
        (&a.cmdline, a.start_ticks, a.ppid),
        (&b.cmdline, b.start_ticks, b.ppid)
    );
    // Long-lived processes (PID 1 here) are the same to both.
    assert_eq!(
        second.get(1).map(|p| (&p.comm, &p.cmdline, p.start_ticks)),
        full.get(1).map(|p| (&p.comm, &p.cmdline, p.start_ticks))
    );
    assert_eq!(images.len(), second.procs.len());
    images.take_full(&never).unwrap();
    assert!(images.last_full && images.stat_skipped == 0);
}

/// `cargo test --release --lib measure_incremental_pass -- --ignored --nocapture`: the cost of
/// passes over this machine's /proc with the daemon's reread set (for profiling; no assertion).
#[test]
#[ignore]
fn measure_incremental_pass() {
    let m = crate::matcher::Matcher::from_config(&crate::config::Config::default());
    let uid = super::super::my_uid();
    let reread = |p: &ProcInfo| crate::judge::reread(&m, uid, p);
    let mut images = Images::new();
    let t = Instant::now();
    images.take_full(&reread).unwrap();
    println!("full: {:?} ({} processes)", t.elapsed(), images.len());
    let t = Instant::now();
    for _ in 0..200 {
        images.take(&reread, &[]).unwrap();
    }
    println!(
        "incremental: {:?} per pass ({} read, {} served)",
        t.elapsed() / 200,
        images.stat_read,
        images.stat_skipped
    );
    let t = Instant::now();
    let procs: Vec<ProcInfo> = images.by_pid.values().map(|k| k.info.clone()).collect();
    println!("cloning: {:?}", t.elapsed());
    let t = Instant::now();
    let n = procs.iter().filter(|p| reread(p)).count();
    println!("reread over all: {:?} ({n} yes)", t.elapsed());
}
