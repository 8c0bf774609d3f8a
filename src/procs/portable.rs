//! The portable snapshot, through sysinfo (macOS and the BSDs). On Linux the /proc reader is used
//! instead (it is several times faster); this path stays compiled and tested there too.
//!
//! Without kernel clock ticks, identity uses the start time in whole seconds: `ticks_per_sec` is 1 and
//! `boot_time` 0, so `start_ticks` is seconds since the epoch.

use sysinfo::{ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

use super::ProcError;
use super::snapshot::{ProcInfo, Snapshot, now_epoch};

fn refresh_kind() -> ProcessRefreshKind {
    ProcessRefreshKind::nothing()
        .with_memory()
        .with_cmd(UpdateKind::Always)
        .with_user(UpdateKind::Always)
        .without_tasks() // threads would otherwise show up as processes
}

fn to_info(p: &sysinfo::Process) -> ProcInfo {
    let pid = p.pid().as_u32() as i32;
    let raw_pid = nix::unistd::Pid::from_raw(pid);
    let mut cmdline: Vec<String> = p
        .cmd()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if cmdline.len() == 1 && cmdline[0].contains(' ') {
        cmdline = cmdline[0].split_whitespace().map(str::to_string).collect();
    }
    ProcInfo {
        pid,
        ppid: p.parent().map_or(0, |pp| pp.as_u32() as i32),
        pgid: nix::unistd::getpgid(Some(raw_pid)).map_or(0, |g| g.as_raw()),
        sid: nix::unistd::getsid(Some(raw_pid)).map_or(0, |g| g.as_raw()),
        uid: p.user_id().map_or(super::UID_UNREAD, |u| **u),
        start_ticks: p.start_time(),
        rss_bytes: p.memory(),
        comm: p.name().to_string_lossy().into_owned(),
        cmdline,
        state: match p.status() {
            ProcessStatus::Zombie => 'Z',
            ProcessStatus::Run => 'R',
            ProcessStatus::Stop => 'T',
            _ => 'S',
        },
        env: None,
    }
}

pub(crate) fn take() -> Result<Snapshot, ProcError> {
    let mut sys = System::new().map_err(|e| ProcError::Other(e.to_string()))?;
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh_kind());
    let procs = sys
        .processes()
        .values()
        .filter(|p| p.thread_kind().is_none())
        .map(to_info)
        .collect();
    Ok(Snapshot::from_procs(procs, 1, 0, now_epoch()))
}

/// The start time of one process (seconds since the epoch), or None when it is gone.
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn start_secs(pid: i32) -> Option<u64> {
    let mut sys = System::new().ok()?;
    let spid = sysinfo::Pid::from_u32(pid as u32);
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[spid]),
        true,
        ProcessRefreshKind::nothing(),
    );
    sys.process(spid).map(|p| p.start_time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_snapshot_agrees_with_proc_on_the_essentials() {
        let s = take().unwrap();
        let me = s
            .get(std::process::id() as i32)
            .expect("self in portable snapshot");
        assert_eq!(me.ppid, std::os::unix::process::parent_id() as i32);
        assert_eq!(me.uid, nix::unistd::getuid().as_raw());
        assert!(me.rss_bytes > 0);
        assert!(!me.cmdline.is_empty());
        // Threads must not appear as processes.
        assert!(s.procs.values().all(|p| p.pid == p.pid.abs()));
        let age = s.age(me);
        assert!(age.as_secs() < 3600, "age {age:?}");
    }
}
