//! The sock_diag wire format for UNIX sockets, as plain bytes: the request for one socket or a dump, and
//! the reply's socket inode and peer inode. Every length in a reply is checked before it is used; a short
//! or garbled reply is an error, never a panic.

use std::collections::HashMap;

const NLMSG_HDR_LEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const AF_UNIX: u8 = 1;
/// `struct unix_diag_req`: family, protocol, pad, states, ino, show, cookie[2].
const UNIX_DIAG_REQ_LEN: usize = 24;
/// `struct unix_diag_msg`: family, type, state, pad, ino, cookie[2].
const UNIX_DIAG_MSG_LEN: usize = 16;
const UDIAG_SHOW_PEER: u32 = 0x4;
const UNIX_DIAG_PEER: u16 = 2;
/// The request's full length: header + `unix_diag_req`.
pub(super) const REQUEST_LEN: usize = NLMSG_HDR_LEN + UNIX_DIAG_REQ_LEN;

/// Why the peers could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum DiagError {
    /// The kernel offers no sock_diag for UNIX sockets here (no netlink, no unix_diag, a sandbox).
    #[error("sock_diag is unavailable: {0}")]
    Unavailable(String),
    /// Sending or receiving failed.
    #[error("sock_diag failed: {0}")]
    Io(String),
    /// The reply is not what the protocol says it must be.
    #[error("sock_diag reply is malformed: {0}")]
    Garbled(String),
}

/// Builds a request for UNIX sockets with their peers: one socket (`Some(inode)`, exact get) or all of them
/// (`None`, a dump).
pub(super) fn encode_request(seq: u32, inode: Option<u32>) -> [u8; REQUEST_LEN] {
    let mut b = [0u8; REQUEST_LEN];
    let flags = NLM_F_REQUEST | if inode.is_none() { NLM_F_DUMP } else { 0 };
    b[0..4].copy_from_slice(&(REQUEST_LEN as u32).to_ne_bytes());
    b[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    b[6..8].copy_from_slice(&flags.to_ne_bytes());
    b[8..12].copy_from_slice(&seq.to_ne_bytes());
    // nlmsg_pid 0: addressed to the kernel.
    let r = NLMSG_HDR_LEN;
    b[r] = AF_UNIX;
    // protocol and pad stay 0; every state, so closed-peer sockets are listed too.
    b[r + 4..r + 8].copy_from_slice(&u32::MAX.to_ne_bytes());
    b[r + 8..r + 12].copy_from_slice(&inode.unwrap_or(0).to_ne_bytes());
    b[r + 12..r + 16].copy_from_slice(&UDIAG_SHOW_PEER.to_ne_bytes());
    // No cookie: the kernel skips its check for the all-ones value.
    b[r + 16..r + 24].copy_from_slice(&[0xff; 8]);
    b
}

/// What one received datagram said.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parsed {
    /// More datagrams follow (a dump in progress).
    More,
    /// The dump is complete.
    Done,
    /// The kernel answered with this error number (positive errno).
    Error(i32),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Parses one datagram of replies to request `seq`, adding `inode -> peer inode (0: none)` to `out`.
pub(super) fn parse_datagram(
    buf: &[u8],
    seq: u32,
    out: &mut HashMap<u64, u64>,
) -> Result<Parsed, DiagError> {
    let garbled = |what: String| Err(DiagError::Garbled(what));
    let mut at = 0;
    if buf.len() < NLMSG_HDR_LEN {
        return garbled(format!(
            "{} bytes, shorter than a netlink header",
            buf.len()
        ));
    }
    while at < buf.len() {
        let (Some(len), Some(kind), Some(msg_seq)) =
            (u32_at(buf, at), u16_at(buf, at + 4), u32_at(buf, at + 8))
        else {
            return garbled(format!("truncated netlink header at byte {at}"));
        };
        let len = len as usize;
        let end = match at.checked_add(len) {
            Some(end) if len >= NLMSG_HDR_LEN && end <= buf.len() => end,
            _ => {
                return garbled(format!(
                    "message at byte {at} claims {len} bytes, {} available",
                    buf.len() - at
                ));
            }
        };
        let body = &buf[at + NLMSG_HDR_LEN..end];
        if msg_seq == seq {
            match kind {
                NLMSG_DONE => return Ok(Parsed::Done),
                NLMSG_ERROR => {
                    let Some(err) = u32_at(body, 0) else {
                        return garbled(format!("error message at byte {at} has no error code"));
                    };
                    // The kernel sends -errno; 0 is an acknowledgement.
                    let err = (err as i32).unsigned_abs() as i32;
                    return Ok(if err == 0 {
                        Parsed::Done
                    } else {
                        Parsed::Error(err)
                    });
                }
                SOCK_DIAG_BY_FAMILY => {
                    let (inode, peer) = parse_unix_msg(body).map_err(|why| {
                        DiagError::Garbled(format!("socket message at byte {at}: {why}"))
                    })?;
                    out.insert(inode, peer);
                }
                _ => {} // other control messages (NOOP, OVERRUN) carry nothing for us
            }
        }
        at = align4(end);
    }
    Ok(Parsed::More)
}

/// One `unix_diag_msg` and its attributes: the socket's inode and its peer's (0 when there is none).
fn parse_unix_msg(body: &[u8]) -> Result<(u64, u64), String> {
    if body.len() < UNIX_DIAG_MSG_LEN {
        return Err(format!("{} bytes, shorter than unix_diag_msg", body.len()));
    }
    if body[0] != AF_UNIX {
        return Err(format!("family {} is not AF_UNIX", body[0]));
    }
    let inode = u32_at(body, 4).ok_or("no inode")?;
    let mut peer = 0;
    let mut at = UNIX_DIAG_MSG_LEN;
    while at + 4 <= body.len() {
        let (Some(len), Some(kind)) = (u16_at(body, at), u16_at(body, at + 2)) else {
            return Err(format!("truncated attribute at byte {at}"));
        };
        let len = len as usize;
        if len < 4 || at + len > body.len() {
            return Err(format!("attribute at byte {at} claims {len} bytes"));
        }
        if kind == UNIX_DIAG_PEER {
            peer = u32_at(body, at + 4)
                .filter(|_| len >= 8)
                .ok_or_else(|| format!("peer attribute at byte {at} is {len} bytes"))?;
        }
        at = align4(at + len);
    }
    Ok((u64::from(inode), u64::from(peer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: usize, kind: u16, seq: u32) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(len as u32).to_ne_bytes());
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(&0u16.to_ne_bytes());
        b.extend_from_slice(&seq.to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes());
        b
    }

    /// A SOCK_DIAG_BY_FAMILY message for `inode`, with a peer attribute when `peer` is given.
    fn unix_msg(seq: u32, inode: u32, peer: Option<u32>) -> Vec<u8> {
        let mut body = vec![AF_UNIX, 1, 1, 0];
        body.extend_from_slice(&inode.to_ne_bytes());
        body.extend_from_slice(&[0xff; 8]);
        // An attribute we do not read first (a 5-byte name, padded), to prove alignment is honoured.
        body.extend_from_slice(&9u16.to_ne_bytes());
        body.extend_from_slice(&0u16.to_ne_bytes());
        body.extend_from_slice(b"abcde\0\0\0");
        if let Some(p) = peer {
            body.extend_from_slice(&8u16.to_ne_bytes());
            body.extend_from_slice(&UNIX_DIAG_PEER.to_ne_bytes());
            body.extend_from_slice(&p.to_ne_bytes());
        }
        let mut m = header(NLMSG_HDR_LEN + body.len(), SOCK_DIAG_BY_FAMILY, seq);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn request_layout_matches_the_kernel_structs() {
        let r = encode_request(7, Some(1234));
        assert_eq!(u32_at(&r, 0), Some(40));
        assert_eq!(u16_at(&r, 4), Some(SOCK_DIAG_BY_FAMILY));
        assert_eq!(u16_at(&r, 6), Some(NLM_F_REQUEST));
        assert_eq!(u32_at(&r, 8), Some(7));
        assert_eq!(r[16], AF_UNIX);
        assert_eq!(u32_at(&r, 24), Some(1234));
        assert_eq!(u32_at(&r, 28), Some(UDIAG_SHOW_PEER));
        let d = encode_request(8, None);
        assert_eq!(u16_at(&d, 6), Some(NLM_F_REQUEST | NLM_F_DUMP));
        assert_eq!(u32_at(&d, 24), Some(0));
    }

    #[test]
    fn parses_sockets_with_and_without_peers_then_done() {
        let mut buf = unix_msg(3, 100, Some(101));
        buf.extend(unix_msg(3, 102, None));
        buf.extend(unix_msg(99, 500, Some(501))); // another request's reply: ignored
        let mut out = HashMap::new();
        assert_eq!(parse_datagram(&buf, 3, &mut out), Ok(Parsed::More));
        assert_eq!(out, HashMap::from([(100, 101), (102, 0)]));
        let mut done = header(20, NLMSG_DONE, 3);
        done.extend_from_slice(&0u32.to_ne_bytes());
        assert_eq!(parse_datagram(&done, 3, &mut out), Ok(Parsed::Done));
    }

    #[test]
    fn kernel_errors_are_reported_as_errno() {
        let mut buf = header(36, NLMSG_ERROR, 5);
        buf.extend_from_slice(&(-2i32).to_ne_bytes());
        buf.extend_from_slice(&[0; 16]); // the echoed request header
        let mut out = HashMap::new();
        assert_eq!(parse_datagram(&buf, 5, &mut out), Ok(Parsed::Error(2)));
    }

    #[test]
    fn short_and_garbled_buffers_are_errors_not_panics() {
        let mut out = HashMap::new();
        let good = unix_msg(1, 100, Some(101));
        // Every truncation of a good message, and a few lies about lengths.
        for cut in 0..good.len() {
            let r = parse_datagram(&good[..cut], 1, &mut out);
            assert!(matches!(r, Err(DiagError::Garbled(_))), "cut {cut}: {r:?}");
        }
        let mut huge = good.clone();
        huge[0..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(parse_datagram(&huge, 1, &mut out).is_err());
        let mut tiny = good.clone();
        tiny[0..4].copy_from_slice(&3u32.to_ne_bytes());
        assert!(parse_datagram(&tiny, 1, &mut out).is_err());
        let mut bad_attr = good.clone();
        let attr = NLMSG_HDR_LEN + UNIX_DIAG_MSG_LEN;
        bad_attr[attr..attr + 2].copy_from_slice(&2u16.to_ne_bytes()); // attribute shorter than its header
        assert!(parse_datagram(&bad_attr, 1, &mut out).is_err());
        let mut short_peer = unix_msg(1, 100, None);
        short_peer.extend_from_slice(&4u16.to_ne_bytes());
        short_peer.extend_from_slice(&UNIX_DIAG_PEER.to_ne_bytes());
        let len = short_peer.len() as u32;
        short_peer[0..4].copy_from_slice(&len.to_ne_bytes());
        assert!(parse_datagram(&short_peer, 1, &mut out).is_err());
        let mut not_unix = good.clone();
        not_unix[NLMSG_HDR_LEN] = 2;
        assert!(parse_datagram(&not_unix, 1, &mut out).is_err());
        let mut error_without_code = header(16, NLMSG_ERROR, 1);
        assert!(parse_datagram(&error_without_code, 1, &mut out).is_err());
        error_without_code.truncate(10);
        assert!(parse_datagram(&error_without_code, 1, &mut out).is_err());
        // Nothing garbled made it into the map.
        assert!(out.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every buffer is parsed to a result, whatever it holds.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut out = HashMap::new();
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 96) as usize;
            let mut buf: Vec<u8> = (0..len)
                .map(|i| (state.rotate_left(i as u32 * 5) & 0xff) as u8)
                .collect();
            if len >= 4 && state & 1 == 0 {
                buf[0..4].copy_from_slice(&(len as u32).to_ne_bytes()); // plausible lengths too
            }
            let _ = parse_datagram(&buf, 1, &mut out);
        }
    }
}
