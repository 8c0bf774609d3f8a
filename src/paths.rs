//! Where mcpd keeps its files: the config file, the state directory (records, logs, history) and the
//! runtime directory (the daemon's socket). Environment overrides come first so that tests and users can
//! point mcpd anywhere: `MCPD_CONFIG`, `MCPD_STATE_DIR`, `MCPD_RUNTIME_DIR`.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The resolved locations mcpd works with.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The TOML config file (it need not exist).
    pub config_file: PathBuf,
    /// Records, logs and history.
    pub state_dir: PathBuf,
    /// The daemon's control socket and lock.
    pub runtime_dir: PathBuf,
}

/// Errors finding or creating mcpd's directories.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "cannot find a home directory to put mcpd's files in; set MCPD_STATE_DIR and MCPD_CONFIG"
    )]
    NoHome,
    #[error("cannot create directory {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("{path} exists but is not a directory")]
    NotADir { path: PathBuf },
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Paths {
    /// Resolves the paths: `config_override` (from `--config`/`MCPD_CONFIG`) wins for the config file;
    /// `MCPD_STATE_DIR` and `MCPD_RUNTIME_DIR` for the directories; XDG locations otherwise.
    /// Nothing is created here: see [`Paths::ensure_state_dir`] and [`Paths::ensure_runtime_dir`].
    pub fn resolve(config_override: Option<PathBuf>) -> Result<Paths, PathsError> {
        let dirs = directories::ProjectDirs::from("", "", "mcpd");
        let config_file = match config_override.or_else(|| env_path("MCPD_CONFIG")) {
            Some(p) => p,
            None => dirs
                .as_ref()
                .ok_or(PathsError::NoHome)?
                .config_dir()
                .join("config.toml"),
        };
        let state_dir = match env_path("MCPD_STATE_DIR") {
            Some(p) => p,
            None => {
                let d = dirs.as_ref().ok_or(PathsError::NoHome)?;
                d.state_dir()
                    .unwrap_or_else(|| d.data_local_dir())
                    .to_path_buf()
            }
        };
        let runtime_dir = match env_path("MCPD_RUNTIME_DIR") {
            Some(p) => p,
            None => match env_path("XDG_RUNTIME_DIR") {
                Some(p) => p.join("mcpd"),
                None => state_dir.join("run"),
            },
        };
        Ok(Paths {
            config_file,
            state_dir,
            runtime_dir,
        })
    }

    /// Creates the state directory (mode 0700) if needed and returns it.
    pub fn ensure_state_dir(&self) -> Result<&Path, PathsError> {
        ensure_private_dir(&self.state_dir)?;
        Ok(&self.state_dir)
    }

    /// Creates the runtime directory (mode 0700) if needed and returns it.
    pub fn ensure_runtime_dir(&self) -> Result<&Path, PathsError> {
        ensure_private_dir(&self.runtime_dir)?;
        Ok(&self.runtime_dir)
    }

    /// The environment-tag cache shared by the commands and the daemon (procs::envcache), created
    /// with the runtime directory; None when that directory cannot be made. One file per PID namespace
    /// (pids mean other processes in another one), named by the namespace's inode.
    pub fn env_cache_file(&self) -> Option<PathBuf> {
        let ns = std::fs::read_link("/proc/self/ns/pid").ok().and_then(|l| {
            let l = l.to_string_lossy().into_owned();
            let n = l
                .strip_prefix("pid:[")?
                .strip_suffix(']')?
                .parse::<u64>()
                .ok()?;
            Some(n)
        });
        let name = match ns {
            Some(n) => format!("env-tags-{n}.cache"),
            None => "env-tags.cache".to_string(),
        };
        self.ensure_runtime_dir().ok().map(|d| d.join(name))
    }

    /// The directory of per-owner record files.
    pub fn records_dir(&self) -> PathBuf {
        self.state_dir.join("records")
    }
}

/// Creates `path` and its parents with mode 0700 (parents that already exist are left as they are).
pub fn ensure_private_dir(path: &Path) -> Result<(), PathsError> {
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(PathsError::NotADir {
                path: path.to_path_buf(),
            });
        }
        Err(_) => {}
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| PathsError::Create {
            path: path.to_path_buf(),
            source,
        })?;
    // DirBuilder's mode is filtered by the umask; make the leaf exactly private.
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|source| {
        PathsError::Create {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_0700_and_idempotent() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a/b/c");
        ensure_private_dir(&p).unwrap();
        ensure_private_dir(&p).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn file_in_the_way_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f");
        fs::write(&p, "x").unwrap();
        let e = ensure_private_dir(&p).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }
}
