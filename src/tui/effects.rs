//! Carrying out the app's [`Effect`]s that take time: stops and cleans run on a worker thread (a stop
//! waits up to the grace and the kill wait), and their result comes back as [`Action::Done`]. The
//! summaries are pure, so the words the user reads are tested.

use std::sync::mpsc::Sender;

use crate::procs::stop::Ending;
use crate::procs::{Identity, StopOptions, StopOutcome, StopTarget, stop_trees};
use crate::state::{Owner, Registry};
use crate::units::human_bytes;

use super::action::{Action, Outcome};

/// What a stop did, in one line.
pub fn stop_summary(o: &StopOutcome) -> Outcome {
    let survivors: Vec<i32> = o.survivors().map(|s| s.pid).collect();
    let done = o.stopped.len() - survivors.len();
    let killed = o
        .stopped
        .iter()
        .filter(|s| s.ending == Ending::Kill)
        .count();
    let mut parts = Vec::new();
    if done > 0
        || (o.gone.is_empty()
            && o.recycled.is_empty()
            && o.refused.is_empty()
            && survivors.is_empty())
    {
        let mut s = format!(
            "stopped {done} process{}, {} freed",
            if done == 1 { "" } else { "es" },
            human_bytes(o.freed_bytes())
        );
        if killed > 0 {
            s.push_str(&format!(" ({killed} needed SIGKILL)"));
        }
        parts.push(s);
    }
    if !o.gone.is_empty() {
        parts.push(format!("{} already gone", o.gone.len()));
    }
    if !o.recycled.is_empty() {
        let pids: Vec<String> = o.recycled.iter().map(|i| i.pid.to_string()).collect();
        parts.push(format!(
            "pid {} now belongs to another process: not signalled",
            pids.join(", ")
        ));
    }
    for (pid, cmd, why) in &o.refused {
        parts.push(format!("refused pid {pid} ({cmd}): {why}"));
    }
    if !survivors.is_empty() {
        let pids: Vec<String> = survivors.iter().map(ToString::to_string).collect();
        parts.push(format!("pid {} survived SIGKILL", pids.join(", ")));
    }
    Outcome {
        text: parts.join("; "),
        ok: survivors.is_empty() && o.refused.is_empty(),
    }
}

/// Stops `targets` on a worker thread; the summary arrives on `tx`.
pub fn spawn_stop(
    targets: Vec<StopTarget>,
    opts: StopOptions,
    drops: Option<(Registry, Vec<(Owner, Identity)>)>,
    journal: Option<(std::path::PathBuf, std::collections::HashMap<i32, String>)>,
    tx: Sender<Action>,
    log: tracing::Dispatch,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("mcpd-tui-stop".into())
        .spawn(move || {
            let _log = tracing::dispatcher::set_default(&log);
            let mut outcome = if targets.is_empty() {
                Outcome {
                    text: String::new(),
                    ok: true,
                }
            } else {
                match stop_trees(&targets, &opts) {
                    Ok(o) => {
                        if let Some((dir, reasons)) = &journal {
                            crate::journal::record_stops(
                                dir,
                                "dashboard-clean",
                                &o,
                                reasons,
                                "orphaned",
                            );
                        }
                        stop_summary(&o)
                    }
                    Err(e) => Outcome {
                        text: format!("stop failed: {e}"),
                        ok: false,
                    },
                }
            };
            if let Some((registry, drops)) = drops {
                let (n, problem) = drop_records(&registry, &drops);
                let note = match problem {
                    None => format!("dropped {n} stale record{}", if n == 1 { "" } else { "s" }),
                    Some(p) => {
                        outcome.ok = false;
                        format!("dropped {n} stale record(s); {p}")
                    }
                };
                outcome.text = if outcome.text.is_empty() {
                    note
                } else {
                    format!("{}; {note}", outcome.text)
                };
            }
            tracing::info!(result = %outcome.text, "dashboard stop finished");
            // The dashboard may be gone already: then nobody needs to know.
            let _ = tx.send(Action::Done(outcome));
        })?;
    Ok(())
}

/// Removes the records in `drops` whose process is gone now (a live one stays recorded: its owner
/// changed its mind, or the stop failed). Returns how many were removed and the first problem.
fn drop_records(registry: &Registry, drops: &[(Owner, Identity)]) -> (usize, Option<String>) {
    match registry.drop_gone(drops.iter().map(|(o, id)| (o, *id))) {
        Ok((n, warnings)) => (n, warnings.first().map(ToString::to_string)),
        Err(e) => (0, Some(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Record};
    use crate::procs::stop::Stopped;

    fn stopped(pid: i32, rss: u64, ending: Ending) -> Stopped {
        Stopped {
            pid,
            start_time: 1,
            rss_bytes: rss,
            command: "node x".into(),
            ending,
        }
    }

    #[test]
    fn summaries_say_what_happened() {
        let o = StopOutcome {
            stopped: vec![
                stopped(1, 60_000_000, Ending::Term),
                stopped(2, 2_000_000, Ending::Kill),
            ],
            ..Default::default()
        };
        let s = stop_summary(&o);
        assert_eq!(
            s.text,
            "stopped 2 processes, 62 MB freed (1 needed SIGKILL)"
        );
        assert!(s.ok);

        let o = StopOutcome {
            gone: vec![Identity {
                pid: 5,
                start_ticks: 1,
            }],
            ..Default::default()
        };
        assert_eq!(stop_summary(&o).text, "1 already gone");

        let o = StopOutcome {
            stopped: vec![stopped(7, 1000, Ending::Survived)],
            recycled: vec![Identity {
                pid: 9,
                start_ticks: 3,
            }],
            refused: vec![(1, "init".into(), "pid 1".into())],
            ..Default::default()
        };
        let s = stop_summary(&o);
        assert!(!s.ok);
        assert_eq!(
            s.text,
            "pid 9 now belongs to another process: not signalled; refused pid 1 (init): pid 1; pid 7 survived SIGKILL"
        );
        assert_eq!(
            stop_summary(&StopOutcome::default()).text,
            "stopped 0 processes, 0 B freed"
        );
    }

    #[test]
    fn only_records_of_gone_processes_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path()).unwrap();
        let me = Identity {
            pid: std::process::id() as i32,
            start_ticks: crate::procs::identity::current_start_ticks(std::process::id() as i32)
                .unwrap(),
        };
        let gone = Identity {
            pid: i32::MAX - 1,
            start_ticks: 42,
        };
        let owner = Owner::Session("s".into());
        let rec = |id: Identity| {
            Record::new(id, owner.clone(), Origin::Adopted).with_command("node mcp-server-x")
        };
        registry.add(vec![rec(me), rec(gone)]).unwrap();
        let (n, problem) = drop_records(&registry, &[(owner.clone(), me), (owner.clone(), gone)]);
        assert_eq!((n, problem), (1, None));
        let (left, _) = registry.load(&owner);
        assert_eq!(
            left.iter()
                .map(crate::state::Record::identity)
                .collect::<Vec<_>>(),
            vec![me]
        );
    }
}
