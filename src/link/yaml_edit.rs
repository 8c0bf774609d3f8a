//! Editing one server entry of a YAML file (Goose's `extensions.NAME`, Continue's
//! `mcpServers[i]`) line by line, so that every other line stays as written. Only block-style
//! mappings are handled; the caller re-parses the result and refuses an edit that changed
//! anything but the command and arguments.

/// Sets `cmd_key: mcpd` and `args_key: [connect, "NAME"]` in the entry at `path` (a top-level
/// key, then a key of that mapping or an index of that list). `None`: not found in a form
/// this edits.
pub fn set_command(
    text: &str,
    path: &[String],
    cmd_key: &str,
    args_key: &str,
    name: &str,
) -> Option<String> {
    let [top, entry] = path else {
        return None;
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let top_at = lines
        .iter()
        .position(|l| indent(l) == Some(0) && key_of(l.trim_start()) == Some(top.as_str()))?;
    // The section: the lines after `top:` until the next top-level line.
    let end = (top_at + 1..lines.len())
        .find(|&i| indent(lines[i]) == Some(0))
        .unwrap_or(lines.len());
    let children: Vec<usize> = (top_at + 1..end)
        .filter(|&i| indent(lines[i]).is_some())
        .collect();
    let first = *children.first()?;
    let child_indent = indent(lines[first])?;
    let (start, key_indent) = match entry.parse::<usize>() {
        Ok(index) => {
            let items: Vec<usize> = children
                .iter()
                .copied()
                .filter(|&i| {
                    indent(lines[i]) == Some(child_indent)
                        && lines[i].trim_start().starts_with("- ")
                })
                .collect();
            (*items.get(index)?, child_indent + 2)
        }
        Err(_) => {
            let at = children.iter().copied().find(|&i| {
                indent(lines[i]) == Some(child_indent)
                    && key_of(lines[i].trim_start()) == Some(entry.as_str())
            })?;
            let inner =
                (at + 1..end).find_map(|i| indent(lines[i]).filter(|&n| n > child_indent))?;
            (at, inner)
        }
    };
    // The entry's block: until a line at or left of the item's own indent.
    let block_end = (start + 1..end)
        .find(|&i| indent(lines[i]).is_some_and(|n| n <= child_indent))
        .unwrap_or(end);
    // The entry's own keys: lines at `key_indent` (the first item line counts as one).
    let key_line = |i: usize| -> Option<&str> {
        let l = lines[i];
        if i == start && entry.parse::<usize>().is_ok() {
            return key_of(l.trim_start().strip_prefix("- ")?.trim_start());
        }
        (indent(l) == Some(key_indent)).then(|| key_of(l.trim_start()))?
    };
    let cmd_at = (start..block_end).find(|&i| key_line(i) == Some(cmd_key))?;
    let args_at = (start..block_end).find(|&i| key_line(i) == Some(args_key));
    let quoted = serde_json::Value::from(name).to_string();
    let pad = " ".repeat(key_indent);
    let lead = |i: usize| -> String {
        if i == start && entry.parse::<usize>().is_ok() {
            format!("{}- ", " ".repeat(child_indent))
        } else {
            pad.clone()
        }
    };
    let eol = |i: usize| {
        if lines[i].ends_with("\r\n") {
            "\r\n"
        } else {
            "\n"
        }
    };
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 1);
    let mut i = 0;
    while i < lines.len() {
        if i == cmd_at {
            out.push(format!("{}{cmd_key}: mcpd{}", lead(i), eol(i)));
            if args_at.is_none() {
                out.push(format!("{pad}{args_key}: [connect, {quoted}]{}", eol(i)));
            }
            i += 1;
        } else if Some(i) == args_at {
            out.push(format!(
                "{}{args_key}: [connect, {quoted}]{}",
                lead(i),
                eol(i)
            ));
            i += 1;
            // A block sequence under the key: deeper lines, or `- ` at the key's own indent.
            while i < block_end
                && (indent(lines[i]).is_none_or(|n| n > key_indent)
                    || (indent(lines[i]) == Some(key_indent)
                        && lines[i].trim_start().starts_with("- ")))
                && !lines[i].trim().is_empty()
            {
                i += 1;
            }
        } else {
            out.push(lines[i].to_owned());
            i += 1;
        }
    }
    Some(out.concat())
}

/// The indentation of a line with content; `None` for blank and comment lines.
fn indent(line: &str) -> Option<usize> {
    let t = line.trim_start_matches(' ');
    if t.trim().is_empty() || t.starts_with('#') {
        return None;
    }
    Some(line.len() - t.len())
}

/// The key of a `key: value` line (quotes removed).
fn key_of(line: &str) -> Option<&str> {
    let (k, _) = line.split_once(':')?;
    let k = k.trim();
    Some(
        k.strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| k.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(k),
    )
}

#[cfg(test)]
mod tests {
    use super::set_command;

    fn p(a: &str, b: &str) -> Vec<String> {
        vec![a.into(), b.into()]
    }

    #[test]
    fn goose_extension() {
        let text = "x: 1\nextensions:\n  dev:\n    type: builtin\n  gh:\n    cmd: npx\n    args:\n    - -y\n    - \"@m/gh\"\n    envs: {}\n# end\n";
        let out = set_command(text, &p("extensions", "gh"), "cmd", "args", "gh").unwrap();
        assert_eq!(
            out,
            "x: 1\nextensions:\n  dev:\n    type: builtin\n  gh:\n    cmd: mcpd\n    args: [connect, \"gh\"]\n    envs: {}\n# end\n"
        );
    }

    #[test]
    fn continue_list_item_without_args() {
        let text = "mcpServers:\n  - name: a\n    command: x\n  - name: b\n    command: y\n    args:\n      - z\n";
        let out = set_command(text, &p("mcpServers", "1"), "command", "args", "b").unwrap();
        assert_eq!(
            out,
            "mcpServers:\n  - name: a\n    command: x\n  - name: b\n    command: mcpd\n    args: [connect, \"b\"]\n"
        );
        let out = set_command(text, &p("mcpServers", "0"), "command", "args", "a").unwrap();
        assert!(out.starts_with("mcpServers:\n  - name: a\n    command: mcpd\n    args: [connect, \"a\"]\n  - name: b\n"), "{out}");
        assert!(set_command(text, &p("mcpServers", "2"), "command", "args", "c").is_none());
    }
}
