//! Pure: tmux session names mcpd creates or targets. Like `tm()` in the shell setup mcpd replaces, a
//! folder's name becomes the session's name with `.`, `:` and whitespace turned into `_` (tmux itself
//! rewrites `.` and `:`, so doing it first means mcpd knows the real name). Names tmux would misread are
//! refused with the reason.

use std::path::Path;

/// Why a name cannot be a session name.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the session name is empty")]
    Empty,
    #[error(
        "session name {0:?} starts with `{1}`, which tmux reads as an id (`$` session, `@` window, `%` pane); pick another name"
    )]
    IdPrefix(String, char),
    #[error(
        "session name {0:?} contains `#`, which tmux would expand as a format (`#{{...}}`, `#(...)`); pick another name"
    )]
    Hash(String),
    #[error(
        "session name {0:?} starts with `~`, which a shell would expand to a home directory in mcpd's tmux hook; pick another name"
    )]
    Tilde(String),
    #[error("session name {0:?} contains a control character; pick another name")]
    Control(String),
    #[error("session name is {0} bytes long; the limit is 200")]
    TooLong(usize),
    #[error("cannot take a session name from {0}: it has no final component")]
    NoFolderName(String),
}

/// Rewrites `.`, `:` and whitespace to `_`, then checks what remains.
pub fn normalize(raw: &str) -> Result<String, NameError> {
    let name: String = raw
        .chars()
        .map(|c| {
            if c == '.' || c == ':' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect();
    validate(&name)?;
    Ok(name)
}

/// Checks a name without changing it.
pub fn validate(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(c) = name.chars().next().filter(|c| matches!(c, '$' | '@' | '%')) {
        return Err(NameError::IdPrefix(name.to_string(), c));
    }
    if name.starts_with('~') {
        return Err(NameError::Tilde(name.to_string()));
    }
    if name.contains('#') {
        return Err(NameError::Hash(name.to_string()));
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control(name.to_string()));
    }
    if name.len() > 200 {
        return Err(NameError::TooLong(name.len()));
    }
    Ok(())
}

/// The session name for a project folder.
pub fn from_dir(dir: &Path) -> Result<String, NameError> {
    let base = dir
        .file_name()
        .ok_or_else(|| NameError::NoFolderName(dir.display().to_string()))?;
    normalize(&base.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names() {
        assert_eq!(
            from_dir(Path::new("/home/u/my.proj v2")).unwrap(),
            "my_proj_v2"
        );
        assert_eq!(from_dir(Path::new("/x/a:b")).unwrap(), "a_b");
        assert_eq!(from_dir(Path::new("/x/日本語")).unwrap(), "日本語");
        assert!(matches!(
            from_dir(Path::new("/")),
            Err(NameError::NoFolderName(_))
        ));
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(normalize(""), Err(NameError::Empty));
        assert!(matches!(normalize("$0"), Err(NameError::IdPrefix(_, '$'))));
        assert!(matches!(normalize("@1"), Err(NameError::IdPrefix(_, '@'))));
        assert!(matches!(normalize("%2"), Err(NameError::IdPrefix(_, '%'))));
        assert!(
            normalize("a#{pid}")
                .unwrap_err()
                .to_string()
                .contains("format")
        );
        assert!(matches!(normalize("a#(id)"), Err(NameError::Hash(_))));
        assert!(matches!(normalize("a\u{7}b"), Err(NameError::Control(_))));
        assert!(matches!(normalize("~root"), Err(NameError::Tilde(_))));
        assert!(normalize("a~b").is_ok());
        assert!(matches!(
            normalize(&"x".repeat(300)),
            Err(NameError::TooLong(300))
        ));
    }

    #[test]
    fn hostile_but_harmless_names_pass_as_data() {
        for n in [
            "$(touch X)",
            "`id`",
            "a;b",
            "'q'",
            "\"q\"",
            "a|b",
            "-leading",
            "ünï",
        ] {
            let n2 = normalize(n);
            if n.starts_with('$') {
                assert!(n2.is_err());
            } else {
                assert!(n2.is_ok(), "{n}");
            }
        }
        assert_eq!(normalize("a\tb").unwrap(), "a_b");
    }
}
