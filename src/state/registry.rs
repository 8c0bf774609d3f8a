//! The record files. Every change takes the registry's advisory lock (`records/.lock`, flock), reads the
//! owner's file, changes it, and replaces it atomically (`state::atomic`: a synced temporary renamed over it, then the
//! directory), so twenty concurrent writers lose nothing and a crash leaves either the old or the new
//! file. Readers need no lock. A file that does not parse is moved aside as `NAME.corrupt` with a
//! warning naming it; other owners' files are never touched by it.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::{Owner, Record, atomic};
use crate::procs::Identity;

const VERSION: u32 = 1;

/// A failure that stops a registry operation (the caller reports it; nothing recorded is lost).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot lock {path}: {source}")]
    Lock { path: PathBuf, source: nix::Error },
}

/// A problem found while reading, reported but not fatal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateWarning {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for StateWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// What reading a record file found.
enum ReadOutcome {
    Missing,
    Good(OwnerFile),
    /// It does not parse (or is of another version): moved aside, under the lock.
    Corrupt(String),
    /// It could not be read (permissions, too many open files, not a regular file): left alone.
    Unreadable(String),
    /// Written by a newer mcpd: its records are used, the file is never rewritten or moved aside.
    Newer(OwnerFile),
}

/// The largest record file read (a file past it is not ours to parse: left alone, with a warning).
const MAX_FILE_BYTES: u64 = 16 << 20;

/// Unknown fields are tolerated (a newer mcpd may add some); a newer version is read, never rewritten.
#[derive(Serialize, Deserialize)]
struct OwnerFile {
    version: u32,
    owner: Owner,
    records: Vec<Record>,
}

/// The registry in one directory.
#[derive(Clone, Debug)]
pub struct Registry {
    dir: PathBuf,
}

/// Holds the registry lock; released on drop.
pub struct Lock {
    _flock: Flock<File>,
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StateError + 'a {
    move |source| StateError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

impl Registry {
    /// Opens (creating, mode 0700) the registry directory.
    pub fn open(dir: &Path) -> Result<Registry, StateError> {
        crate::paths::ensure_private_dir(dir).map_err(|e| StateError::Io {
            op: "create",
            path: dir.to_path_buf(),
            source: io::Error::other(e.to_string()),
        })?;
        Ok(Registry {
            dir: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the registry's exclusive lock.
    pub fn lock(&self) -> Result<Lock, StateError> {
        let path = self.dir.join(".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        let flock = Flock::lock(f, FlockArg::LockExclusive)
            .map_err(|(_, e)| StateError::Lock { path, source: e })?;
        Ok(Lock { _flock: flock })
    }

    fn path_of(&self, owner: &Owner) -> PathBuf {
        self.dir.join(owner.file_name())
    }

    /// Reads one file.
    fn read_file(path: &Path) -> ReadOutcome {
        let text = match read_regular(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return ReadOutcome::Missing,
            // Not the file's fault (EMFILE, EACCES, a FIFO, a link...): never moved aside.
            Err(e) => return ReadOutcome::Unreadable(format!("cannot read: {e}")),
        };
        Self::parse(&text)
    }

    /// What a record file's bytes hold (no I/O).
    fn parse(text: &[u8]) -> ReadOutcome {
        // A newer version may have changed more than fields: look at the version first.
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        if let Ok(v) = serde_json::from_slice::<Version>(text)
            && v.version > VERSION
        {
            return match serde_json::from_slice::<OwnerFile>(text) {
                Ok(f) => ReadOutcome::Newer(f),
                Err(e) => ReadOutcome::Unreadable(format!(
                    "written by a newer mcpd (version {}), and unreadable to this one ({e}); upgrade mcpd",
                    v.version
                )),
            };
        }
        let file: OwnerFile = match serde_json::from_slice(text) {
            Ok(f) => f,
            Err(e) => return ReadOutcome::Corrupt(format!("not a valid record file ({e})")),
        };
        if file.version != VERSION {
            return ReadOutcome::Corrupt(format!(
                "record file version {} (this mcpd reads version {VERSION})",
                file.version
            ));
        }
        ReadOutcome::Good(file)
    }

    /// Moves a corrupt file aside as `NAME.corrupt` (or `NAME.corrupt.N`). The caller holds the lock.
    fn move_aside(path: &Path) -> io::Result<PathBuf> {
        let mut dest = path.with_extension("json.corrupt");
        let mut n = 1;
        while dest.exists() {
            dest = path.with_extension(format!("json.corrupt.{n}"));
            n += 1;
        }
        fs::rename(path, &dest)?;
        Ok(dest)
    }

    /// Takes the lock, reads the file again (a writer may have replaced it since), and moves it aside
    /// only if it is still corrupt. Says what happened.
    fn quarantine(&self, path: &Path) -> Option<StateWarning> {
        let _lock = match self.lock() {
            Ok(l) => l,
            Err(e) => {
                return Some(StateWarning {
                    path: path.to_path_buf(),
                    message: format!("unreadable, and {e}"),
                });
            }
        };
        let why = match Self::read_file(path) {
            ReadOutcome::Corrupt(why) => why,
            ReadOutcome::Unreadable(why) => {
                return Some(StateWarning {
                    path: path.to_path_buf(),
                    message: why,
                });
            }
            ReadOutcome::Good(_) | ReadOutcome::Newer(_) | ReadOutcome::Missing => return None,
        };
        Some(StateWarning {
            path: path.to_path_buf(),
            message: match Self::move_aside(path) {
                Ok(dest) => format!("{why}; moved aside to {}", dest.display()),
                Err(e) => format!("{why}; could not move it aside: {e}"),
            },
        })
    }

    /// Every record of every owner, plus warnings for files that could not be read.
    pub fn load_all(&self) -> (Vec<Record>, Vec<StateWarning>) {
        let mut records = Vec::new();
        let mut warnings = Vec::new();
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) => {
                warnings.push(StateWarning {
                    path: self.dir.clone(),
                    message: format!("cannot list: {e}"),
                });
                return (records, warnings);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.ends_with(".json") && !name.starts_with('.')
            })
            .collect();
        paths.sort();
        for path in paths {
            match Self::read_file(&path) {
                ReadOutcome::Good(f) | ReadOutcome::Newer(f) => {
                    records.extend(f.records.into_iter().filter(|r| r.owner == f.owner))
                }
                ReadOutcome::Missing => {}
                ReadOutcome::Unreadable(message) => warnings.push(StateWarning { path, message }),
                ReadOutcome::Corrupt(_) => warnings.extend(self.quarantine(&path)),
            }
        }
        (records, warnings)
    }

    /// The records of one owner.
    pub fn load(&self, owner: &Owner) -> (Vec<Record>, Vec<StateWarning>) {
        let path = self.path_of(owner);
        match Self::read_file(&path) {
            ReadOutcome::Good(f) | ReadOutcome::Newer(f) => (f.records, Vec::new()),
            ReadOutcome::Missing => (Vec::new(), Vec::new()),
            ReadOutcome::Unreadable(message) => (Vec::new(), vec![StateWarning { path, message }]),
            ReadOutcome::Corrupt(_) => match self.quarantine(&path) {
                Some(w) => (Vec::new(), vec![w]),
                // Replaced by a good file meanwhile: read that.
                None => self.load(owner),
            },
        }
    }

    /// Changes one owner's records under the lock; an empty result removes the file. Returns the new
    /// records and any warning (a corrupt file is moved aside and treated as empty).
    pub fn update<F>(
        &self,
        owner: &Owner,
        f: F,
    ) -> Result<(Vec<Record>, Vec<StateWarning>), StateError>
    where
        F: FnOnce(&mut Vec<Record>),
    {
        let lock = self.lock()?;
        let path = self.path_of(owner);
        let mut warnings = Vec::new();
        let mut records = match Self::read_file(&path) {
            ReadOutcome::Good(file) => file.records,
            ReadOutcome::Missing => Vec::new(),
            ReadOutcome::Newer(f) => {
                return Err(StateError::Io {
                    op: "update",
                    path,
                    source: io::Error::other(format!(
                        "written by a newer mcpd (version {}): left alone; upgrade mcpd",
                        f.version
                    )),
                });
            }
            // A file we cannot read might hold good records: change nothing.
            ReadOutcome::Unreadable(why) => {
                return Err(StateError::Io {
                    op: "read",
                    path,
                    source: io::Error::other(why),
                });
            }
            // We hold the lock: move it aside and start the owner afresh.
            ReadOutcome::Corrupt(why) => match Self::move_aside(&path) {
                Ok(dest) => {
                    warnings.push(StateWarning {
                        path: path.clone(),
                        message: format!("{why}; moved aside to {}", dest.display()),
                    });
                    Vec::new()
                }
                Err(source) => {
                    return Err(StateError::Io {
                        op: "move aside corrupt",
                        path,
                        source,
                    });
                }
            },
        };
        f(&mut records);
        records.retain(|r| &r.owner == owner);
        if records.is_empty() {
            match fs::remove_file(&path) {
                Ok(()) => atomic::sync_dir(&self.dir),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StateError::Io {
                        op: "remove",
                        path,
                        source: e,
                    });
                }
            }
        } else {
            let file = OwnerFile {
                version: VERSION,
                owner: owner.clone(),
                records,
            };
            self.write_atomic(&path, &file)?;
            records = file.records;
        }
        drop(lock);
        Ok((records, warnings))
    }

    fn write_atomic(&self, path: &Path, file: &OwnerFile) -> Result<(), StateError> {
        let mut text = serde_json::to_vec_pretty(file).map_err(|e| StateError::Io {
            op: "encode",
            path: path.to_path_buf(),
            source: io::Error::other(e),
        })?;
        text.push(b'\n');
        atomic::write(path, &text, atomic::Mode::Default).map_err(io_err("write", path))
    }

    /// Adds records (replacing any with the same identity), grouped by owner.
    pub fn add(&self, new: Vec<Record>) -> Result<Vec<StateWarning>, StateError> {
        let mut by_owner: BTreeMap<Owner, Vec<Record>> = BTreeMap::new();
        for r in new {
            by_owner.entry(r.owner.clone()).or_default().push(r);
        }
        let mut warnings = Vec::new();
        for (owner, recs) in by_owner {
            let (_, mut w) = self.update(&owner, |existing| {
                for r in recs {
                    existing.retain(|e| e.identity() != r.identity());
                    existing.push(r);
                }
            })?;
            warnings.append(&mut w);
        }
        Ok(warnings)
    }

    /// Removes the records with these identities from `owner`.
    pub fn remove(
        &self,
        owner: &Owner,
        gone: &[Identity],
    ) -> Result<Vec<StateWarning>, StateError> {
        self.update(owner, |existing| {
            existing.retain(|r| !gone.contains(&r.identity()))
        })
        .map(|(_, w)| w)
    }

    /// Drops the records among `candidates` whose process is gone now (checked here, at the time of
    /// the drop: a process that is alive keeps its record). Returns how many were dropped.
    pub fn drop_gone<'a>(
        &self,
        candidates: impl IntoIterator<Item = (&'a Owner, Identity)>,
    ) -> Result<(usize, Vec<StateWarning>), StateError> {
        let mut by_owner: BTreeMap<&Owner, Vec<Identity>> = BTreeMap::new();
        for (owner, id) in candidates {
            if !id.is_alive() {
                by_owner.entry(owner).or_default().push(id);
            }
        }
        let mut dropped = 0;
        let mut warnings = Vec::new();
        for (owner, ids) in by_owner {
            let (_, mut w) = self.update(owner, |recs| {
                let before = recs.len();
                recs.retain(|r| !ids.contains(&r.identity()));
                dropped += before - recs.len();
            })?;
            warnings.append(&mut w);
        }
        Ok((dropped, warnings))
    }

    /// Drops every record of `owner`.
    pub fn remove_owner(&self, owner: &Owner) -> Result<Vec<StateWarning>, StateError> {
        self.update(owner, Vec::clear).map(|(_, w)| w)
    }

    /// Moves these records to owner `to` (a renamed tmux session): written under `to` first, then
    /// removed from their old owners, so a crash in between leaves a duplicate, never a loss.
    pub fn move_records(
        &self,
        records: &[Record],
        to: &Owner,
    ) -> Result<Vec<StateWarning>, StateError> {
        let moved: Vec<Record> = records
            .iter()
            .map(|r| Record {
                owner: to.clone(),
                ..r.clone()
            })
            .collect();
        let mut warnings = self.add(moved)?;
        let mut by_owner: BTreeMap<Owner, Vec<Identity>> = BTreeMap::new();
        for r in records.iter().filter(|r| &r.owner != to) {
            by_owner
                .entry(r.owner.clone())
                .or_default()
                .push(r.identity());
        }
        for (owner, ids) in by_owner {
            warnings.extend(self.remove(&owner, &ids)?);
        }
        Ok(warnings)
    }
}

/// Reads a record file's bytes as [`Registry::load_all`] does, without touching the disk: its
/// records that belong to the file's owner, or why it is not read (the entry point of the fuzz
/// target `state`; `load_all` quarantines a file for which this fails unless it says "newer").
pub fn parse_file(bytes: &[u8]) -> Result<Vec<Record>, String> {
    match Registry::parse(bytes) {
        ReadOutcome::Good(f) | ReadOutcome::Newer(f) => Ok(f
            .records
            .into_iter()
            .filter(|r| r.owner == f.owner)
            .collect()),
        ReadOutcome::Corrupt(why) | ReadOutcome::Unreadable(why) => Err(why),
        ReadOutcome::Missing => Err("missing".to_owned()),
    }
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`]: never follows a link, never blocks on a FIFO
/// or a device.
fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "{} bytes, more than a record file holds ({MAX_FILE_BYTES})",
            meta.len()
        )));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Origin;

    fn rec(pid: i32, owner: &Owner) -> Record {
        let id = Identity {
            pid,
            start_ticks: 1000 + pid as u64,
        };
        Record::new(id, owner.clone(), Origin::Adopted)
            .with_command(&format!("node server-{pid}"))
            .recorded_at(1)
    }

    #[test]
    fn add_load_remove() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(&t.path().join("records")).unwrap();
        let a = Owner::Session("a".into());
        let g = Owner::Global("fs".into());
        reg.add(vec![rec(1, &a), rec(2, &a), rec(3, &g)]).unwrap();
        reg.add(vec![rec(2, &a)]).unwrap(); // same identity: replaced, not doubled
        let (all, w) = reg.load_all();
        assert!(w.is_empty());
        assert_eq!(all.len(), 3);
        reg.remove(&a, &[rec(1, &a).identity()]).unwrap();
        assert_eq!(reg.load(&a).0.len(), 1);
        reg.remove_owner(&a).unwrap();
        assert!(reg.load(&a).0.is_empty());
        assert!(!t.path().join("records").join(a.file_name()).exists());
        assert_eq!(reg.load_all().0.len(), 1);
    }

    #[test]
    fn corrupt_file_is_moved_aside_and_others_survive() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(t.path()).unwrap();
        let a = Owner::Session("a".into());
        let b = Owner::Session("b".into());
        reg.add(vec![rec(1, &a), rec(2, &b)]).unwrap();
        let pa = t.path().join(a.file_name());
        let text = fs::read_to_string(&pa).unwrap();
        fs::write(&pa, &text[..text.len() / 2]).unwrap(); // truncated
        let (all, w) = reg.load_all();
        assert_eq!(all, vec![rec(2, &b)]);
        assert_eq!(w.len(), 1);
        assert!(w[0].to_string().contains(&a.file_name()), "{}", w[0]);
        assert!(t.path().join(format!("{}.corrupt", a.file_name())).exists());
        // The owner can be written again afterwards.
        reg.add(vec![rec(3, &a)]).unwrap();
        assert_eq!(reg.load(&a).0.len(), 1);
    }

    #[test]
    fn a_newer_mcpds_records_are_honoured_never_moved_aside_or_rewritten() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(t.path()).unwrap();
        let a = Owner::Session("a".into());
        reg.add(vec![rec(1, &a)]).unwrap();
        let pa = t.path().join(a.file_name());
        let text = fs::read_to_string(&pa).unwrap();
        // A field this version does not know, in a record of this version: tolerated.
        let extra = text.replace("\"pgid\"", "\"cgroup\": \"/x\",\n      \"pgid\"");
        fs::write(&pa, &extra).unwrap();
        assert_eq!(reg.load_all(), (vec![rec(1, &a)], vec![]));
        // A newer version: read, never quarantined, never rewritten.
        let newer = extra.replace("\"version\": 1", "\"version\": 2");
        fs::write(&pa, &newer).unwrap();
        assert_eq!(reg.load_all(), (vec![rec(1, &a)], vec![]));
        let e = reg.add(vec![rec(2, &a)]).unwrap_err();
        assert!(e.to_string().contains("newer mcpd"), "{e}");
        assert_eq!(fs::read_to_string(&pa).unwrap(), newer);
        assert!(!t.path().join(format!("{}.corrupt", a.file_name())).exists());
    }

    #[test]
    fn hostile_files_never_hang_and_are_never_moved_aside() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(t.path()).unwrap();
        let fifo = t.path().join("session-fifo.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        std::os::unix::fs::symlink("/dev/zero", t.path().join("session-zero.json")).unwrap();
        std::os::unix::fs::symlink("/dev/urandom", t.path().join("session-rand.json")).unwrap();
        let (recs, w) = reg.load_all();
        assert!(recs.is_empty());
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(fifo.exists() && t.path().join("session-zero.json").exists());
    }

    #[test]
    fn records_of_another_owner_are_not_kept_in_a_file() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(t.path()).unwrap();
        let a = Owner::Session("a".into());
        let z = Owner::Session("zzz".into());
        reg.update(&a, |v| v.extend([rec(1, &a), rec(9, &z)]))
            .unwrap();
        let (all, _) = reg.load_all();
        assert_eq!(all, vec![rec(1, &a)]);
    }

    #[test]
    fn parse_file_reads_bytes_as_load_all_does() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(t.path()).unwrap();
        let a = Owner::Session("a".into());
        reg.add(vec![rec(1, &a)]).unwrap();
        let text = fs::read(t.path().join(a.file_name())).unwrap();
        assert_eq!(parse_file(&text), Ok(vec![rec(1, &a)]));
        let e = parse_file(&text[..text.len() / 2]).unwrap_err();
        assert!(e.contains("not a valid record file"), "{e}");
        let newer = String::from_utf8(text)
            .unwrap()
            .replace("\"version\": 1", "\"version\": 7");
        assert_eq!(parse_file(newer.as_bytes()), Ok(vec![rec(1, &a)]));
        assert!(
            parse_file(b"{\"version\": 9}")
                .unwrap_err()
                .contains("newer mcpd")
        );
    }

    #[test]
    fn rename_moves_records() {
        let t = tempfile::tempdir().unwrap();
        let reg = Registry::open(t.path()).unwrap();
        let a = Owner::Session("a".into());
        let b = Owner::Session("b".into());
        reg.add(vec![rec(1, &a)]).unwrap();
        let (moving, _) = reg.load(&a);
        reg.move_records(&moving, &b).unwrap();
        assert!(reg.load(&a).0.is_empty());
        assert_eq!(reg.load(&b).0[0].owner, b);
    }
}
