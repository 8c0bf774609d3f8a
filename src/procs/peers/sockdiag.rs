//! The other end of a UNIX socket, from the kernel's sock_diag netlink interface (what `ss -xp` uses):
//! for each socket inode, the inode of its peer, or 0 when the peer end has been closed.
//!
//! The request and reply are hand-rolled (`netlink.rs`) rather than taken from the netlink-packet-* crates:
//! the request is one fixed 40-byte message and the reply needs three fields of one message type, while
//! those crates would bring four dependencies (netlink-sys, -core, -utils, -sock-diag) and their own buffer
//! abstractions for the same few reads. A dump is bounded in bytes; the receive has a timeout.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, recv, sendto,
    setsockopt, socket, sockopt,
};
use nix::sys::time::{TimeVal, TimeValLike};

use super::netlink::{DiagError, Parsed, encode_request, parse_datagram};

/// One receive buffer; with MSG_TRUNC a larger datagram is detected, not silently cut.
const RECV_BUF: usize = 64 * 1024;
/// A dump stops with an error past this many bytes (about a million sockets): memory stays bounded.
const MAX_DUMP_BYTES: usize = 64 * 1024 * 1024;

/// An open NETLINK_SOCK_DIAG socket.
pub(super) struct SockDiag {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl SockDiag {
    pub(super) fn open() -> Result<SockDiag, DiagError> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )
        .map_err(|e| DiagError::Unavailable(format!("netlink socket: {e}")))?;
        // The kernel answers at once; a timeout only guards against a sandbox that swallows requests.
        setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::seconds(2))
            .map_err(|e| DiagError::Io(format!("setting a receive timeout: {e}")))?;
        Ok(SockDiag {
            fd,
            seq: 0,
            buf: vec![0; RECV_BUF],
        })
    }

    fn send(&mut self, inode: Option<u32>) -> Result<u32, DiagError> {
        self.seq = self.seq.wrapping_add(1);
        let req = encode_request(self.seq, inode);
        sendto(
            self.fd.as_raw_fd(),
            &req,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )
        .map_err(|e| match e {
            Errno::EPROTONOSUPPORT | Errno::EAFNOSUPPORT | Errno::EPERM | Errno::EACCES => {
                DiagError::Unavailable(format!("sending a request: {e}"))
            }
            e => DiagError::Io(format!("sending a request: {e}")),
        })?;
        Ok(self.seq)
    }

    fn recv(&mut self) -> Result<&[u8], DiagError> {
        let n = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::MSG_TRUNC)
            .map_err(|e| DiagError::Io(format!("receiving a reply: {e}")))?;
        if n > self.buf.len() {
            return Err(DiagError::Garbled(format!(
                "a {n}-byte datagram exceeds the {}-byte buffer",
                self.buf.len()
            )));
        }
        Ok(&self.buf[..n])
    }

    /// The peer of one socket: `Ok(None)` when sock_diag has no UNIX socket with that inode (another
    /// kind of socket, another network namespace), `Ok(Some(0))` when its peer end is closed.
    pub(super) fn peer_of(&mut self, inode: u64) -> Result<Option<u64>, DiagError> {
        let Ok(ino32) = u32::try_from(inode) else {
            return Ok(None); // UNIX socket inodes are 32-bit
        };
        let seq = self.send(Some(ino32))?;
        let mut out = HashMap::new();
        // An exact get answers with one datagram: the socket, or an error.
        match parse_datagram(self.recv()?, seq, &mut out)? {
            Parsed::Error(e) if e == Errno::ENOENT as i32 => Ok(None),
            Parsed::Error(e) => Err(errno_error(e)),
            Parsed::More | Parsed::Done => Ok(out.get(&inode).copied()),
        }
    }

    /// Every UNIX socket of this network namespace, `inode -> peer inode (0: none)`.
    pub(super) fn dump(&mut self) -> Result<HashMap<u64, u64>, DiagError> {
        let seq = self.send(None)?;
        let mut out = HashMap::new();
        let mut total = 0usize;
        loop {
            let buf = self.recv()?;
            total += buf.len();
            if buf.is_empty() || total > MAX_DUMP_BYTES {
                return Err(DiagError::Garbled(format!(
                    "dump ended without a DONE message after {total} bytes"
                )));
            }
            match parse_datagram(buf, seq, &mut out)? {
                Parsed::More => {}
                Parsed::Done => return Ok(out),
                // A dump has no inode to miss: ENOENT means the kernel has no unix_diag handler.
                Parsed::Error(e) if e == Errno::ENOENT as i32 => {
                    return Err(DiagError::Unavailable(
                        "the kernel has no unix_diag (module not loaded?)".into(),
                    ));
                }
                Parsed::Error(e) => return Err(errno_error(e)),
            }
        }
    }
}

fn errno_error(e: i32) -> DiagError {
    let errno = Errno::from_raw(e);
    match errno {
        Errno::EPROTONOSUPPORT | Errno::EOPNOTSUPP | Errno::EPERM | Errno::EACCES => {
            DiagError::Unavailable(format!("the kernel refused the request: {errno}"))
        }
        _ => DiagError::Io(format!("the kernel answered: {errno}")),
    }
}

/// Up to this many sockets are asked one by one; more are answered by one dump. Measured (2 cores,
/// `measure_sock_diag`): an exact get costs 6-11 µs (the kernel walks its socket table per lookup), a dump
/// about 20 µs + 0.22 µs per UNIX socket of the namespace (100 µs at 400 sockets, 1 ms at 4,400). A sweep
/// asks about a handful of sockets, where exact gets win at any machine size; 32 of them cost about what a
/// dump costs on a desktop with ~1,500 UNIX sockets.
pub(super) const EXACT_LIMIT: usize = 32;

/// The peers of `inodes` (`inode -> peer inode, 0 when closed`); an inode missing from the map is not a
/// UNIX socket sock_diag can see.
pub(super) fn peers(inodes: &[u64]) -> Result<HashMap<u64, u64>, DiagError> {
    let mut diag = SockDiag::open()?;
    if inodes.len() > EXACT_LIMIT {
        return diag.dump();
    }
    let mut out = HashMap::new();
    for &inode in inodes {
        if let Some(peer) = diag.peer_of(inode)? {
            out.insert(inode, peer);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::socketpair;
    use std::time::Instant;

    fn inode_of(fd: &OwnedFd) -> u64 {
        rustix::fs::fstat(fd).unwrap().st_ino
    }

    fn pair() -> (OwnedFd, OwnedFd) {
        socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap()
    }

    #[test]
    fn exact_gets_and_dumps_agree_on_a_real_socketpair() {
        let (a, b) = pair();
        let (ia, ib) = (inode_of(&a), inode_of(&b));
        let mut d = SockDiag::open().unwrap();
        assert_eq!(d.peer_of(ia), Ok(Some(ib)));
        assert_eq!(d.peer_of(ib), Ok(Some(ia)));
        let all = d.dump().unwrap();
        assert_eq!((all.get(&ia), all.get(&ib)), (Some(&ib), Some(&ia)));
        // Both strategies of `peers`: a few inodes one by one, many by one dump.
        let (r, w) = nix::unistd::pipe().unwrap();
        let not_a_socket = inode_of(&r); // pipes and sockets draw inodes from one counter
        assert_eq!(
            peers(&[ia, not_a_socket]).unwrap(),
            HashMap::from([(ia, ib)])
        );
        let many: Vec<u64> = vec![ia; EXACT_LIMIT + 1];
        assert_eq!(peers(&many).unwrap().get(&ia), Some(&ib));
        drop((r, w));
        // Once the other end is closed, the peer reads as 0.
        drop(b);
        assert_eq!(d.peer_of(ia), Ok(Some(0)));
        assert_eq!(d.dump().unwrap().get(&ia), Some(&0));
        assert_eq!(d.peer_of(not_a_socket), Ok(None));
        assert_eq!(d.peer_of(u64::MAX), Ok(None));
    }

    /// Not an assertion: which strategy costs less (`cargo test --lib measure_sock_diag -- --ignored
    /// --nocapture`).
    #[test]
    #[ignore]
    fn measure_sock_diag() {
        let mut pairs = vec![pair()];
        for extra in [0, 200, 2000] {
            pairs.extend((0..extra).map(|_| pair()));
            let mut d = SockDiag::open().unwrap();
            let rounds = 20;
            let t = Instant::now();
            let mut n = 0;
            for _ in 0..rounds {
                n = d.dump().unwrap().len();
            }
            let dump = t.elapsed() / rounds;
            let probe: Vec<u64> = pairs.iter().take(100).map(|(a, _)| inode_of(a)).collect();
            let t = Instant::now();
            for ino in &probe {
                assert!(d.peer_of(*ino).unwrap().is_some());
            }
            let exact = t.elapsed() / probe.len() as u32;
            println!("sock_diag: dump of {n} UNIX sockets {dump:?}; one exact get {exact:?}");
        }
    }
}
