//! The environment-tag cache. A process's environment is fixed when it execs, so its tags need to be
//! read once per exec, not once per snapshot: the daemon keeps this cache across sweeps, and the
//! commands share it through a file in the runtime directory, one per PID namespace (written by whoever read something new).
//!
//! An entry is served only to the same process image: same pid, same start time (a recycled pid has
//! another) and the same fingerprint of `comm` and the command line (an `exec` keeps pid and start
//! time but changes those; a fork that has not exec'd yet carries its parent's environment and command
//! line, and is re-read once it execs). The file is tied to one boot (start times restart at boot), is
//! read only when it belongs to this user and nobody else can write it, and any damage makes it an
//! empty cache: it only ever saves reads.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use super::environ::TmuxTag;
use super::{EnvTags, ProcInfo};

const MAGIC: &[u8; 8] = b"MCPDENV1";
/// A bigger file is not read (about 300,000 entries).
const FILE_LIMIT: u64 = 32 << 20;
/// One value in the file at most (a tag longer than that is not cached).
const VALUE_LIMIT: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    start_ticks: u64,
    print: u64,
    /// Whether the systemd unit was looked up (it is read only for children of a service manager).
    unit_read: bool,
    tags: EnvTags,
}

/// Environment tags by process image.
#[derive(Clone, Debug, Default)]
pub struct EnvCache {
    /// The boot the start times belong to (seconds since the epoch).
    boot_time: u64,
    entries: HashMap<i32, Entry>,
    dirty: bool,
    /// Lookups served and missed since the cache was made (for tests and the bench).
    pub hits: u64,
    pub misses: u64,
    /// The command lines of the process images seen (the daemon's incremental sweeps: see
    /// [`super::incremental`]); kept in memory only, never in the file.
    pub images: super::incremental::Images,
}

/// FNV-1a over `comm` and the command line: stable across runs and versions (the file keeps it).
pub fn fingerprint(p: &ProcInfo) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes.iter().chain(std::iter::once(&0u8)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(p.comm.as_bytes());
    for a in &p.cmdline {
        eat(a.as_bytes());
    }
    h
}

impl EnvCache {
    /// An empty cache for processes started in the boot at `boot_time`.
    pub fn new(boot_time: u64) -> EnvCache {
        EnvCache {
            boot_time,
            ..EnvCache::default()
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when something changed since it was loaded or saved.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The cached tags of `p`, if they were read for this very process image; `need_unit` asks for an
    /// entry whose systemd unit was looked up.
    pub fn get(&mut self, p: &ProcInfo, need_unit: bool) -> Option<&EnvTags> {
        let hit = self.entries.get(&p.pid).is_some_and(|e| {
            e.start_ticks == p.start_ticks
                && e.print == fingerprint(p)
                && (e.unit_read || !need_unit)
        });
        if hit {
            self.hits += 1;
            self.entries.get(&p.pid).map(|e| &e.tags)
        } else {
            self.misses += 1;
            None
        }
    }

    /// True when the cache holds `p`'s very image (pid, start time and fingerprint): a process read as
    /// this user's (see [`super::owners`]).
    pub fn knows(&self, p: &ProcInfo) -> bool {
        self.entries
            .get(&p.pid)
            .is_some_and(|e| e.start_ticks == p.start_ticks && e.print == fingerprint(p))
    }

    /// Remembers what was read for `p`, a process of this user (anyone else's is not remembered: an
    /// entry stands for its image's owner, [`super::owners`]).
    pub fn insert(&mut self, p: &ProcInfo, tags: EnvTags, unit_read: bool) {
        if p.uid != super::my_uid() {
            return;
        }
        self.entries.insert(
            p.pid,
            Entry {
                start_ticks: p.start_ticks,
                print: fingerprint(p),
                unit_read,
                tags,
            },
        );
        self.dirty = true;
    }

    /// Forgets every entry whose pid is not `live` with the same start time (gone or recycled), and
    /// everything when the boot changed.
    pub fn retain_live(&mut self, boot_time: u64, live: impl Fn(i32, u64) -> bool) {
        if boot_time != self.boot_time {
            self.boot_time = boot_time;
            self.dirty |= !self.entries.is_empty();
            self.entries.clear();
            return;
        }
        let before = self.entries.len();
        self.entries.retain(|pid, e| live(*pid, e.start_ticks));
        self.dirty |= self.entries.len() != before;
    }

    /// Reads the cache file; an empty cache when it is missing, damaged, someone else's, writable by
    /// others, too big, or from another boot.
    pub fn load(path: &Path, boot_time: u64) -> EnvCache {
        match Self::try_load(path, boot_time) {
            Ok(Some(c)) => c,
            Ok(None) => EnvCache::new(boot_time),
            Err(e) => {
                tracing::debug!("{}: {e}; starting an empty cache", path.display());
                EnvCache::new(boot_time)
            }
        }
    }

    fn try_load(path: &Path, boot_time: u64) -> std::io::Result<Option<EnvCache>> {
        use std::os::unix::fs::MetadataExt;
        let mut f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = f.metadata()?;
        if !meta.is_file() || meta.uid() != super::my_uid() || meta.mode() & 0o022 != 0 {
            return Err(bad("not a private file of this user"));
        }
        if meta.len() > FILE_LIMIT {
            return Err(bad("too big"));
        }
        let mut raw = Vec::with_capacity(meta.len() as usize);
        Read::by_ref(&mut f)
            .take(FILE_LIMIT)
            .read_to_end(&mut raw)?;
        let mut c = decode(&raw)?;
        if c.boot_time != boot_time {
            return Ok(None);
        }
        c.dirty = false;
        Ok(Some(c))
    }

    /// Writes the cache file atomically (a temporary file renamed over it), private to this user.
    pub fn save(&mut self, path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let written = f.write_all(&encode(self)).and_then(|_| f.flush());
        if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.dirty = false;
        Ok(())
    }
}

/// Loads `snap`'s environment tags (of the processes `want` selects) through the cache file at
/// `path` (None: no cache), and writes the file back when something was read or dropped. Owners a
/// pass left unread are settled first ([`super::owners::settle`]), so `want` sees them.
pub fn load_through_file(
    snap: &mut super::Snapshot,
    path: Option<&Path>,
    want: impl Fn(&ProcInfo) -> bool,
) {
    let Some(path) = path else {
        super::owners::settle(snap, None, super::my_uid());
        snap.load_env_tags(want);
        return;
    };
    let mut cache = EnvCache::load(path, snap.boot_time);
    // A pass that left owners unread: the cache knows most of this user's (`super::owners`).
    super::owners::settle(snap, Some(&cache), super::my_uid());
    snap.load_env_tags_cached(&mut cache, want);
    if cache.is_dirty()
        && let Err(e) = cache.save(path)
    {
        tracing::debug!("{}: {e}", path.display());
    }
}

/// [`EnvCache::load_lean`] through the cache file at `path` (None: no cache), written back when
/// something was read or dropped.
pub fn load_lean_through_file(
    snap: &mut super::Snapshot,
    path: Option<&Path>,
    want: impl Fn(&ProcInfo) -> bool,
    suspect: impl Fn(&EnvTags) -> bool,
) -> std::collections::HashSet<i32> {
    let mut cache = match path {
        Some(p) => EnvCache::load(p, snap.boot_time),
        None => EnvCache::new(snap.boot_time),
    };
    let read = cache.load_lean(snap, want, suspect);
    if let Some(path) = path
        && cache.is_dirty()
        && let Err(e) = cache.save(path)
    {
        tracing::debug!("{}: {e}", path.display());
    }
    read
}

impl EnvCache {
    /// For a lean snapshot (no command lines: [`super::Snapshot::take_lean`]): the environment tags
    /// of the processes `want` selects. A process this cache knows by pid and start time is given
    /// its cached tags without reading anything, unless `suspect` says those tags could make it a
    /// candidate: then its command line and environment are read now and the fresh tags replace the
    /// cached ones (so nothing is ever judged on a cached tag). A process the cache does not know
    /// (new, or a recycled pid) is read whole. Returns the pids whose tags were read now (their
    /// command lines are filled in); the others carry unverified tags, which
    /// [`super::Snapshot::load_env_tags_cached`] checks again once their command lines are known.
    ///
    /// What a cached tag can hide is an `exec` since it was read (same pid and start time) into an
    /// image with other tags: such a process is only missed as a candidate, never taken for one.
    pub fn load_lean(
        &mut self,
        snap: &mut super::Snapshot,
        want: impl Fn(&ProcInfo) -> bool,
        suspect: impl Fn(&EnvTags) -> bool,
    ) -> std::collections::HashSet<i32> {
        let procs = &snap.procs;
        self.retain_live(snap.boot_time, |pid, start| {
            procs.get(&pid).is_some_and(|p| p.start_ticks == start)
        });
        let mut read_now: Vec<i32> = Vec::new();
        for p in snap.procs.values_mut() {
            if p.env.is_some() || !want(p) {
                continue;
            }
            match self.entries.get(&p.pid) {
                Some(e) if e.start_ticks == p.start_ticks && !suspect(&e.tags) => {
                    self.hits += 1;
                    p.env = Some(e.tags.clone());
                }
                _ => read_now.push(p.pid),
            }
        }
        let read: std::collections::HashSet<i32> = read_now.iter().copied().collect();
        snap.fill_cmdlines(|p| read.contains(&p.pid));
        let mut reader = super::environ::Reader::new();
        for pid in &read_now {
            let Some(p) = snap.procs.get_mut(pid) else {
                continue;
            };
            self.misses += 1;
            let tags = reader.as_mut().and_then(|r| r.read(p.pid));
            if let Some(t) = &tags {
                self.insert(p, t.clone(), false);
            }
            p.env = Some(tags.unwrap_or_default());
        }
        read
    }
}

pub(super) fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

pub(super) fn put_str(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        Some(s) => {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn encode(c: &EnvCache) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + c.entries.len() * 48);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&c.boot_time.to_le_bytes());
    let fits = |e: &&Entry| {
        let t = &e.tags;
        [
            &t.tmux_pane,
            &t.mcpd_owner,
            &t.mcpd_state,
            &t.mcpd_server,
            &t.unit,
        ]
        .iter()
        .all(|v| v.as_ref().is_none_or(|s| s.len() <= VALUE_LIMIT))
            && t.tmux
                .as_ref()
                .is_none_or(|x| x.socket.len() <= VALUE_LIMIT)
    };
    let kept: Vec<(&i32, &Entry)> = c.entries.iter().filter(|(_, e)| fits(e)).collect();
    out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
    for (pid, e) in kept {
        out.extend_from_slice(&pid.to_le_bytes());
        out.extend_from_slice(&e.start_ticks.to_le_bytes());
        out.extend_from_slice(&e.print.to_le_bytes());
        out.push(u8::from(e.unit_read));
        let t = &e.tags;
        let tmux = t
            .tmux
            .as_ref()
            .map(|x| format!("{},{},{}", x.socket, x.server_pid, x.session_id));
        for v in [
            tmux.as_deref(),
            t.tmux_pane.as_deref(),
            t.mcpd_owner.as_deref(),
            t.mcpd_state.as_deref(),
            t.mcpd_server.as_deref(),
            t.unit.as_deref(),
        ] {
            put_str(&mut out, v);
        }
    }
    out
}

pub(super) struct Cursor<'a>(pub(super) &'a [u8]);

impl<'a> Cursor<'a> {
    pub(super) fn take(&mut self, n: usize) -> std::io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    pub(super) fn u32(&mut self) -> std::io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }

    pub(super) fn u64(&mut self) -> std::io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }

    pub(super) fn string(&mut self) -> std::io::Result<Option<String>> {
        let n = self.u32()?;
        if n == u32::MAX {
            return Ok(None);
        }
        if n as usize > VALUE_LIMIT {
            return Err(bad("value too long"));
        }
        let b = self.take(n as usize)?;
        String::from_utf8(b.to_vec())
            .map(Some)
            .map_err(|_| bad("not UTF-8"))
    }
}

fn decode(raw: &[u8]) -> std::io::Result<EnvCache> {
    let mut c = Cursor(raw);
    if c.take(8)? != MAGIC {
        return Err(bad("not an mcpd environment cache"));
    }
    let boot_time = c.u64()?;
    let n = c.u32()? as usize;
    // Each entry takes at least 45 bytes: a count beyond that is damage, not a reason to allocate.
    if n > raw.len() / 45 {
        return Err(bad("entry count past the end"));
    }
    let mut entries = HashMap::with_capacity(n);
    for _ in 0..n {
        let pid = c.u32()? as i32;
        let start_ticks = c.u64()?;
        let print = c.u64()?;
        let unit_read = c.take(1)?[0] != 0;
        let tmux = c.string()?;
        let tags = EnvTags {
            tmux: match tmux {
                None => None,
                Some(v) => Some(TmuxTag::parse(&v).ok_or_else(|| bad("bad TMUX value"))?),
            },
            tmux_pane: c.string()?,
            mcpd_owner: c.string()?,
            mcpd_state: c.string()?,
            mcpd_server: c.string()?,
            unit: c.string()?,
        };
        entries.insert(
            pid,
            Entry {
                start_ticks,
                print,
                unit_read,
                tags,
            },
        );
    }
    if !c.0.is_empty() {
        return Err(bad("trailing bytes"));
    }
    Ok(EnvCache {
        boot_time,
        entries,
        ..EnvCache::default()
    })
}

#[cfg(test)]
#[path = "envcache_tests.rs"]
mod tests;
