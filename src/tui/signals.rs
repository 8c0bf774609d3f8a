//! Termination signals while the dashboard owns the terminal. SIGTERM, SIGINT, SIGHUP and SIGQUIT get
//! process-wide handlers (tokio's, on a small runtime of their own), so whichever thread the kernel
//! picks, the signal only becomes an [`Action::Signal`] and the event loop quits the normal way: the
//! terminal is restored before the process ends. Children (`tmux attach-session`) start with the
//! default dispositions again, as `exec` resets handled signals.

use std::sync::mpsc::Sender;

use tokio::signal::unix::{Signal, SignalKind, signal};

use super::action::Action;

/// The signals the dashboard turns into a clean exit, with their numbers.
const SIGNALS: [(fn() -> SignalKind, i32); 4] = [
    (SignalKind::terminate, 15),
    (SignalKind::interrupt, 2),
    (SignalKind::hangup, 1),
    (SignalKind::quit, 3),
];

/// Installs the handlers (before returning, so no signal slips through while the terminal is raw) and
/// starts the thread that forwards them. Once the dashboard is gone (the channel is closed), a signal
/// ends the process as it would have without the dashboard.
pub fn spawn_waiter(tx: Sender<Action>) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let streams: Vec<(Signal, i32)> = {
        let _ctx = rt.enter();
        SIGNALS
            .iter()
            .map(|(kind, n)| signal(kind()).map(|s| (s, *n)))
            .collect::<std::io::Result<_>>()?
    };
    std::thread::Builder::new()
        .name("mcpd-tui-signals".into())
        .spawn(move || {
            rt.block_on(forward(streams, tx));
        })?;
    Ok(())
}

async fn forward(mut streams: Vec<(Signal, i32)>, tx: Sender<Action>) {
    loop {
        let next = std::future::poll_fn(|cx| {
            for (s, n) in &mut streams {
                if s.poll_recv(cx).is_ready() {
                    return std::task::Poll::Ready(*n);
                }
            }
            std::task::Poll::Pending
        });
        let n = next.await;
        if tx.send(Action::Signal(n)).is_err() {
            std::process::exit(128 + n);
        }
    }
}
