//! Concurrent session closes, gathered: every hook worker queues its close as a file under
//! `<state>/closing/`, then takes `<state>/closing.lock`; the holder drains the queue and serves every
//! request in it with one /proc pass and one stop ([`crate::session::close_many`]), again until the
//! queue is empty. A worker whose request another worker served has nothing left to do. So 50 sessions
//! closed at once cost a few passes, not 50.
//!
//! Nothing is lost: a request is removed only by the worker that serves it, under the lock, and a
//! request written after the holder's last look is served by its own worker once the lock is free. A
//! damaged request file is dropped with a warning (the reconcile that follows every served batch
//! still finds what that session left).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::procs::StopOutcome;
use crate::session::ClosedSession;

/// A queued close, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Request {
    name: String,
    id: Option<u32>,
    server_pid: Option<i32>,
    socket: Option<String>,
}

/// What became of a worker's own request.
pub enum Served {
    /// This worker served the batches (its own request among them): the sessions and the outcome.
    ByMe(Vec<ClosedSession>, StopOutcome),
    /// Another worker had already served it.
    ByOther,
}

/// Largest request file read (a name is at most a few hundred bytes).
const REQUEST_LIMIT: u64 = 64 * 1024;

fn queue_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("closing")
}

/// Queues `closed`, then serves the queue under the lock with `serve` (a batch at a time) unless
/// another worker already did.
pub fn submit_and_serve(
    state_dir: &Path,
    closed: &ClosedSession,
    serve: impl FnMut(&[ClosedSession]) -> anyhow::Result<StopOutcome>,
) -> anyhow::Result<Served> {
    let dir = queue_dir(state_dir);
    crate::paths::ensure_private_dir(&dir)?;
    let mine = submit(&dir, closed)?;
    serve_queue(state_dir, Some(&mine), serve)
}

/// Queues `closed` for a worker: the hook's part. Returns true when no worker holds the queue's
/// lock now, so the caller must start one; false when a worker is serving, which will serve this
/// request too (it looks at the queue again after it lets the lock go).
pub fn submit_for_worker(state_dir: &Path, closed: &ClosedSession) -> anyhow::Result<bool> {
    let dir = queue_dir(state_dir);
    crate::paths::ensure_private_dir(&dir)?;
    submit(&dir, closed)?;
    let lock = open_lock(state_dir)?;
    Ok(nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusiveNonblock).is_ok())
}

fn open_lock(state_dir: &Path) -> anyhow::Result<fs::File> {
    let path = state_dir.join("closing.lock");
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Serves the queue under the lock, a batch at a time, until it is empty; after letting the lock
/// go, looks again (a request queued by a hook that saw the lock held is served here). With `mine`
/// (this worker's own request), [`Served::ByOther`] when another worker served it; without, when
/// there was nothing to serve.
pub fn serve_queue(
    state_dir: &Path,
    mine: Option<&Path>,
    mut serve: impl FnMut(&[ClosedSession]) -> anyhow::Result<StopOutcome>,
) -> anyhow::Result<Served> {
    let dir = queue_dir(state_dir);
    crate::paths::ensure_private_dir(&dir)?;
    let mut sessions = Vec::new();
    let mut total = StopOutcome::default();
    loop {
        let held =
            nix::fcntl::Flock::lock(open_lock(state_dir)?, nix::fcntl::FlockArg::LockExclusive)
                .map_err(|(_, e)| anyhow::anyhow!("cannot lock the close queue: {e}"))?;
        if sessions.is_empty() && mine.is_some_and(|m| !m.exists()) {
            return Ok(Served::ByOther);
        }
        loop {
            let batch = drain(&dir);
            if batch.is_empty() {
                break;
            }
            let out = serve(&batch)?;
            total.stopped.extend(out.stopped);
            total.gone.extend(out.gone);
            total.recycled.extend(out.recycled);
            total.refused.extend(out.refused);
            total.elapsed_ms += out.elapsed_ms;
            sessions.extend(batch);
        }
        drop(held);
        // A hook that found the lock held left its request to us: look once more, now that the
        // lock is free (whoever takes it first serves it).
        if !queued(state_dir) {
            break;
        }
    }
    if sessions.is_empty() {
        return Ok(Served::ByOther);
    }
    Ok(Served::ByMe(sessions, total))
}

/// The reconcile's lock, when nobody holds it: the reconcile after a close looks for sessions whose
/// hook was lost (before it), so while one worker reconciles, another that just served need not
/// (50 closes arriving over a second would otherwise reconcile once per lull, each a full pass).
pub fn try_reconcile_lock(state_dir: &Path) -> Option<nix::fcntl::Flock<fs::File>> {
    let path = state_dir.join("reconcile.lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock).ok()
}

/// True when a close is queued: its worker (or the one that serves it) will reconcile after it,
/// so a worker that just served need not (50 closes at once reconcile once or twice, not 50 times).
pub fn queued(state_dir: &Path) -> bool {
    fs::read_dir(queue_dir(state_dir)).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "json"))
    })
}

/// Writes the request (atomically: a reader never sees half of it) and returns its path.
fn submit(dir: &Path, closed: &ClosedSession) -> anyhow::Result<PathBuf> {
    let req = Request {
        name: closed.name.clone(),
        id: closed.id,
        server_pid: closed.server_pid,
        socket: closed.socket.clone(),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let stem = format!("{nanos:032}-{}", std::process::id());
    let tmp = dir.join(format!(".{stem}.tmp"));
    let path = dir.join(format!("{stem}.json"));
    fs::write(&tmp, serde_json::to_vec(&req)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("cannot queue {}", path.display()))?;
    Ok(path)
}

/// Takes every queued request out of the queue, oldest first.
fn drain(dir: &Path) -> Vec<ClosedSession> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let mut raw = Vec::new();
        let read = fs::File::open(&p).and_then(|f| f.take(REQUEST_LIMIT).read_to_end(&mut raw));
        let _ = fs::remove_file(&p);
        match read
            .map_err(|e| e.to_string())
            .and_then(|_| serde_json::from_slice::<Request>(&raw).map_err(|e| e.to_string()))
        {
            Ok(r) => out.push(ClosedSession {
                name: r.name,
                id: r.id,
                server_pid: r.server_pid,
                socket: r.socket,
            }),
            Err(e) => tracing::warn!("{}: dropped a damaged close request: {e}", p.display()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(name: &str) -> ClosedSession {
        ClosedSession {
            name: name.into(),
            id: Some(3),
            server_pid: Some(42),
            socket: Some("/tmp/s".into()),
        }
    }

    #[test]
    fn the_holder_serves_every_queued_close_in_one_batch() {
        let d = tempfile::tempdir().unwrap();
        let q = queue_dir(d.path());
        crate::paths::ensure_private_dir(&q).unwrap();
        // Two workers queued before this one got the lock.
        submit(&q, &closed("a")).unwrap();
        submit(&q, &closed("b")).unwrap();
        fs::write(q.join("0-damaged.json"), b"{not json").unwrap();
        let mut batches: Vec<Vec<String>> = Vec::new();
        let served = submit_and_serve(d.path(), &closed("c"), |b| {
            batches.push(b.iter().map(|c| c.name.clone()).collect());
            Ok(StopOutcome::default())
        })
        .unwrap();
        assert_eq!(batches, vec![vec!["a", "b", "c"]], "oldest first, one pass");
        let Served::ByMe(sessions, _) = served else {
            panic!("not served by the holder")
        };
        assert_eq!(sessions[2].server_pid, Some(42));
        assert_eq!(sessions[2].socket.as_deref(), Some("/tmp/s"));
        assert_eq!(fs::read_dir(&q).unwrap().count(), 0, "the queue is empty");
        assert!(!queued(d.path()));
        submit(&q, &closed("d")).unwrap();
        assert!(
            queued(d.path()),
            "a close waits: its worker reconciles after it"
        );
    }

    #[test]
    fn one_reconcile_at_a_time() {
        let d = tempfile::tempdir().unwrap();
        let held = try_reconcile_lock(d.path()).expect("free at first");
        assert!(try_reconcile_lock(d.path()).is_none(), "held by the first");
        drop(held);
        assert!(try_reconcile_lock(d.path()).is_some(), "free again");
    }

    #[test]
    fn a_hook_starts_a_worker_only_when_nobody_serves_the_queue() {
        use std::sync::mpsc;
        let d = tempfile::tempdir().unwrap();
        // Nobody holds the lock: the hook must start a worker, which serves the queued request.
        assert!(submit_for_worker(d.path(), &closed("a")).unwrap());
        let mut seen: Vec<Vec<String>> = Vec::new();
        let served = serve_queue(d.path(), None, |b| {
            seen.push(b.iter().map(|c| c.name.clone()).collect());
            Ok(StopOutcome::default())
        })
        .unwrap();
        assert!(matches!(served, Served::ByMe(ref v, _) if v.len() == 1));
        assert_eq!(seen, vec![vec!["a"]]);
        // Nothing queued: a worker started for a request served meanwhile has nothing to do.
        let idle = serve_queue(d.path(), None, |_| panic!("nothing to serve")).unwrap();
        assert!(matches!(idle, Served::ByOther));
        // A worker serves: the hook queues and leaves the request to it.
        let dir = d.path().to_path_buf();
        let (in_tx, in_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            let mut batches: Vec<Vec<String>> = Vec::new();
            submit_and_serve(&dir, &closed("b"), |b| {
                batches.push(b.iter().map(|c| c.name.clone()).collect());
                if batches.len() == 1 {
                    in_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                }
                Ok(StopOutcome::default())
            })
            .unwrap();
            batches
        });
        in_rx.recv().unwrap();
        assert!(
            !submit_for_worker(d.path(), &closed("c")).unwrap(),
            "the lock is held: no worker to start"
        );
        go_tx.send(()).unwrap();
        assert_eq!(worker.join().unwrap(), vec![vec!["b"], vec!["c"]]);
        assert!(!queued(d.path()));
    }

    #[test]
    fn a_close_queued_while_another_worker_serves_is_served_by_that_worker() {
        use std::sync::mpsc;
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().to_path_buf();
        let (seen_tx, seen_rx) = mpsc::channel::<Vec<String>>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let a = {
            let dir = dir.clone();
            std::thread::spawn(move || {
                submit_and_serve(&dir, &closed("a"), |b| {
                    seen_tx
                        .send(b.iter().map(|c| c.name.clone()).collect())
                        .unwrap();
                    go_rx.recv().unwrap();
                    Ok(StopOutcome::default())
                })
                .map(|s| matches!(s, Served::ByMe(ref v, _) if v.len() == 2))
                .unwrap()
            })
        };
        assert_eq!(seen_rx.recv().unwrap(), vec!["a"]);
        // A holds the lock (serving "a"); B queues and waits for the lock.
        let b = {
            let dir = dir.clone();
            std::thread::spawn(move || {
                submit_and_serve(&dir, &closed("b"), |_| {
                    panic!("B's request must be served by the worker holding the lock")
                })
                .map(|s| matches!(s, Served::ByOther))
                .unwrap()
            })
        };
        let q = queue_dir(&dir);
        let queued = |q: &Path| {
            fs::read_dir(q)
                .unwrap()
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "json"))
        };
        while !queued(&q) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        go_tx.send(()).unwrap();
        assert_eq!(seen_rx.recv().unwrap(), vec!["b"], "the holder looks again");
        go_tx.send(()).unwrap();
        assert!(a.join().unwrap(), "A served both");
        assert!(b.join().unwrap(), "B found its request served");
        assert_eq!(fs::read_dir(&q).unwrap().count(), 0);
    }
}
