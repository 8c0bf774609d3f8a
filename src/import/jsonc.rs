//! JSON with comments (JSONC), as VS Code writes `.vscode/mcp.json`: `//` and `/* */` comments and
//! trailing commas are blanked out, so that `serde_json` reads the rest. Every removed character
//! becomes a space (newlines are kept), so error lines and columns still point into the file.

/// Returns `text` with comments and trailing commas replaced by spaces. Strings are left alone;
/// an unterminated comment or string is left for the JSON parser to report.
pub fn strip(text: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    // Index in `out` of the last comma seen outside strings, while only blanks follow it.
    let mut pending_comma: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                pending_comma = None;
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            out.push(chars[i + 1]);
                            i += 2;
                        }
                        '"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(' ');
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == '*' && chars[j + 1] == '/');
                let Some(end) = end else {
                    // Unterminated: leave it, serde_json reports the position.
                    out.extend(&chars[i..]);
                    break;
                };
                for &ch in &chars[i..end + 2] {
                    out.push(if ch == '\n' { '\n' } else { ' ' });
                }
                i = end + 2;
            }
            ',' => {
                pending_comma = Some(out.len());
                out.push(c);
                i += 1;
            }
            '}' | ']' => {
                if let Some(at) = pending_comma.take() {
                    out[at] = ' ';
                }
                out.push(c);
                i += 1;
            }
            c if c.is_whitespace() => {
                out.push(c);
                i += 1;
            }
            _ => {
                pending_comma = None;
                out.push(c);
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn comments_and_trailing_commas_are_blanked() {
        let text = "{ // a comment\n  \"a\": [1, 2,], /* block\n */ \"b\": {\"c\": 1,},\n}";
        let out = strip(text);
        assert_eq!(out.len(), text.len());
        assert_eq!(out.lines().count(), text.lines().count());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, 2], "b": {"c": 1}}));
    }

    #[test]
    fn strings_are_untouched() {
        let text = r#"{"url": "http://x//y", "s": "a /* b */ ,}", "q": "\"//"}"#;
        assert_eq!(strip(text), text);
    }

    #[test]
    fn plain_json_is_unchanged() {
        let text = "{\n  \"mcpServers\": {\"fs\": {\"command\": \"npx\", \"args\": []}}\n}\n";
        assert_eq!(strip(text), text);
    }
}
