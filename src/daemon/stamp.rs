//! What the daemon knows of the config file it runs: modification time, size and a content hash,
//! taken from the very bytes it parsed. The CLI compares the file on disk with the daemon's stamp (from
//! the `ping` handshake) to notice an edit the daemon has not applied. The hash is FNV-1a 64, written
//! out here so that a CLI and a daemon built by different compilers agree on it.

use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};

/// The largest config file read (a config is a few kilobytes; anything this big is a mistake).
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// The identity of one version of the config file. `exists: false` means the file was missing (the
/// built-in defaults apply).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigStamp {
    /// The file's path as the daemon resolved it.
    #[serde(default)]
    pub path: String,
    pub exists: bool,
    /// Modification time, nanoseconds since the epoch.
    #[serde(default)]
    pub mtime_ns: u64,
    #[serde(default)]
    pub size: u64,
    /// FNV-1a 64 of the content, as 16 hex digits.
    #[serde(default)]
    pub hash: String,
}

/// FNV-1a 64 of `bytes`, as 16 hex digits.
pub fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn mtime_ns(m: &std::fs::Metadata) -> u64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn read_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message,
    }
}

/// Reads and validates the config at `path` once, returning it with the stamp of the bytes parsed.
/// A missing file is the built-in defaults; anything else that cannot be read or parsed is the
/// located error `Config::load` gives.
pub fn load(path: &Path) -> Result<(Config, ConfigStamp), ConfigError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let stamp = ConfigStamp {
                path: path.display().to_string(),
                ..Default::default()
            };
            return Ok((Config::default(), stamp));
        }
        Err(e) => {
            return Err(read_error(
                path,
                format!("cannot read the config file: {e}"),
            ));
        }
    };
    if !meta.is_file() {
        return Err(read_error(path, "the config is not a regular file".into()));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(read_error(
            path,
            format!(
                "the config file is {} bytes, more than the {MAX_CONFIG_BYTES} accepted",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| read_error(path, format!("cannot read the config file: {e}")))?;
    let stamp = ConfigStamp {
        path: path.display().to_string(),
        exists: true,
        mtime_ns: mtime_ns(&meta),
        size: bytes.len() as u64,
        hash: fnv1a(&bytes),
    };
    let config = match std::str::from_utf8(&bytes) {
        Ok(text) => Config::parse(text, path)?,
        // Config::load locates the bad byte.
        Err(_) => Config::load(path)?,
    };
    Ok((config, stamp))
}

/// Whether the file at `path` differs from `stamp`: equal time and size are taken as equal (no read);
/// otherwise the content decides, so a `touch` is not a change.
pub fn changed(path: &Path, stamp: &ConfigStamp) -> bool {
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return true,
        Err(_) => return stamp.exists,
    };
    if !stamp.exists {
        return true;
    }
    if meta.len() == stamp.size && mtime_ns(&meta) == stamp.mtime_ns {
        return false;
    }
    if meta.len() != stamp.size || meta.len() > MAX_CONFIG_BYTES {
        return true;
    }
    std::fs::read(path).map_or(true, |b| fnv1a(&b) != stamp.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_the_reference_value() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a(b""), "cbf29ce484222325");
        assert_eq!(fnv1a(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn touch_is_no_change_but_an_edit_is() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[daemon]\nstop_grace = \"1s\"\n").unwrap();
        let (_, s) = load(&p).unwrap();
        assert!(!changed(&p, &s));
        // Same bytes rewritten (another mtime): not a change.
        let mut later = s.clone();
        later.mtime_ns += 1;
        assert!(!changed(&p, &later));
        std::fs::write(&p, "[daemon]\nstop_grace = \"2s\"\n").unwrap();
        assert!(changed(&p, &s));
        std::fs::remove_file(&p).unwrap();
        assert!(changed(&p, &s));
        let (c, missing) = load(&p).unwrap();
        assert_eq!(c, Config::default());
        assert!(!changed(&p, &missing));
        std::fs::write(&p, "[daemon]\nbogus = 1\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("c.toml:2:1"), "{e}");
    }
}
