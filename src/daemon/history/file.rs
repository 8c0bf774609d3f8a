//! The history file: compact JSON Lines, newest last, within a byte budget; written
//! atomically, read back leniently and bounded.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

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
        let mut reader;
        if len > max_file_bytes {
            let start = len - max_file_bytes;
            // Peek at the byte before `start`: if it ends a line we are already at
            // a line boundary; otherwise drop the partial line we landed in.
            file.seek(SeekFrom::Start(start - 1))?;
            let mut before = [0u8; 1];
            file.read_exact(&mut before)?;
            reader = BufReader::new(file);
            if before[0] != b'\n' {
                let mut discard = Vec::new();
                read_line_bounded(&mut reader, &mut discard, 0)?;
            }
        } else {
            reader = BufReader::new(file);
        }

        let mut skipped = 0;
        let mut buf = Vec::new();
        loop {
            match read_line_bounded(&mut reader, &mut buf, MAX_LINE_BYTES)? {
                Line::Eof => break,
                Line::TooLong => skipped += 1,
                Line::Text => {
                    let text = buf.trim_ascii();
                    if text.is_empty() {
                        continue;
                    }
                    match serde_json::from_slice::<Sample>(text) {
                        Ok(s) => history.push(s),
                        Err(_) => skipped += 1,
                    }
                }
            }
        }
        Ok((history, skipped))
    }
}

/// What [`read_line_bounded`] found.
enum Line {
    /// A line (without its newline) is in the buffer; the last line may lack one.
    Text,
    /// The line exceeded the limit; it was consumed but not kept.
    TooLong,
    /// End of input, nothing read.
    Eof,
}

/// Reads one `\n`-terminated line into `buf` (cleared first), never buffering
/// more than `max` bytes of it: `BufRead::read_until` would happily allocate
/// gigabytes for a corrupt file without newlines.
fn read_line_bounded<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    buf.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::Eof,
                (true, true) => Line::TooLong,
                (true, false) => Line::Text,
            });
        }
        any = true;
        let newline = avail.iter().position(|&b| b == b'\n');
        let chunk_len = newline.unwrap_or(avail.len());
        if !too_long {
            if buf.len().saturating_add(chunk_len) > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..chunk_len]);
            }
        }
        let used = newline.map_or(avail.len(), |i| i + 1);
        r.consume(used);
        if newline.is_some() {
            return Ok(if too_long { Line::TooLong } else { Line::Text });
        }
    }
}
