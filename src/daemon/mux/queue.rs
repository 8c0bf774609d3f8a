//! Line queues bounded in bytes, not lines: one per client (the multiplexer to the client's socket
//! writer) and one per server process (the multiplexer to its stdin). A queue that holds its
//! budget or more refuses the next line; below it, any line is taken (one message of `max_message`
//! must always get through, even behind a small one), so memory is bounded by the budget plus one
//! message whatever a peer does. The writer reports every chunk it writes, so the owner can tell a peer that reads slowly
//! from one that has stopped reading ([`LineTx::stalled_for`]). A queue closed by its owner wakes
//! the writer at once, even in the middle of a blocked write.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

/// Default byte budget of one client's queue (`[daemon] client_buffer`).
pub const DEFAULT_CLIENT_BUFFER: usize = 16_000_000;
/// Default time a client may leave queued output unread (`[daemon] slow_client_timeout`).
pub const DEFAULT_SLOW_CLIENT: Duration = Duration::from_secs(30);

/// The limits of one client connection, from `[daemon]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientLimits {
    /// Bytes queued for the client (and read from it but not yet handled) at most.
    pub buffer: usize,
    /// A client whose queued output has not moved for this long is disconnected.
    pub stall: Duration,
    /// The state dir, whose event journal records disconnections (None: not recorded).
    pub journal: Option<PathBuf>,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            buffer: DEFAULT_CLIENT_BUFFER,
            stall: DEFAULT_SLOW_CLIENT,
            journal: None,
        }
    }
}

impl ClientLimits {
    /// The limits `[daemon]` sets, journaled in `state_dir`.
    pub fn from_config(d: &crate::config::DaemonConfig, state_dir: &std::path::Path) -> Self {
        ClientLimits {
            buffer: usize::try_from(d.client_buffer).unwrap_or(usize::MAX),
            stall: d.slow_client_timeout,
            journal: Some(state_dir.to_path_buf()),
        }
    }
}

/// Why a line was not queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds its budget or more: `queued` bytes wait already.
    Full { queued: usize, budget: usize },
    /// The queue was closed (its writer is gone).
    Closed,
}

#[derive(Debug)]
struct State {
    /// Bytes accepted and not yet written.
    queued: usize,
    /// The last write, or when the queue last became non-empty.
    moved: Instant,
    /// Set by [`LineTx::close`]: the writer stops.
    closed: Option<String>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    wake: Notify,
    budget: usize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the counters half-updated: every update is one statement.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending side (cloneable).
#[derive(Clone, Debug)]
pub struct LineTx {
    tx: mpsc::UnboundedSender<String>,
    shared: Arc<Shared>,
}

/// The writer's side.
#[derive(Debug)]
pub struct LineRx {
    rx: mpsc::UnboundedReceiver<String>,
    shared: Arc<Shared>,
}

/// A queue of lines holding at most `budget` bytes plus one line.
pub fn channel(budget: usize) -> (LineTx, LineRx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queued: 0,
            moved: Instant::now(),
            closed: None,
        }),
        wake: Notify::new(),
        budget,
    });
    let rx = LineRx {
        rx,
        shared: shared.clone(),
    };
    (LineTx { tx, shared }, rx)
}

impl LineTx {
    /// Queues `line` (a newline is added by the writer) unless the queue already holds its budget;
    /// never waits. A refused line is given back.
    pub fn try_send(&self, line: String) -> Result<(), (Refused, String)> {
        let len = line.len() + 1;
        let mut s = self.shared.lock();
        if s.closed.is_some() {
            return Err((Refused::Closed, line));
        }
        if s.queued > 0 && s.queued >= self.shared.budget {
            let full = Refused::Full {
                queued: s.queued,
                budget: self.shared.budget,
            };
            return Err((full, line));
        }
        if let Err(e) = self.tx.send(line) {
            return Err((Refused::Closed, e.0));
        }
        if s.queued == 0 {
            s.moved = Instant::now();
        }
        s.queued += len;
        Ok(())
    }

    /// Bytes waiting to be written.
    pub fn queued(&self) -> usize {
        self.shared.lock().queued
    }

    /// How long queued bytes have waited without the writer moving any (None: nothing queued).
    pub fn stalled_for(&self, now: Instant) -> Option<Duration> {
        let s = self.shared.lock();
        (s.queued > 0).then(|| now.saturating_duration_since(s.moved))
    }

    /// Stops the writer at once (even inside a blocked write), with `why` for its logs.
    pub fn close(&self, why: &str) {
        let mut s = self.shared.lock();
        if s.closed.is_none() {
            s.closed = Some(why.to_string());
        }
        drop(s);
        self.shared.wake.notify_one();
    }

    /// Whether [`LineTx::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed.is_some()
    }
}

impl LineRx {
    /// Why the queue was closed, if it was.
    pub fn closed(&self) -> Option<String> {
        self.shared.lock().closed.clone()
    }

    /// Writes every queued line to `w`, reporting progress chunk by chunk, until every sender is
    /// gone, the queue is closed, or a write fails. Returns why it stopped when it was closed.
    pub async fn write_all_to<W: AsyncWrite + Unpin>(mut self, w: &mut W) -> Option<String> {
        loop {
            if let Some(why) = self.closed() {
                return Some(why);
            }
            let line = tokio::select! {
                line = self.rx.recv() => line,
                _ = self.shared.wake.notified() => continue,
            };
            let mut line = line?;
            line.push('\n');
            let shared = self.shared.clone();
            let write = async {
                let mut rest = line.as_bytes();
                while !rest.is_empty() {
                    let n = w.write(rest).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::WriteZero.into());
                    }
                    rest = &rest[n..];
                    let mut s = shared.lock();
                    s.queued = s.queued.saturating_sub(n);
                    s.moved = Instant::now();
                }
                w.flush().await
            };
            let done: std::io::Result<()> = tokio::select! {
                r = write => r,
                _ = self.shared.wake.notified() => {
                    // Closed while a write waits for a peer that does not read: give up now.
                    match self.closed() {
                        Some(why) => return Some(why),
                        None => Ok(()),
                    }
                }
            };
            if done.is_err() {
                return None;
            }
        }
    }
}

/// A byte budget for lines in flight toward the multiplexer (read but not yet handled): a reader
/// takes a permit for each line's size before passing it on, the permit is dropped once the line is
/// handled. A line larger than the whole budget takes all of it.
#[derive(Clone, Debug)]
pub struct Inflight {
    sem: Arc<Semaphore>,
    budget: u32,
}

impl Inflight {
    pub fn new(budget: usize) -> Inflight {
        let budget = u32::try_from(budget.max(1))
            .unwrap_or(u32::MAX)
            .min(Semaphore::MAX_PERMITS as u32);
        Inflight {
            sem: Arc::new(Semaphore::new(budget as usize)),
            budget,
        }
    }

    /// Waits until `bytes` fit in the budget.
    pub async fn take(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(bytes.max(1))
            .unwrap_or(u32::MAX)
            .min(self.budget);
        self.sem.clone().acquire_many_owned(n).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_refuses_lines_once_it_holds_its_budget_and_takes_any_line_below_it() {
        let (tx, _rx) = channel(10);
        assert_eq!(tx.try_send("a".into()), Ok(()));
        let below = tx.try_send("x".repeat(48));
        assert_eq!(below, Ok(()), "below the budget: any line, however long");
        let full = Refused::Full {
            queued: 51,
            budget: 10,
        };
        assert_eq!(tx.try_send("y".into()), Err((full, "y".to_string())));
        assert_eq!(tx.queued(), 51);
    }

    #[tokio::test]
    async fn the_writer_reports_progress_and_a_close_stops_a_blocked_write() {
        let (tx, rx) = channel(1 << 20);
        // A peer that reads 16 bytes and then nothing: the writer blocks on a full pipe.
        let (mut ours, mut theirs) = tokio::io::duplex(16);
        let writer = tokio::spawn(async move { rx.write_all_to(&mut ours).await });
        tx.try_send("a".repeat(100)).unwrap();
        let mut buf = [0u8; 16];
        tokio::io::AsyncReadExt::read_exact(&mut theirs, &mut buf)
            .await
            .unwrap();
        // Progress was reported: less than the whole line is still queued, and it waits.
        while tx.queued() >= 101 {
            tokio::task::yield_now().await;
        }
        assert!(tx.queued() > 0);
        assert!(tx.stalled_for(Instant::now()).is_some());
        tx.close("not reading");
        assert_eq!(writer.await.unwrap(), Some("not reading".to_string()));
        assert_eq!(tx.try_send("b".into()), Err((Refused::Closed, "b".into())));
    }

    #[tokio::test]
    async fn inflight_bytes_wait_for_earlier_lines_to_be_handled() {
        let f = Inflight::new(100);
        let whole = f.take(1 << 30).await.unwrap();
        assert_eq!(
            f.sem.available_permits(),
            0,
            "a line over the budget takes all of it"
        );
        drop(whole);
        let a = f.take(60).await.unwrap();
        let second = f.clone();
        let waiter = tokio::spawn(async move { second.take(60).await.is_some() });
        tokio::task::yield_now().await;
        assert!(
            !waiter.is_finished(),
            "60 + 60 bytes exceed the budget of 100"
        );
        drop(a);
        assert!(waiter.await.unwrap());
    }
}
