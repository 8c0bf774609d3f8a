//! The environment tags that survive reparenting and `setsid`: `TMUX=<socket>,<server pid>,<session id>`
//! (set by tmux in every pane) and `MCPD_OWNER=global:NAME|session:NAME` (set by mcpd on what it spawns).
//! They can be read from /proc/PID/environ for the user's own processes.

pub use crate::model::{EnvTags, TmuxTag};

impl EnvTags {
    /// Reads the tags of `pid` (Linux: /proc/PID/environ). None when it cannot be read: another user's
    /// process, a process that is gone, or a platform without /proc.
    pub fn read(pid: i32) -> Option<EnvTags> {
        Reader::new()?.read(pid)
    }

    /// The last component of a process's cgroup path (`foo.service`, `app-x.scope`).
    pub fn read_unit(pid: i32) -> Option<String> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .or_else(|| text.lines().next()?.rsplit(':').next())?;
        path.rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// Most of an environment read (the rest is left unread: memory stays bounded).
#[cfg(target_os = "linux")]
const ENVIRON_LIMIT: usize = 8 << 20;

/// Reads environments one after another into one reused buffer, each in one `read(2)` when it fits
/// (Linux; elsewhere a plain file read, which finds nothing where there is no /proc).
pub(crate) struct Reader {
    #[cfg(target_os = "linux")]
    fs: super::procfs::ProcFs,
    buf: Vec<u8>,
}

impl Reader {
    /// None when /proc cannot be opened.
    pub(crate) fn new() -> Option<Reader> {
        Some(Reader {
            #[cfg(target_os = "linux")]
            fs: super::procfs::ProcFs::open(std::path::Path::new("/proc")).ok()?,
            buf: Vec::new(),
        })
    }

    /// The tags of `pid`; None when its environment cannot be read.
    pub(crate) fn read(&mut self, pid: i32) -> Option<EnvTags> {
        #[cfg(target_os = "linux")]
        {
            let (n, _) = self
                .fs
                .read(pid, "environ", &mut self.buf, ENVIRON_LIMIT, false)
                .ok()?;
            Some(EnvTags::parse(&self.buf[..n]))
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.buf = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            Some(EnvTags::parse(&self.buf))
        }
    }
}
