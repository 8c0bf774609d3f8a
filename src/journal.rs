//! The event journal: every stop mcpd makes on its own (sweep, clean, session close, limits, TTLs)
//! with its reason, so a user can audit what was stopped and why (DESIGN.md, "Say why"). A JSON line
//! per event in `<state dir>/events.jsonl`, bounded in bytes: past [`MAX_BYTES`] the older half is
//! dropped (rewritten atomically under a lock). Reading never follows a link, never blocks on a FIFO,
//! and never reads more than the bound.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::procs::StopOutcome;

/// The journal's size bound.
pub const MAX_BYTES: u64 = 512 * 1024;

/// One stop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Seconds since the epoch.
    pub t: u64,
    /// Who stopped it: `sweep`, `clean`, `session-close`, `limit`, `idle`, `detached-ttl`...
    pub actor: String,
    pub pid: i32,
    pub command: String,
    pub rss_bytes: u64,
    /// `exited`, `killed` or `survived`.
    pub ending: String,
    pub reason: String,
}

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("events.jsonl")
}

/// Appends one event per stopped process of `outcome`. `reasons` gives the reason by target pid;
/// descendants take their tree's reason, else `default`. Errors are logged, never raised: a journal
/// that cannot be written must not stop a stop.
pub fn record_stops(
    state_dir: &Path,
    actor: &str,
    outcome: &StopOutcome,
    reasons: &HashMap<i32, String>,
    default: &str,
) {
    let t = crate::procs::snapshot::now_epoch() as u64;
    let events: Vec<Event> = outcome
        .stopped
        .iter()
        .map(|s| Event {
            t,
            actor: actor.to_string(),
            pid: s.pid,
            command: s.command.clone(),
            rss_bytes: s.rss_bytes,
            ending: format!("{:?}", s.ending).to_lowercase(),
            reason: reasons
                .get(&s.pid)
                .cloned()
                .unwrap_or_else(|| default.to_string()),
        })
        .collect();
    if let Err(e) = append(state_dir, &events) {
        tracing::warn!(
            "cannot write the event journal {}: {e}",
            path(state_dir).display()
        );
    }
}

/// Appends events, trimming the file to its bound.
pub fn append(state_dir: &Path, events: &[Event]) -> std::io::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let _lock = lock(state_dir)?;
    let p = path(state_dir);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .custom_flags(libc_flags())
        .mode(0o600)
        .open(&p)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut buf = Vec::new();
    for e in events {
        serde_json::to_writer(&mut buf, e).map_err(std::io::Error::other)?;
        buf.push(b'\n');
    }
    f.write_all(&buf)?;
    if f.metadata()?.len() > MAX_BYTES {
        let kept = read_tail(&p, MAX_BYTES / 2)?;
        crate::state::atomic::write(&p, &kept, crate::state::atomic::Mode::Private)?;
    }
    Ok(())
}

/// The last `limit` events (malformed lines are skipped and counted).
pub fn read(state_dir: &Path, limit: usize) -> std::io::Result<(Vec<Event>, usize)> {
    let bytes = match read_tail(&path(state_dir), MAX_BYTES * 2) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut bad = 0;
    let mut out: Vec<Event> = Vec::new();
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice(line) {
            Ok(e) => out.push(e),
            Err(_) => bad += 1,
        }
    }
    let skip = out.len().saturating_sub(limit);
    Ok((out.split_off(skip), bad))
}

/// At most the last `max` bytes of a regular file, from a line start.
fn read_tail(p: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut f = OpenOptions::new()
        .read(true)
        .custom_flags(libc_flags())
        .open(p)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            p.display()
        )));
    }
    let len = meta.len();
    if len > max {
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(len - max))?;
    }
    let mut buf = Vec::with_capacity(len.min(max) as usize);
    f.take(max).read_to_end(&mut buf)?;
    if len > max {
        let start = buf
            .iter()
            .position(|b| *b == b'\n')
            .map_or(buf.len(), |i| i + 1);
        buf.drain(..start);
    }
    Ok(buf)
}

fn libc_flags() -> i32 {
    (nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC)
        .bits()
}

/// Held until dropped: appends and trims of several mcpd processes never interleave.
fn lock(state_dir: &Path) -> std::io::Result<nix::fcntl::Flock<File>> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(libc_flags())
        .mode(0o600)
        .open(state_dir.join("events.lock"))?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| std::io::Error::from(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: u64) -> Event {
        Event {
            t: i,
            actor: "sweep".into(),
            pid: i as i32,
            command: "x".repeat(200),
            rss_bytes: 1,
            ending: "exited".into(),
            reason: "no live client; adopted by init (pid 1)".into(),
        }
    }

    #[test]
    fn bounded_in_bytes_and_keeps_the_newest() {
        let d = tempfile::tempdir().unwrap();
        for chunk in 0..40u64 {
            let evs: Vec<Event> = (chunk * 100..chunk * 100 + 100).map(ev).collect();
            append(d.path(), &evs).unwrap();
        }
        assert!(std::fs::metadata(path(d.path())).unwrap().len() <= MAX_BYTES);
        let (evs, bad) = read(d.path(), 5).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(
            evs.iter().map(|e| e.t).collect::<Vec<_>>(),
            [3995, 3996, 3997, 3998, 3999]
        );
    }

    #[test]
    fn hostile_files_are_refused_not_followed() {
        let d = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", path(d.path())).unwrap();
        assert!(read(d.path(), 10).is_err());
        assert!(append(d.path(), &[ev(1)]).is_err());
        std::fs::remove_file(path(d.path())).unwrap();
        nix::unistd::mkfifo(&path(d.path()), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(
            read(d.path(), 10).is_err(),
            "a FIFO must not hang the reader"
        );
        std::fs::remove_file(path(d.path())).unwrap();
        std::fs::write(path(d.path()), b"garbage\n{\"t\":1}\n").unwrap();
        append(d.path(), &[ev(7)]).unwrap();
        let (evs, bad) = read(d.path(), 10).unwrap();
        assert_eq!((evs.len(), bad), (1, 2));
    }
}
