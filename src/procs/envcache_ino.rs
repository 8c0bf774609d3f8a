//! A /proc pass that reads only what changed, for session closes: /proc is listed with each entry's
//! inode number (`getdents` gives it, no `stat` call), and a process whose `/proc/PID` inode is the
//! one the tag cache remembers is served from the cache without reading its `stat`.
//!
//! Why an unchanged inode is enough: the kernel drops a process's `/proc/PID` entries when it exits,
//! so a recycled pid gets a new inode (and a dentry evicted under memory pressure gives a new inode
//! for the same process: only a needless read). What an unchanged inode does not fix is what a live
//! process can change without exec'ing: its parent (when its parent exits), its group and session,
//! its state and memory. So an entry is trusted only when its parent's inode is unchanged too (its
//! parent did not exit, so its `ppid` is exact), and everything a close acts on (candidates, their
//! ancestors, the trees and groups it stops) is read again before it acts ([`refresh`]).

use std::collections::{HashMap, HashSet};
use std::io;

use super::envcache::{Cursor, bad, put_str};
use super::{ProcError, ProcInfo, Snapshot};

/// A process's `stat` as last read, with the inode of its `/proc/PID` entry then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatEntry {
    pub ino: u64,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub uid: u32,
    pub start_ticks: u64,
    pub rss_bytes: u64,
    pub state: char,
    pub comm: String,
}

impl StatEntry {
    /// `p`'s entry, listed with inode `ino`.
    pub fn of(p: &ProcInfo, ino: u64) -> StatEntry {
        StatEntry {
            ino,
            ppid: p.ppid,
            pgid: p.pgid,
            sid: p.sid,
            uid: p.uid,
            start_ticks: p.start_ticks,
            rss_bytes: p.rss_bytes,
            state: p.state,
            comm: p.comm.clone(),
        }
    }

    fn info(&self, pid: i32) -> ProcInfo {
        ProcInfo {
            pid,
            ppid: self.ppid,
            pgid: self.pgid,
            sid: self.sid,
            uid: self.uid,
            start_ticks: self.start_ticks,
            rss_bytes: self.rss_bytes,
            comm: self.comm.clone(),
            cmdline: Vec::new(),
            state: self.state,
            env: None,
        }
    }
}

/// The numeric entries of /proc with their inode numbers, in directory order (one `getdents`
/// walk, nothing opened per process).
pub fn list() -> io::Result<Vec<(i32, u64)>> {
    use std::os::unix::fs::DirEntryExt;
    let mut out = Vec::with_capacity(1024);
    for e in std::fs::read_dir("/proc")? {
        let e = e?;
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        out.push((pid, e.ino()));
    }
    Ok(out)
}

/// Pure: which listed pids can be served from `known` (pid -> remembered inode and parent): same
/// inode, and the parent (when it has one) listed with the inode remembered for it.
pub fn unchanged(listed: &HashMap<i32, u64>, known: &HashMap<i32, StatEntry>) -> HashSet<i32> {
    let same = |pid: i32| {
        known
            .get(&pid)
            .is_some_and(|e| e.ino != 0 && listed.get(&pid) == Some(&e.ino))
    };
    listed
        .keys()
        .copied()
        .filter(|pid| same(*pid))
        .filter(|pid| {
            let ppid = known[pid].ppid;
            ppid <= 0 || same(ppid)
        })
        .collect()
}

/// A pass served as far as possible from remembered `stat`s.
pub struct Listed {
    pub snapshot: Snapshot,
    /// Every listed pid's inode (for the stop's rescans).
    pub inos: HashMap<i32, u64>,
    /// How many `stat`s were read now (the rest were served).
    pub read: usize,
    /// Pids listed but unknown before that were gone before their `stat` could be read: short-lived
    /// processes, or one hopping pids (fork, exit, setsid) whose next pid the listing missed.
    pub vanished: usize,
}

/// Reads one process's `stat` (and its owner) now; None when it is gone.
#[cfg(target_os = "linux")]
pub(crate) fn read_stat(
    fs: &mut super::procfs::ProcFs,
    buf: &mut Vec<u8>,
    pid: i32,
) -> Option<ProcInfo> {
    super::linux::read_stat(fs, pid, buf, super::linux::page_size()).map(|(p, _)| p)
}

/// One listing of /proc; the `stat` of the pids `known` cannot serve ([`unchanged`]) read now.
/// Returns the snapshot, the inodes, and the entries to remember.
#[cfg(target_os = "linux")]
pub fn take_served(
    known: &HashMap<i32, StatEntry>,
    must_read: impl Fn(i32, &StatEntry) -> bool,
) -> Result<(Listed, HashMap<i32, StatEntry>), ProcError> {
    let err = |source| ProcError::Read {
        path: "/proc".into(),
        source,
    };
    let listed: HashMap<i32, u64> = list().map_err(err)?.into_iter().collect();
    let served = unchanged(&listed, known);
    let mut fs = super::procfs::ProcFs::open(std::path::Path::new("/proc")).map_err(err)?;
    let mut buf = Vec::new();
    let mut procs = Vec::with_capacity(listed.len());
    let mut stats = HashMap::with_capacity(listed.len());
    let mut read = 0;
    let mut vanished = 0;
    for (&pid, &ino) in &listed {
        let p = match known.get(&pid) {
            Some(e) if served.contains(&pid) && !must_read(pid, e) => e.info(pid),
            _ => {
                read += 1;
                match read_stat(&mut fs, &mut buf, pid) {
                    Some(p) => p,
                    None => {
                        // Exited since the listing.
                        vanished += usize::from(!known.contains_key(&pid));
                        continue;
                    }
                }
            }
        };
        stats.insert(pid, StatEntry::of(&p, ino));
        procs.push(p);
    }
    let snapshot = Snapshot::from_procs(
        procs,
        super::linux::ticks_per_sec(),
        super::linux::boot_time(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
    );
    Ok((
        Listed {
            snapshot,
            inos: listed,
            read,
            vanished,
        },
        stats,
    ))
}

/// The remembered `stat`s, in their own file next to the tag cache (`<cache>.stats`: the daemon
/// writes the tag cache from memory and never has these). Tied to one boot; any damage, another
/// owner or a file others can write makes it empty: it only ever saves reads.
#[derive(Debug, Default)]
pub struct StatCache {
    boot_time: u64,
    stats: HashMap<i32, StatEntry>,
    dirty: bool,
}

const MAGIC: &[u8; 8] = b"MCPDSTA1";
/// A bigger file is not read (about 200,000 processes).
const FILE_LIMIT: u64 = 16 << 20;

impl StatCache {
    /// The file that goes with the tag cache at `tags`.
    pub fn path_for(tags: &std::path::Path) -> std::path::PathBuf {
        tags.with_extension("stats")
    }

    /// Reads the file at `path` (None, missing, damaged, someone else's or another boot's: empty).
    pub fn load(path: Option<&std::path::Path>) -> StatCache {
        #[cfg(target_os = "linux")]
        let boot_time = super::linux::boot_time();
        #[cfg(not(target_os = "linux"))]
        let boot_time = 0;
        let empty = StatCache {
            boot_time,
            ..StatCache::default()
        };
        let Some(path) = path else { return empty };
        match read_private(path).and_then(|raw| {
            let mut c = Cursor(&raw);
            if c.take(8)? != MAGIC {
                return Err(bad("not an mcpd stat cache"));
            }
            let boot = c.u64()?;
            let stats = decode_stats(&mut c, raw.len())?;
            if !c.0.is_empty() {
                return Err(bad("trailing bytes"));
            }
            Ok((boot, stats))
        }) {
            Ok((boot, stats)) if boot == boot_time => StatCache {
                boot_time,
                stats,
                dirty: false,
            },
            Ok(_) => empty,
            Err(e) => {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::debug!("{}: {e}; starting an empty stat cache", path.display());
                }
                empty
            }
        }
    }

    /// Writes the file when something changed (a temporary file renamed over it, private).
    pub fn save(&mut self, path: &std::path::Path) -> io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if !self.dirty {
            return Ok(());
        }
        let mut out = Vec::with_capacity(16 + self.stats.len() * 56);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.boot_time.to_le_bytes());
        encode_stats(&self.stats, &mut out);
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&out))
            .and_then(|_| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        self.dirty = false;
        Ok(())
    }

    /// A lean snapshot ([`Snapshot::take_lean`]'s fields) from one listing of /proc: the `stat` of
    /// processes whose `/proc/PID` inode (and their parent's) is remembered unchanged is served
    /// from here, the others are read now and remembered. The entries serve a scan, never a
    /// decision: callers read again, with [`refresh`], what they act on.
    #[cfg(target_os = "linux")]
    pub fn take_listed(&mut self) -> Result<Listed, ProcError> {
        let (listed, stats) = take_served(&self.stats, |_, _| false)?;
        if listed.read > 0 || stats.len() != self.stats.len() {
            self.stats = stats;
            self.dirty = true;
        }
        Ok(listed)
    }

    /// Elsewhere: a lean pass.
    #[cfg(not(target_os = "linux"))]
    pub fn take_listed(&mut self) -> Result<Listed, ProcError> {
        let snapshot = Snapshot::take_lean()?;
        Ok(Listed {
            snapshot,
            inos: HashMap::new(),
            read: 0,
            vanished: 0,
        })
    }
}

/// A private file of this user, read whole (at most [`FILE_LIMIT`]).
fn read_private(path: &std::path::Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let f = std::fs::File::open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() || meta.uid() != super::my_uid() || meta.mode() & 0o022 != 0 {
        return Err(bad("not a private file of this user"));
    }
    if meta.len() > FILE_LIMIT {
        return Err(bad("too big"));
    }
    let mut raw = Vec::with_capacity(meta.len() as usize);
    f.take(FILE_LIMIT).read_to_end(&mut raw)?;
    Ok(raw)
}

/// Reads again, now, the `stat` of `pids` and of all their ancestors, and puts what was read into
/// `snap` (a process gone since is taken out). Returns the pids read.
pub fn refresh(snap: &mut Snapshot, pids: impl IntoIterator<Item = i32>) -> HashSet<i32> {
    let mut done: HashSet<i32> = HashSet::new();
    #[cfg(target_os = "linux")]
    {
        let Ok(mut fs) = super::procfs::ProcFs::open(std::path::Path::new("/proc")) else {
            return done;
        };
        let mut buf = Vec::new();
        let mut todo: Vec<i32> = pids.into_iter().collect();
        let mut procs = std::mem::take(&mut snap.procs);
        while let Some(pid) = todo.pop() {
            if pid <= 0 || !done.insert(pid) {
                continue;
            }
            match read_stat(&mut fs, &mut buf, pid) {
                Some(mut p) => {
                    if let Some(old) = procs.get(&pid).filter(|o| o.start_ticks == p.start_ticks) {
                        p.cmdline = old.cmdline.clone();
                        p.env = old.env.clone();
                    }
                    todo.push(p.ppid);
                    procs.insert(pid, p);
                }
                None => {
                    procs.remove(&pid);
                }
            }
        }
        *snap = Snapshot::from_procs(
            procs.into_values().collect(),
            snap.ticks_per_sec,
            snap.boot_time,
            snap.taken_at,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (snap, pids.into_iter().count());
    done
}

/// Appends the remembered `stat`s to the cache file's bytes.
pub(super) fn encode_stats(stats: &HashMap<i32, StatEntry>, out: &mut Vec<u8>) {
    let kept: Vec<(&i32, &StatEntry)> = stats.iter().filter(|(_, e)| e.comm.len() <= 64).collect();
    out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
    for (pid, e) in kept {
        out.extend_from_slice(&pid.to_le_bytes());
        out.extend_from_slice(&e.ino.to_le_bytes());
        for v in [e.ppid, e.pgid, e.sid] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&e.uid.to_le_bytes());
        out.extend_from_slice(&e.start_ticks.to_le_bytes());
        out.extend_from_slice(&e.rss_bytes.to_le_bytes());
        out.extend_from_slice(&u32::from(e.state).to_le_bytes());
        put_str(out, Some(&e.comm));
    }
}

/// Reads what [`encode_stats`] wrote.
pub(super) fn decode_stats(
    c: &mut Cursor<'_>,
    total: usize,
) -> io::Result<HashMap<i32, StatEntry>> {
    let n = c.u32()? as usize;
    // Each entry takes at least 52 bytes: a count beyond that is damage.
    if n > total / 52 {
        return Err(bad("stat count past the end"));
    }
    let mut out = HashMap::with_capacity(n);
    for _ in 0..n {
        let pid = c.u32()? as i32;
        let ino = c.u64()?;
        let ppid = c.u32()? as i32;
        let pgid = c.u32()? as i32;
        let sid = c.u32()? as i32;
        let uid = c.u32()?;
        let start_ticks = c.u64()?;
        let rss_bytes = c.u64()?;
        let state = char::from_u32(c.u32()?).ok_or_else(|| bad("bad state"))?;
        let comm = c.string()?.ok_or_else(|| bad("no comm"))?;
        out.insert(
            pid,
            StatEntry {
                ino,
                ppid,
                pgid,
                sid,
                uid,
                start_ticks,
                rss_bytes,
                state,
                comm,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ino: u64, ppid: i32) -> StatEntry {
        StatEntry {
            ino,
            ppid,
            pgid: 1,
            sid: 1,
            uid: 0,
            start_ticks: 5,
            rss_bytes: 0,
            state: 'S',
            comm: "x".into(),
        }
    }

    #[test]
    fn an_entry_is_served_only_with_its_inode_and_its_parents_unchanged() {
        let known: HashMap<i32, StatEntry> = [
            (1, entry(100, 0)),
            (10, entry(110, 1)),
            (11, entry(111, 10)),
            (12, entry(112, 10)),
            (20, entry(120, 1)),
            (21, entry(121, 20)),
        ]
        .into_iter()
        .collect();
        // 12 was recycled (new inode); 20 exited and its pid was reused, so 21 was reparented.
        let listed: HashMap<i32, u64> = [
            (1, 100),
            (10, 110),
            (11, 111),
            (12, 999),
            (20, 998),
            (21, 121),
            (30, 130),
        ]
        .into_iter()
        .collect();
        let mut got: Vec<i32> = unchanged(&listed, &known).into_iter().collect();
        got.sort_unstable();
        assert_eq!(got, vec![1, 10, 11]);
        // An inode of 0 (unknown) never matches.
        let zero: HashMap<i32, StatEntry> = [(1, entry(0, 0))].into_iter().collect();
        assert!(unchanged(&[(1, 0)].into_iter().collect(), &zero).is_empty());
    }

    #[test]
    fn remembered_stats_survive_the_file_and_damage_is_refused() {
        let stats: HashMap<i32, StatEntry> =
            [(7, entry(70, 1)), (8, entry(80, 7))].into_iter().collect();
        let mut raw = Vec::new();
        encode_stats(&stats, &mut raw);
        let mut c = Cursor(&raw);
        assert_eq!(decode_stats(&mut c, raw.len()).unwrap(), stats);
        assert!(c.0.is_empty());
        let cut = &raw[..raw.len() - 3];
        assert!(decode_stats(&mut Cursor(cut), cut.len()).is_err());
        let mut huge = raw.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_stats(&mut Cursor(&huge), huge.len()).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_listing_serves_unchanged_processes_and_reads_new_ones() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("c.stats");
        let mut cache = StatCache::load(Some(&path));
        let first = cache.take_listed().unwrap();
        assert!(first.snapshot.get(std::process::id() as i32).is_some());
        cache.save(&path).unwrap();
        let mut cache = StatCache::load(Some(&path));
        assert!(!cache.stats.is_empty(), "the file keeps what was read");
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let second = cache.take_listed().unwrap();
        let pid = child.id() as i32;
        let p = second
            .snapshot
            .get(pid)
            .expect("a process started since is found");
        assert_eq!(p.ppid, std::process::id() as i32);
        assert!(
            second.read < second.inos.len(),
            "unchanged processes are served"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        let third = cache.take_listed().unwrap();
        assert!(
            third.snapshot.get(pid).is_none(),
            "a reaped process is gone"
        );
    }
}
