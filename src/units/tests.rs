//! Tests of parsing, formatting and the serde newtypes.

use std::time::Duration;

use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn durations_in_every_unit() {
    assert_eq!(parse_duration("30s"), Ok(secs(30)));
    assert_eq!(parse_duration("5m"), Ok(secs(300)));
    assert_eq!(parse_duration("2h"), Ok(secs(7200)));
    assert_eq!(parse_duration("1d"), Ok(secs(86_400)));
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
}

#[test]
fn durations_compound_bare_and_spaced() {
    assert_eq!(parse_duration("1h30m"), Ok(secs(5400)));
    assert_eq!(
        parse_duration("1d2h3m4s5ms"),
        Ok(Duration::new(93_784, 5_000_000))
    );
    assert_eq!(parse_duration("90"), Ok(secs(90)));
    assert_eq!(parse_duration("  45s \n"), Ok(secs(45)));
    assert_eq!(parse_duration("1h 30m"), Ok(secs(5400)));
    assert_eq!(parse_duration("30 s"), Ok(secs(30)));
    assert_eq!(parse_duration("5M"), Ok(secs(300)));
    assert_eq!(parse_duration("250MS"), Ok(Duration::from_millis(250)));
}

#[test]
fn durations_with_fractions() {
    assert_eq!(parse_duration("1.5h"), Ok(secs(5400)));
    assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration(".25s"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_duration("0.0015ms"), Ok(Duration::from_nanos(1500)));
}

#[test]
fn bad_durations_are_explained() {
    assert_eq!(
        parse_duration("5x").unwrap_err(),
        "invalid duration \"5x\": expected a number followed by ms, s, m, h or d \
         (e.g. \"30s\", \"5m\")"
    );
    for bad in [
        "",
        "   ",
        "s",
        "abc",
        "5 x",
        "1h30",
        "1h 30",
        "5s garbage",
        "1..5s",
        "+5s",
    ] {
        let err = parse_duration(bad).unwrap_err();
        assert!(err.starts_with("invalid duration "), "{bad:?}: {err}");
        assert!(err.contains(&format!("{:?}", bad)), "{bad:?}: {err}");
    }
    assert!(parse_duration("").unwrap_err().contains("empty"));
    assert!(
        parse_duration("1h30")
            .unwrap_err()
            .contains("unit is missing")
    );
}

#[test]
fn negative_and_overflowing_durations_are_rejected() {
    assert!(parse_duration("-5s").unwrap_err().contains("negative"));
    assert!(parse_duration(" -1").unwrap_err().contains("negative"));
    let huge = "99999999999999999999999999999999999999999999999999d";
    assert!(parse_duration(huge).unwrap_err().contains("too large"));
    assert!(
        parse_duration("18446744073709551615d")
            .unwrap_err()
            .contains("too large")
    );
    // Each part fits, but their sum does not.
    let sum = format!("{}s{}s", u64::MAX, u64::MAX);
    assert!(parse_duration(&sum).unwrap_err().contains("too large"));
    // The largest representable whole-second duration still parses.
    assert_eq!(parse_duration(&u64::MAX.to_string()), Ok(secs(u64::MAX)));
}

#[test]
fn long_garbage_is_cut_short_in_messages() {
    let garbage = "x".repeat(10_000);
    let err = parse_duration(&garbage).unwrap_err();
    assert!(err.len() < 200, "{err}");
    assert!(err.contains('…'));
    let err = parse_size("\u{0}\u{7f}\u{1b}[31m").unwrap_err();
    assert!(err.contains("\\0"), "{err}");
}

#[test]
fn sizes_in_every_unit() {
    assert_eq!(parse_size("1024"), Ok(1024));
    assert_eq!(parse_size("0"), Ok(0));
    assert_eq!(parse_size("12B"), Ok(12));
    assert_eq!(parse_size("512KB"), Ok(512_000));
    assert_eq!(parse_size("512k"), Ok(512_000));
    assert_eq!(parse_size("300MB"), Ok(300_000_000));
    assert_eq!(parse_size("300m"), Ok(300_000_000));
    assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
    assert_eq!(parse_size("1g"), Ok(1_000_000_000));
    assert_eq!(parse_size("2TB"), Ok(2_000_000_000_000));
    assert_eq!(parse_size("2t"), Ok(2_000_000_000_000));
    assert_eq!(parse_size("4KiB"), Ok(4096));
    assert_eq!(parse_size("100MiB"), Ok(100 << 20));
    assert_eq!(parse_size("2GiB"), Ok(2 << 30));
    assert_eq!(parse_size("1TiB"), Ok(1 << 40));
}

#[test]
fn sizes_case_spaces_and_fractions() {
    assert_eq!(parse_size("1gib"), Ok(1 << 30));
    assert_eq!(parse_size("1GIB"), Ok(1 << 30));
    assert_eq!(parse_size("300mb"), Ok(300_000_000));
    assert_eq!(parse_size(" 300 MB "), Ok(300_000_000));
    assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
    assert_eq!(parse_size("0.5KiB"), Ok(512));
    assert_eq!(parse_size("1.0B"), Ok(1));
    // Below one byte of resolution rounds down.
    assert_eq!(parse_size("1.0001KB"), Ok(1000));
}

#[test]
fn bad_sizes_are_explained() {
    assert_eq!(
        parse_size("300XB").unwrap_err(),
        "invalid size \"300XB\": expected a number followed by B, KB, MB, GB, TB, KiB, \
         MiB, GiB or TiB (e.g. \"300MB\", \"1GB\")"
    );
    for bad in [
        "", "MB", "1 2MB", "1MB2", "1MBB", "lots", "1e9", "0x10", "1,5GB",
    ] {
        let err = parse_size(bad).unwrap_err();
        assert!(err.starts_with("invalid size "), "{bad:?}: {err}");
    }
    assert!(parse_size("-1MB").unwrap_err().contains("negative"));
    assert!(parse_size("1.5").unwrap_err().contains("whole number"));
    assert!(parse_size("1.5B").unwrap_err().contains("whole number"));
    assert!(
        parse_size("18446744073709551616")
            .unwrap_err()
            .contains("too large")
    );
    assert!(parse_size("20000000TB").unwrap_err().contains("too large"));
    assert!(
        parse_size(&"9".repeat(500))
            .unwrap_err()
            .contains("too large")
    );
    assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
}

#[test]
fn human_bytes_examples() {
    assert_eq!(human_bytes(0), "0 B");
    assert_eq!(human_bytes(512), "512 B");
    assert_eq!(human_bytes(999), "999 B");
    assert_eq!(human_bytes(1000), "1 KB");
    assert_eq!(human_bytes(1_234), "1.2 KB");
    assert_eq!(human_bytes(9_800_000), "9.8 MB");
    assert_eq!(human_bytes(9_960_000), "10 MB");
    assert_eq!(human_bytes(12_300_000), "12 MB");
    assert_eq!(human_bytes(612_000_000), "612 MB");
    assert_eq!(human_bytes(999_600), "1 MB");
    assert_eq!(human_bytes(300_000_000), "300 MB");
    assert_eq!(human_bytes(1_000_000_000), "1 GB");
    assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
    assert_eq!(human_bytes(u64::MAX), "18 EB");
}

#[test]
fn human_duration_examples() {
    assert_eq!(human_duration(Duration::ZERO), "0s");
    assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
    assert_eq!(human_duration(secs(45)), "45s");
    assert_eq!(human_duration(secs(59)), "59s");
    assert_eq!(human_duration(secs(60)), "1m");
    assert_eq!(human_duration(secs(12 * 60 + 59)), "12m");
    assert_eq!(human_duration(secs(3 * 3600 + 5 * 60 + 7)), "3h05m");
    assert_eq!(human_duration(secs(2 * 86_400 + 4 * 3600 + 59)), "2d04h");
    assert_eq!(human_duration(Duration::MAX), "213503982334601d07h");
}

#[test]
fn format_duration_config_round_trips() {
    assert_eq!(format_duration_config(secs(30)), "30s");
    assert_eq!(format_duration_config(secs(600)), "10m");
    assert_eq!(format_duration_config(secs(7200)), "2h");
    assert_eq!(format_duration_config(secs(86_400)), "1d");
    assert_eq!(format_duration_config(secs(90)), "90s");
    assert_eq!(
        format_duration_config(Duration::from_millis(1500)),
        "1500ms"
    );
    assert_eq!(format_duration_config(Duration::ZERO), "0s");
    assert_eq!(
        format_duration_config(Duration::from_nanos(1500)),
        "0.0015ms"
    );
    for d in [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_nanos(1_234_567_891),
        Duration::from_millis(1),
        secs(3 * 3600 + 1),
        Duration::MAX,
        Duration::new(u64::MAX, 0),
    ] {
        let text = format_duration_config(d);
        assert_eq!(parse_duration(&text), Ok(d), "{text}");
    }
}

#[test]
fn format_size_config_round_trips() {
    assert_eq!(format_size_config(0), "0B");
    assert_eq!(format_size_config(300_000_000), "300MB");
    assert_eq!(format_size_config(1_000_000_000), "1GB");
    assert_eq!(format_size_config(2 << 30), "2GiB");
    assert_eq!(format_size_config(1024), "1KiB");
    assert_eq!(format_size_config(1234), "1234B");
    for n in [0, 1, 999, 1000, 1024, 1536, 123_456_789, 5 << 40, u64::MAX] {
        let text = format_size_config(n);
        assert_eq!(parse_size(&text), Ok(n), "{text}");
    }
}

#[test]
fn newtypes_display_and_from_str() {
    assert_eq!(Dur(secs(30)).to_string(), "30s");
    assert_eq!(Size(300_000_000).to_string(), "300MB");
    assert_eq!("1h30m".parse::<Dur>(), Ok(Dur(secs(5400))));
    assert_eq!("2GiB".parse::<Size>(), Ok(Size(2 << 30)));
    assert!("nope".parse::<Dur>().is_err());
    assert!(Dur(secs(1)) < Dur(secs(2)));
    assert_eq!(Duration::from(Dur::from(secs(3))), secs(3));
    assert_eq!(u64::from(Size::from(7)), 7);
}

#[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
struct Sample {
    d: Dur,
    s: Size,
}

#[test]
fn newtypes_deserialize_strings_and_integers() {
    let v: Sample = toml::from_str("d = \"1h30m\"\ns = \"1.5GB\"").unwrap();
    assert_eq!(
        v,
        Sample {
            d: Dur(secs(5400)),
            s: Size(1_500_000_000)
        }
    );
    let v: Sample = toml::from_str("d = 90\ns = 1024").unwrap();
    assert_eq!(
        v,
        Sample {
            d: Dur(secs(90)),
            s: Size(1024)
        }
    );
}

#[test]
fn newtypes_reject_bad_values() {
    for bad in [
        "d = \"5x\"\ns = 1",
        "d = -5\ns = 1",
        "d = 1\ns = -1",
        "d = true\ns = 1",
        "d = 1\ns = \"300XB\"",
        "d = 1\ns = 1.5",
        "d = [1]\ns = 1",
    ] {
        assert!(toml::from_str::<Sample>(bad).is_err(), "{bad}");
    }
    let err = toml::from_str::<Sample>("d = \"5x\"\ns = 1").unwrap_err();
    assert!(err.message().contains("invalid duration \"5x\""), "{err}");
    let err = toml::from_str::<Sample>("d = -5\ns = 1").unwrap_err();
    assert!(err.message().contains("negative"), "{err}");
}

#[test]
fn newtypes_serialize_to_strings_that_read_back() {
    let sample = Sample {
        d: Dur(Duration::from_millis(1500)),
        s: Size(2 << 30),
    };
    let text = toml::to_string(&sample).unwrap();
    assert_eq!(text, "d = \"1500ms\"\ns = \"2GiB\"\n");
    assert_eq!(toml::from_str::<Sample>(&text).unwrap(), sample);
}
