//! `mcpd ps --dump` taken in the ownership scenarios, and every committed dump under
//! tests/fixtures/dumps/ replayed through the pure classifier: each must give the verdicts its
//! `expect` map names.

use std::path::PathBuf;

use mcpd::sweep::dump::Dump;

use crate::pidns::Ns;

fn dumps_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dumps")
}

/// Takes `mcpd ps --dump` inside `ns`, checks that its replay gives `expect`, and with
/// `MCPD_UPDATE_DUMPS=1` saves it as the fixture `name` (with `note` and `expect`).
pub fn save<'a>(ns: &Ns, name: &str, note: &str, expect: impl IntoIterator<Item = (i32, &'a str)>) {
    let file = ns.sb.path().join(format!("{name}.json"));
    let out = ns
        .mcpd()
        .args(["ps", "--dump"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        crate::support::text(&out.stderr)
    );
    let mut dump = Dump::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    dump.note = note.to_string();
    dump.expect = expect
        .into_iter()
        .map(|(p, v)| (p, v.to_string()))
        .collect();
    assert!(!dump.expect.is_empty());
    assert_eq!(dump.mismatches(), Vec::<String>::new(), "{name}");
    if std::env::var("MCPD_UPDATE_DUMPS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(dumps_dir()).unwrap();
        let text = serde_json::to_string_pretty(&dump).unwrap();
        std::fs::write(dumps_dir().join(format!("{name}.json")), text + "\n").unwrap();
    }
}

#[test]
fn every_committed_dump_replays_to_its_expected_verdicts() {
    let mut n = 0;
    for e in std::fs::read_dir(dumps_dir()).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let dump = Dump::parse(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !dump.expect.is_empty() && !dump.note.is_empty(),
            "{}: a fixture says what it shows and what to expect",
            path.display()
        );
        assert_eq!(
            dump.mismatches(),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 2, "only {n} dump fixture(s)");
}
