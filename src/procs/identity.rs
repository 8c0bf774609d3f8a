//! Process identity: a pid plus its kernel start time. A pid alone is not an identity (pids are
//! recycled); every signal mcpd sends goes through a [`Pinned`] handle that was checked against the
//! recorded start time, and on Linux the signal travels through a pidfd, so it can only reach the process
//! that was checked.

pub use crate::model::Identity;

#[cfg(not(target_os = "linux"))]
use super::ProcInfo;

impl Identity {
    /// True when a process with this pid exists now and has the recorded start time.
    pub fn is_alive(&self) -> bool {
        self.pid > 0 && current_start_ticks(self.pid) == Some(self.start_ticks)
    }
}

/// The start time of whatever process holds `pid` now, in the unit the snapshot uses; None when no
/// process has it or it is a zombie.
pub fn current_start_ticks(pid: i32) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        super::linux::start_ticks(pid)
    }
    #[cfg(not(target_os = "linux"))]
    {
        super::portable::start_secs(pid)
    }
}

/// Why a process could not be pinned.
#[derive(Debug, PartialEq, Eq)]
pub enum PinError {
    /// No process has the pid any more.
    Gone,
    /// The pid belongs to a different process now (recycled).
    Recycled,
}

/// A handle on one specific process, checked against its identity when it was opened.
#[derive(Debug)]
pub struct Pinned {
    pub identity: Identity,
    #[cfg(target_os = "linux")]
    fd: std::os::fd::OwnedFd,
}

impl Pinned {
    /// Opens a handle on `id`. On Linux the pidfd is opened first and the start time checked after:
    /// if it still matches, the pidfd refers to the recorded process and can never reach another.
    pub fn open(id: Identity) -> Result<Pinned, PinError> {
        if id.pid <= 0 {
            return Err(PinError::Gone);
        }
        #[cfg(target_os = "linux")]
        {
            let pid = rustix::process::Pid::from_raw(id.pid).ok_or(PinError::Gone)?;
            let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
                .map_err(|_| PinError::Gone)?;
            check(id)?;
            Ok(Pinned { identity: id, fd })
        }
        #[cfg(not(target_os = "linux"))]
        {
            check(id)?;
            Ok(Pinned { identity: id })
        }
    }

    /// Sends `sig`. Returns false when the process has already exited.
    pub fn signal(&self, sig: nix::sys::signal::Signal) -> bool {
        #[cfg(target_os = "linux")]
        {
            let s = rustix::process::Signal::from_named_raw(sig as i32);
            match s {
                Some(s) => rustix::process::pidfd_send_signal(&self.fd, s).is_ok(),
                None => false,
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            // Without pidfds: re-check the identity right before the signal.
            check(self.identity).is_ok()
                && nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.identity.pid), sig)
                    .is_ok()
        }
    }

    /// True while the process has not exited (a zombie counts as exited: it holds no memory and
    /// ignores signals).
    pub fn is_running(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            use rustix::event::{PollFd, PollFlags, Timespec, poll};
            let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            match poll(&mut fds, Some(&zero)) {
                Ok(0) => true,
                Ok(_) => false,
                Err(_) => self.identity.is_alive(),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.identity.is_alive() && !is_zombie(self.identity.pid)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn is_zombie(pid: i32) -> bool {
    super::Snapshot::take_portable()
        .ok()
        .and_then(|s| s.get(pid).map(ProcInfo::is_zombie))
        .unwrap_or(false)
}

fn check(id: Identity) -> Result<(), PinError> {
    match current_start_ticks(id.pid) {
        None => Err(PinError::Gone),
        Some(t) if t == id.start_ticks => Ok(()),
        Some(_) => Err(PinError::Recycled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_a_live_child_and_refuses_a_wrong_start_time() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let ticks = current_start_ticks(pid).unwrap();
        let good = Identity {
            pid,
            start_ticks: ticks,
        };
        assert!(good.is_alive());
        assert_eq!(
            Pinned::open(Identity {
                pid,
                start_ticks: ticks + 1
            })
            .unwrap_err(),
            PinError::Recycled
        );
        let pin = Pinned::open(good).unwrap();
        assert!(pin.is_running());
        assert!(pin.signal(nix::sys::signal::Signal::SIGKILL));
        child.wait().unwrap();
        assert!(!pin.is_running());
        assert_eq!(Pinned::open(good).unwrap_err(), PinError::Gone);
    }
}
