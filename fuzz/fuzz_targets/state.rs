#![no_main]
//! State records: any bytes in a record file are read as records or refused with a reason, never a
//! panic. On disk (a private temp dir, on /dev/shm when there is one) nothing is lost: another
//! owner's file is still read, a refused file is moved aside byte for byte (a newer mcpd's file is
//! left alone), and the owner can be written again. Every owner read gets a record file name that is
//! one plain file of a sane length, whatever the name.

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mcpd::state::registry::parse_file;
use mcpd::state::{Origin, Owner, Record, Registry};

fn rec(pid: i32, owner: &Owner) -> Record {
    Record {
        pid,
        start_ticks: 77,
        pgid: pid,
        owner: owner.clone(),
        origin: Origin::Spawned,
        server: Some("fs".into()),
        command: "node s.js".into(),
        recorded_at: 1,
        session_id: Some(3),
        tmux_socket: None,
        tmux_server_pid: None,
    }
}

fn base() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        tempfile::Builder::new()
            .prefix("mcpd-fuzz-state-")
            .tempdir_in(root)
            .expect("a temp dir")
            .keep()
    })
}

fn check_file_name(owner: &Owner) {
    let name = owner.file_name();
    assert!(
        !name.contains('/') && !name.starts_with('.') && name.len() <= 200,
        "{name:?}"
    );
    assert!(name.ends_with(".json"));
}

fuzz_target!(|data: &[u8]| {
    let parsed = parse_file(data);
    if let Ok(records) = &parsed {
        for r in records {
            check_file_name(&r.owner);
        }
    }
    let dir = base().join("records");
    let _ = fs::remove_dir_all(&dir);
    let reg = Registry::open(&dir).expect("the registry opens");
    let a = Owner::Session("a".into());
    let b = Owner::Session("b".into());
    reg.add(vec![rec(2, &b)]).expect("b is written");
    let file_a = dir.join(a.file_name());
    fs::write(&file_a, data).expect("a is written");

    let (all, warnings) = reg.load_all();
    assert!(all.contains(&rec(2, &b)), "another owner's record was lost");
    match &parsed {
        Ok(records) => {
            for r in records {
                assert!(all.contains(r), "a readable record was not loaded: {r:?}");
            }
            assert!(warnings.is_empty(), "{warnings:?}");
            assert!(file_a.exists(), "a readable file was moved");
        }
        Err(why) if why.contains("newer mcpd") => {
            assert_eq!(fs::read(&file_a).expect("left in place"), data);
        }
        Err(_) => {
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            let aside = dir.join(format!("{}.corrupt", a.file_name()));
            assert_eq!(
                fs::read(&aside).expect("moved aside"),
                data,
                "the refused bytes were not kept"
            );
            assert!(!file_a.exists());
        }
    }
    match reg.add(vec![rec(1, &a)]) {
        Ok(_) => assert!(reg.load(&a).0.contains(&rec(1, &a))),
        // Only a newer mcpd's file may refuse a write, and it is left as it was.
        Err(e) => {
            assert!(
                e.to_string().contains("newer mcpd"),
                "the owner cannot be written again: {e}"
            );
            assert_eq!(fs::read(&file_a).expect("left in place"), data);
        }
    }
});
