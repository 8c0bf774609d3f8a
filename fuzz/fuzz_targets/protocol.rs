#![no_main]
//! The control socket's messages: any request line decodes to a request or to an error fit to send
//! back, never a panic; a decoded request re-encodes to one line that decodes to the same request.
//! The daemon's answers, as a client reads them, decode or fail cleanly too.

use libfuzzer_sys::fuzz_target;
use mcpd::daemon::protocol::{Response, decode_request, encode_request};

fuzz_target!(|data: &[u8]| {
    match decode_request(data) {
        Ok(req) => {
            let line = encode_request(&req);
            assert!(
                line.ends_with('\n') && line.matches('\n').count() == 1,
                "{line:?}"
            );
            assert!(line.len() <= mcpd::daemon::protocol::MAX_MESSAGE);
            let again =
                decode_request(line.trim_end().as_bytes()).expect("a re-encoded request decodes");
            assert_eq!(again, req);
        }
        Err(e) => assert!(!e.is_empty()),
    }
    if let Ok(resp) = serde_json::from_slice::<Response>(data) {
        let line = serde_json::to_string(&resp).expect("a response encodes");
        assert!(!line.contains('\n'));
        serde_json::from_str::<Response>(&line).expect("a re-encoded response decodes");
    }
});
