//! The commented default config, and input that must never panic.

use super::super::template::*;
use super::*;

#[test]
fn default_config_toml_parses_to_the_defaults() {
    let text = default_config_toml();
    assert_eq!(
        Config {
            source: None,
            ..parse_ok(&text)
        },
        Config::default()
    );
    assert!(
        text.contains("\"@modelcontextprotocol/*\", \"mcp-*\""),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    assert!(!text.contains("{patterns}") && !text.contains("{launchers}"));
    // Every option of every section is documented.
    for key in de::names::<DaemonConfig>()
        .iter()
        .chain(de::names::<Thresholds>())
        .chain(de::names::<MatchConfig>())
        .chain(de::names::<SessionsConfig>())
        .chain(de::names::<ServerConfig>())
    {
        assert!(
            text.contains(&format!("# {key} = ")) || text.contains(&format!("#   {key} = ")),
            "{key} missing"
        );
    }
    for section in de::names::<Config>().iter().filter(|s| **s != "servers") {
        assert!(
            text.contains(&format!("# [{section}]")),
            "[{section}] missing"
        );
    }
}

/// Uncomments `# key = value` and `# [table]` lines (but not prose or indented examples).
fn uncomment(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest.split_once(" = ").is_some_and(|(key, _)| {
                        !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    }) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn default_config_toml_shows_the_real_defaults() {
    let text = default_config_toml();
    let (settings, examples) = text.split_at(text.find("\n# -----").unwrap());
    let uncommented = uncomment(settings);
    assert!(
        uncommented.contains("\n[daemon]\n# How often")
            && uncommented.contains("\nsweep_interval = \"30s\"\n"),
        "{uncommented}"
    );
    assert_eq!(
        Config {
            source: None,
            ..parse_ok(&uncommented)
        },
        Config::default()
    );

    // The examples are valid too, and say what they claim.
    let c = parse_ok(&format!("{uncommented}\n{}", uncomment(examples)));
    let fs = &c.servers["filesystem"];
    assert_eq!(
        (fs.scope, fs.command.as_str(), fs.share),
        (Scope::Global, "npx", Share::Auto)
    );
    assert_eq!(fs.env["LOG_LEVEL"], "warn");
    assert_eq!(fs.max_rss, Some(500_000_000));
    let serena = &c.servers["serena"];
    assert_eq!(
        (serena.scope, serena.start),
        (Scope::Session, StartMode::OnConnect)
    );
}

/// A small deterministic generator, so the garbage test needs no extra dependency.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn garbage_never_panics() {
    let mut inputs: Vec<String> = vec![
        String::from_utf8_lossy(&[0, 159, 146, 150, 255, 10, 91, 93, 61, 0]).into_owned(),
        "\u{feff}[daemon]\nstop_grace = \"1s\"".into(),
        "[".repeat(100_000),
        "a = ".to_owned() + &"[".repeat(100_000),
        "a = ".to_owned() + &"{ b = ".repeat(10_000),
        "a".to_owned() + &".a".repeat(10_000) + " = 1",
        "[".to_owned() + &"a.".repeat(10_000) + "a]",
        "[[servers]]\n".repeat(1000),
        "servers.x.env.".to_owned() + &"a.".repeat(70) + "b = 1",
        "daemon.sweep_interval = 1e400".into(),
        "daemon.sweep_interval = nan".into(),
        "daemon.sweep_interval = -inf".into(),
        format!("daemon.sweep_interval = \"{}\"", "9".repeat(100_000)),
        format!("[servers.\"{}\"]\ncommand = \"x\"", "n".repeat(100_000)),
        "=".into(),
        "\"\" = 1".into(),
        "[servers.\"\"]".into(),
        "\r\r\r".into(),
        "\\".into(),
        "a = \"\\uD800\"".into(),
        "a = 1979-05-27T07:32:00Z".into(),
        "x".repeat(1_000_000),
    ];
    // Random mixtures of plausible and implausible fragments.
    let fragments = [
        "[daemon]",
        "[servers.a]",
        "[thresholds]",
        "[match]",
        "[sessions]",
        "[servers]",
        "sweep_interval",
        "stop_grace",
        "command",
        "args",
        "env",
        "rss",
        "processes",
        "warn",
        "crit",
        "max_rss",
        "scope",
        "x",
        " = ",
        "=",
        "\n",
        "\"30s\"",
        "\"1GB\"",
        "0",
        "-1",
        "99999999999999999999",
        "1.5",
        "true",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\"",
        "'",
        "#",
        ".",
        " ",
        "\u{0}",
        "é",
        "\"\\u0000\"",
        "[[",
        "]]",
        "0x",
        "1979-05-27",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = (rng.next() % 40) as usize;
        inputs.push((0..len).map(|_| rng.pick(&fragments)).collect());
    }
    for input in &inputs {
        match parse(input) {
            Ok(config) => assert_eq!(config.source.as_deref(), Some(Path::new(PATH))),
            Err(e) => {
                let shown = e.to_string();
                assert!(shown.starts_with(PATH));
                // Messages quote values, but never echo a megabyte of input.
                assert!(
                    shown.len() < 2_000,
                    "message too long: {}",
                    shown.chars().take(300).collect::<String>()
                );
            }
        }
    }
}
