//! Terminal output conventions: colour only when wanted (`--color`, `NO_COLOR`, a terminal), levels
//! that read without colour too, and column tables.

use std::io::IsTerminal;

use unicode_width::UnicodeWidthChar;

use crate::cli::ColorChoice;
use crate::health::Level;

/// The exit status of a command whose reader closed early: 128 + SIGPIPE, what a shell reports
/// for a process the signal killed.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// True for the panic message of `print!`/`println!` writing to a closed pipe.
pub fn is_broken_pipe_message(msg: &str) -> bool {
    msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe")
}

/// True when an error comes from writing to a closed pipe (anywhere in its chain).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// Whether to colour stdout (see [`use_color_on`]).
pub fn use_color(choice: ColorChoice) -> bool {
    use_color_on(choice, std::io::stdout().is_terminal())
}

/// The one colour policy, for stdout, the log lines on stderr and the dashboard alike:
/// `--color always`/`never` decide; `auto` colours a terminal unless `NO_COLOR` is set
/// (non-empty) or `TERM` is `dumb`.
pub fn use_color_on(choice: ColorChoice, terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    colour_wanted(choice, terminal, no_color, dumb)
}

fn colour_wanted(choice: ColorChoice, terminal: bool, no_color: bool, dumb: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color && !dumb,
    }
}

/// Styles text for the terminal, or passes it through.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }

    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }

    pub fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }

    pub fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }

    /// A level as a word (readable without colour) in its colour.
    pub fn level(&self, l: Level) -> String {
        let word = format!("{:<8}", l.word());
        match l {
            Level::Normal => self.wrap("32", &word),
            Level::Warning => self.wrap("33;1", &word),
            Level::Critical => self.wrap("31;1", &word),
        }
    }
}

/// The width of `s` on screen, in terminal columns: wide characters (CJK, most emoji) count
/// two, combining marks and control characters none, ANSI colour sequences nothing.
pub fn visible_width(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        match (in_esc, c) {
            (false, '\x1b') => in_esc = true,
            (true, 'm') => in_esc = false,
            (true, _) => {}
            (false, c) => n += c.width().unwrap_or(0),
        }
    }
    n
}

/// Left-aligned columns; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| visible_width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(visible_width(c));
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        let cells: Vec<&str> = cells.collect();
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(visible_width(c)) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(&mut headers.iter().copied(), &mut out);
    for r in rows {
        line(&mut r.iter().map(String::as_str), &mut out);
    }
    out
}

/// Shortens `s` to at most `max` terminal columns (see [`visible_width`]), ending it with an
/// ellipsis when anything was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if visible_width(s) <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(1);
    let mut width = 0;
    let mut t = String::new();
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if width + w > budget {
            break;
        }
        width += w;
        t.push(c);
    }
    t.push('…');
    t
}

/// Quotes `s` as one POSIX shell word, so a command mcpd prints (or hands tmux) can be used
/// as-is: unchanged when it holds only safe characters, else each other character escaped with
/// a backslash (no quote characters, so the word also fits inside tmux's single quotes); empty
/// text and text with control characters (a backslash-newline would vanish) are single-quoted.
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.,:/+=%@".contains(c);
    if s.is_empty() || s.chars().any(char::is_control) {
        return format!("'{}'", s.replace('\'', r"'\''"));
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !safe(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_survive_the_shell() {
        assert_eq!(shell_quote("fs"), "fs");
        assert_eq!(shell_quote("/usr/bin/mcpd"), "/usr/bin/mcpd");
        assert_eq!(shell_quote("my session"), r"my\ session");
        assert_eq!(shell_quote("it's"), r"it\'s");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(
            shell_quote("a\nb'c"),
            r"'a
b'\''c'"
        );
        for word in [
            "my session",
            "it's",
            "",
            "a\nb'c",
            "$HOME `x` \\ \"q\" ;&|<>*?",
        ] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", shell_quote(word))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }

    #[test]
    fn colour_follows_the_choice_then_no_color_term_and_the_terminal() {
        assert!(colour_wanted(ColorChoice::Always, false, true, true));
        assert!(!colour_wanted(ColorChoice::Never, true, false, false));
        assert!(colour_wanted(ColorChoice::Auto, true, false, false));
        assert!(!colour_wanted(ColorChoice::Auto, false, false, false));
        assert!(!colour_wanted(ColorChoice::Auto, true, true, false));
        assert!(!colour_wanted(ColorChoice::Auto, true, false, true));
    }

    #[test]
    fn tables_align() {
        let t = table(
            &["PID", "CMD"],
            &[
                vec!["1".into(), "init".into()],
                vec!["12345".into(), "node x".into()],
            ],
        );
        assert_eq!(t, "PID    CMD\n1      init\n12345  node x\n");
    }

    #[test]
    fn colour_does_not_break_alignment() {
        let red = Style { color: true }.red("X");
        let t = table(
            &["A", "B"],
            &[vec![red.clone(), "1".into()], vec!["YY".into(), "2".into()]],
        );
        assert_eq!(t, format!("A   B\n{red}   1\nYY  2\n"));
    }

    #[test]
    fn truncates_unicode_safely() {
        // Wide characters take two columns: four columns hold one and the ellipsis.
        assert_eq!(truncate("日本語のテキスト", 4), "日…");
        assert_eq!(truncate("日本語のテキスト", 5), "日本…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("日本", 4), "日本");
        assert_eq!(visible_width("\x1b[31m日本\x1b[0m e\u{301}"), 6);
    }

    #[test]
    fn levels_read_without_color() {
        let s = Style { color: false };
        assert!(s.level(Level::Critical).starts_with("CRITICAL"));
        assert!(
            Style { color: true }
                .level(Level::Warning)
                .contains("\x1b[33;1m")
        );
    }
}
