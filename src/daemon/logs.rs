//! Server logs: the stderr of each server goes to `<state dir>/logs/<key>.log`, size-capped:
//! past the cap the file is rotated to `.log.1` (one generation kept).

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{AnyDelimiterCodec, Decoder};

/// The log path for a server key (`fs`, `fs@session`), with the key made file-safe.
pub fn log_path(state_dir: &Path, key: &str) -> PathBuf {
    let safe: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("logs").join(format!("{safe}.log"))
}

/// The last `n` lines of a log (for `status` when a server failed).
pub fn tail(path: &Path, n: usize) -> Vec<String> {
    let Ok(text) = std::fs::read(path) else {
        return Vec::new();
    };
    let start = text.len().saturating_sub(16 * 1024);
    let text = String::from_utf8_lossy(&text[start..]);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

async fn open(path: &Path) -> std::io::Result<tokio::fs::File> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await?;
    f.seek(SeekFrom::End(0)).await?;
    Ok(f)
}

/// The longest stderr line logged whole: a longer one is replaced by a note, so a server that
/// writes without newlines cannot grow mcpd's memory.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Copies the server's stderr, line by line, into its log until it closes. (Its stdout is the MCP
/// channel: it goes to the multiplexer.) Lines are bytes, bounded by [`MAX_LINE_BYTES`] through
/// `tokio_util`'s length-capped delimiter codec; they need not be UTF-8.
pub async fn pump(stderr: std::process::ChildStderr, path: PathBuf, cap: u64) {
    let Ok(mut err) =
        tokio::net::unix::pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(stderr))
    else {
        return;
    };
    let Ok(mut file) = open(&path).await else {
        return;
    };
    let mut size = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let mut codec = AnyDelimiterCodec::new_with_max_length(vec![b'\n'], Vec::new(), MAX_LINE_BYTES);
    let mut buf = BytesMut::with_capacity(8192);
    let mut eof = false;
    loop {
        let decoded = if eof {
            codec.decode_eof(&mut buf)
        } else {
            codec.decode(&mut buf)
        };
        let mut bytes = match decoded {
            Ok(Some(line)) => line.strip_suffix(b"\r").unwrap_or(&line).to_vec(),
            Ok(None) if eof => break,
            Ok(None) => {
                match err.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => eof = true,
                    Ok(_) => {}
                }
                continue;
            }
            Err(_) => format!("[mcpd: a line longer than {MAX_LINE_BYTES} bytes was left out]")
                .into_bytes(),
        };
        bytes.push(b'\n');
        if size + bytes.len() as u64 > cap {
            let _ = tokio::fs::rename(&path, path.with_extension("log.1")).await;
            match open(&path).await {
                Ok(f) => file = f,
                Err(_) => return,
            }
            size = 0;
        }
        if file.write_all(&bytes).await.is_err() {
            return;
        }
        size += bytes.len() as u64;
    }
    let _ = file.flush().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pump_logs_bytes_and_leaves_out_overlong_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs").join("fs.log");
        let script = format!(
            "exec 1>&2; printf 'one\\r\\n\\377two\\n'; head -c {} /dev/zero | tr '\\0' x; \
             printf '\\nthree'",
            MAX_LINE_BYTES + 10
        );
        let mut child = std::process::Command::new("sh")
            .args(["-c", &script])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        pump(child.stderr.take().unwrap(), path.clone(), 1 << 20).await;
        assert!(child.wait().unwrap().success());
        let logged = std::fs::read(&path).unwrap();
        let want = format!(
            "one\n\u{FFFD}two\n[mcpd: a line longer than {MAX_LINE_BYTES} bytes was left out]\nthree\n"
        );
        assert_eq!(String::from_utf8_lossy(&logged), want);
        assert_eq!(logged[4], 0xff);
    }
}
