//! Where each value of a JSON (or JSONC: comments, trailing commas) text is, by byte offsets, so
//! that `mcpd link` can replace a few values and leave every other byte (layout, comments, key
//! order) as the agent or the user wrote it.

/// A value and its place in the text: `text[start..end]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Offset of its first byte.
    pub start: usize,
    /// Offset just past its last byte.
    pub end: usize,
    /// What it is.
    pub kind: NodeKind,
}

/// The shape of a [`Node`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Members in the order written: key (unescaped) and value.
    Object(Vec<(String, Node)>),
    /// Items in order.
    Array(Vec<Node>),
    /// A string, number, boolean or null.
    Scalar,
}

impl Node {
    /// The value of member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Object(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            NodeKind::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            NodeKind::Scalar => None,
        }
    }

    /// The node at `path` (object keys, array indexes as digits).
    pub fn at(&self, path: &[String]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }
}

/// Deepest nesting accepted: bounds the recursion on hostile input.
const MAX_DEPTH: usize = 128;

/// Parses `text`; `None` when it is not JSON(C) (the caller has already parsed it with
/// serde_json, so this only happens on input the two read differently).
pub fn parse(text: &str) -> Option<Node> {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    let node = p.value(0)?;
    p.skip();
    (p.i == p.b.len()).then_some(node)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    /// Skips blanks, `//` and `/* */` comments.
    fn skip(&mut self) {
        loop {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.b[self.i..].starts_with(b"//") {
                while self.i < self.b.len() && self.b[self.i] != b'\n' {
                    self.i += 1;
                }
            } else if self.b[self.i..].starts_with(b"/*") {
                let rest = &self.b[self.i + 2..];
                let end = rest.windows(2).position(|w| w == b"*/");
                self.i = end.map_or(self.b.len(), |e| self.i + 2 + e + 2);
            } else {
                return;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip();
        let start = self.i;
        let kind = match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                loop {
                    self.skip();
                    match *self.b.get(self.i)? {
                        b'}' => break,
                        b'"' => {}
                        _ => return None,
                    }
                    let key = self.string()?;
                    self.skip();
                    (self.b.get(self.i)? == &b':').then_some(())?;
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    members.push((key, v));
                    if !self.comma_or(b'}')? {
                        break;
                    }
                }
                self.i += 1;
                NodeKind::Object(members)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip();
                    if *self.b.get(self.i)? == b']' {
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    if !self.comma_or(b']')? {
                        break;
                    }
                }
                self.i += 1;
                NodeKind::Array(items)
            }
            b'"' => {
                self.string()?;
                NodeKind::Scalar
            }
            _ => {
                let n = self.b[self.i..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || b"+-.".contains(c)))
                    .unwrap_or(self.b.len() - self.i);
                if n == 0 {
                    return None;
                }
                self.i += n;
                NodeKind::Scalar
            }
        };
        Some(Node {
            start,
            end: self.i,
            kind,
        })
    }

    /// After an item: true on `,` (more may follow), false at `close` (left for the caller).
    fn comma_or(&mut self, close: u8) -> Option<bool> {
        self.skip();
        match *self.b.get(self.i)? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// A string at `self.i`, unescaped.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    let raw = std::str::from_utf8(&self.b[start..self.i]).ok()?;
                    return serde_json::from_str(raw).ok();
                }
                _ => self.i += 1,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_into_the_text() {
        let text = "// c\n{ \"a\": {\"b\": [1, \"x\",], /* é */ \"c\": null}, }\n";
        let root = parse(text).unwrap();
        let b = root.at(&["a".into(), "b".into()]).unwrap();
        assert_eq!(&text[b.start..b.end], "[1, \"x\",]");
        let x = root.at(&["a".into(), "b".into(), "1".into()]).unwrap();
        assert_eq!(&text[x.start..x.end], "\"x\"");
        let c = root.at(&["a".into(), "c".into()]).unwrap();
        assert_eq!(&text[c.start..c.end], "null");
    }

    #[test]
    fn escaped_keys_and_bad_input() {
        let root = parse(r#"{"a\"b": 1}"#).unwrap();
        assert!(root.get("a\"b").is_some());
        assert!(parse("{\"a\": }").is_none());
        assert!(parse("{\"a\": 1} x").is_none());
        assert!(parse(&"[".repeat(1000)).is_none());
    }
}
