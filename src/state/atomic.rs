//! Replacing a file atomically: the one way mcpd rewrites a file that others may read at any
//! moment (the record registry, the history, the event journal, configs it edits).
//!
//! The bytes go to a temporary file in the same directory (so the final rename stays on one
//! filesystem), are synced, and `tempfile`'s `persist` renames it over the target; then the
//! directory is synced, best effort, so the rename itself survives a crash. A reader sees the old
//! file or the new one, never a mix; a failed write leaves the old file and no temporary behind.

use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Who may read the new file.
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// Only this user (0600): state and logs of this user's processes.
    Private,
    /// What `fs::write` would give a new file (0666 less the umask).
    Default,
    /// The permissions of this existing file (an agent config may hold secrets), or
    /// [`Mode::Default`] when it does not exist.
    Like(&'a Path),
}

/// Writes `bytes` to `path` atomically (see the module docs).
pub fn write(path: &Path, bytes: &[u8], mode: Mode<'_>) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let exact = match mode {
        Mode::Like(like) => std::fs::metadata(like).ok().map(|m| m.permissions()),
        _ => None,
    };
    let created = match mode {
        Mode::Private => 0o600,
        Mode::Default | Mode::Like(_) => 0o666,
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".partial")
        .permissions(Permissions::from_mode(created))
        .tempfile_in(dir)?;
    if let Some(permissions) = exact {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Makes a rename or removal in `dir` durable. Failure only weakens crash safety (not every
/// filesystem can sync a directory), so it is not an error.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_the_file_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.json");
        write(&path, b"one", Mode::Private).unwrap();
        write(&path, b"two", Mode::Private).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode_of(&path), 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn keeps_the_permissions_of_a_file_it_is_told_to() {
        let dir = tempfile::tempdir().unwrap();
        let like = dir.path().join("agent.json");
        std::fs::write(&like, "{}").unwrap();
        std::fs::set_permissions(&like, Permissions::from_mode(0o640)).unwrap();
        write(&like, b"{\"a\":1}", Mode::Like(&like)).unwrap();
        assert_eq!(mode_of(&like), 0o640);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), "x").unwrap();
        // A non-empty directory cannot be renamed over.
        assert!(write(&path, b"new", Mode::Private).is_err());
        assert!(path.join("inside").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write(Path::new("/"), b"x", Mode::Private).is_err());
    }
}
