//! The history file: compact JSON Lines, newest last, within a byte budget; written
//! atomically, read back leniently and bounded (`tokio_util`'s length-capped delimiter codec).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use tokio_util::bytes::BytesMut;
use tokio_util::codec::{AnyDelimiterCodec, Decoder};

use super::*;
use crate::state::atomic;

/// Lines longer than this are treated as damage when loading; a legitimate sample
/// (64 servers with 256-byte keys, even fully escaped) is far smaller. Bounds the
/// loader's memory when the file is corrupt.
const MAX_LINE_BYTES: usize = 1 << 20;

impl History {
    /// Persist: an atomic write ([`crate::state::atomic`]) of compact JSON Lines,
    /// newest last, keeping only as many newest samples as fit in `max_file_bytes`.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        // Serialise newest first so we can stop as soon as the budget is spent;
        // memory used here is therefore bounded by the budget, not the ring.
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut total: u64 = 0;
        for s in self.samples.iter().rev() {
            let mut line = serde_json::to_vec(s).map_err(io::Error::other)?;
            line.push(b'\n');
            let len = u64::try_from(line.len()).unwrap_or(u64::MAX);
            match total.checked_add(len) {
                Some(next) if next <= self.max_file_bytes => total = next,
                // Stop at the first sample that does not fit: the file must be a
                // contiguous newest suffix, not a patchwork of small samples.
                _ => break,
            }
            lines.push(line);
        }

        let bytes: Vec<u8> = lines.iter().rev().flatten().copied().collect();
        atomic::write(path, &bytes, atomic::Mode::Default)
    }

    /// Load: read JSON Lines; skip (and count) malformed lines; keep the newest
    /// `capacity`; a missing file is an empty history. Returns `(History, skipped_lines)`.
    ///
    /// Blank lines are ignored without counting. Lines over 1 MiB count as
    /// malformed and are skipped without being buffered. If the file is larger
    /// than `max_file_bytes` (say the budget was lowered) only its tail is read,
    /// starting at the first whole line, so loading time and memory stay bounded.
    pub fn load(path: &Path, capacity: usize, max_file_bytes: u64) -> io::Result<(History, usize)> {
        let mut history = History::new(capacity, max_file_bytes);
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((history, 0)),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        // Whether the first line read is the end of a line the seek cut (then dropped).
        let mut partial_first = false;
        if len > max_file_bytes {
            let start = len - max_file_bytes;
            // Peek at the byte before `start`: if it ends a line we are already at
            // a line boundary; otherwise the first line is a partial one.
            file.seek(SeekFrom::Start(start - 1))?;
            let mut before = [0u8; 1];
            file.read_exact(&mut before)?;
            partial_first = before[0] != b'\n';
        }

        let mut codec =
            AnyDelimiterCodec::new_with_max_length(vec![b'\n'], Vec::new(), MAX_LINE_BYTES);
        let mut buf = BytesMut::new();
        let mut chunk = [0u8; 8192];
        let mut eof = false;
        let mut skipped = 0;
        loop {
            let frame = if eof {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            // `None`: a line over the limit (the codec skips the rest of it).
            let line = match frame {
                Ok(None) if eof => break,
                Ok(None) => {
                    match file.read(&mut chunk) {
                        Ok(0) => eof = true,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                    continue;
                }
                Ok(Some(line)) => Some(line),
                Err(_) => None,
            };
            if std::mem::take(&mut partial_first) {
                continue;
            }
            let Some(line) = line else {
                skipped += 1;
                continue;
            };
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Sample>(text) {
                Ok(s) => history.push(s),
                Err(_) => skipped += 1,
            }
        }
        Ok((history, skipped))
    }
}
