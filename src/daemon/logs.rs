//! Server logs: the stderr of each server goes to `<state dir>/logs/<key>.log`, size-capped:
//! past the cap the file is rotated to `.log.1` (one generation kept).

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncSeekExt, AsyncWriteExt, BufReader};

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

/// Copies the server's stderr, line by line, into its log until it closes. (Its stdout is the MCP
/// channel: it goes to the multiplexer.)
pub async fn pump(stderr: std::process::ChildStderr, path: PathBuf, cap: u64) {
    let Ok(err) =
        tokio::net::unix::pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(stderr))
    else {
        return;
    };
    let Ok(mut file) = open(&path).await else {
        return;
    };
    let mut size = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let mut lines = BufReader::new(err).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if size + line.len() as u64 + 1 > cap {
            let _ = tokio::fs::rename(&path, path.with_extension("log.1")).await;
            match open(&path).await {
                Ok(f) => file = f,
                Err(_) => return,
            }
            size = 0;
        }
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        if file.write_all(&bytes).await.is_err() {
            return;
        }
        size += bytes.len() as u64;
    }
    let _ = file.flush().await;
}
