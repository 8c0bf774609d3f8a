//! Whether the state dir can take writes at all. A read-only or full state dir does not stop mcpd
//! from stopping a closed session's processes, but their records cannot be removed nor their stops
//! journaled; this is how `status` says so instead of staying silent.

use std::path::Path;

use nix::sys::statvfs::{FsFlags, statvfs};

/// Warnings about the filesystem holding `dir`: read-only, or no space left. Empty when writes can
/// be made, or when `dir` does not exist yet (it is created on first write).
pub fn writability_warnings(dir: &Path) -> Vec<String> {
    let Ok(vfs) = statvfs(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if vfs.flags().contains(FsFlags::ST_RDONLY) {
        out.push(format!(
            "state dir {} is on a read-only filesystem: records of stopped processes cannot be \
             removed and stops cannot be journaled; remount it read-write or set MCPD_STATE_DIR",
            dir.display()
        ));
    } else if vfs.blocks_available() == 0 || (vfs.files() > 0 && vfs.files_available() == 0) {
        out.push(format!(
            "state dir {} has no space left: records and the journal cannot be written; free \
             space there or set MCPD_STATE_DIR",
            dir.display()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_dir_has_no_warning_and_a_missing_one_neither() {
        let dir = tempfile::tempdir().unwrap();
        assert!(writability_warnings(dir.path()).is_empty());
        assert!(writability_warnings(&dir.path().join("not-yet")).is_empty());
    }

    #[test]
    fn a_filesystem_without_free_blocks_is_named() {
        // procfs reports no blocks at all: it can take no records, and the warning names it.
        let w = writability_warnings(Path::new("/proc"));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("/proc") && w[0].contains("MCPD_STATE_DIR"),
            "{w:?}"
        );
    }
}
