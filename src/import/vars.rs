//! Agents' variables, resolved as the agent would resolve them when it starts the server, so that
//! nothing reaches a server literally. What the agent knows at that moment and mcpd knows at import
//! is written out (`${userHome}`, `${workspaceFolder}` of the project the file belongs to,
//! `${pathSeparator}`); what the agent reads from its environment becomes `${NAME}`, which the
//! daemon expands from its own (`${env:NAME}`, opencode's `{env:NAME}`, Gemini's `$NAME`); what
//! only the user can give (`${input:ID}`, Continue's `${{ secrets.X }}`, an unknown project)
//! becomes `${NAME}` too, with a [`Need`] saying what to set.

use super::Format;

/// What an import is resolved against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The user's home directory.
    pub home: Option<&'a str>,
    /// The project the file belongs to (where the agent ran the server).
    pub project: Option<&'a str>,
    /// The server will run per tmux session, in the session's folder.
    pub session_scope: bool,
}

/// A value the user must provide: the daemon reads it from `env` (its own environment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// As the agent wrote it, e.g. `${input:perplexity-key}`.
    pub written: String,
    /// The variable that now stands for it, e.g. `PERPLEXITY_KEY`.
    pub var: String,
    /// Why mcpd cannot know it.
    pub why: &'static str,
}

/// Resolves the variables in `s`, written in a file of `format`. Returns the new value, the
/// values the user must provide, and notes on what was resolved.
pub fn resolve(s: &str, format: Format, ctx: &Context<'_>) -> (String, Vec<Need>, Vec<String>) {
    let mut out = String::with_capacity(s.len());
    let (mut needs, mut notes) = (Vec::new(), Vec::new());
    let mut rest = s;
    while let Some(i) = next_var(rest, format) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let (len, replacement) = one(rest, format, ctx, &mut needs, &mut notes);
        out.push_str(&replacement);
        rest = &rest[len..];
    }
    out.push_str(rest);
    (out, needs, notes)
}

/// Where the next variable of `format`'s syntax starts.
fn next_var(s: &str, format: Format) -> Option<usize> {
    let dollar = s.find('$');
    let brace = (format == Format::Opencode)
        .then(|| s.find("{env:").into_iter().chain(s.find("{file:")).min())
        .flatten();
    match (dollar, brace) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads the variable at the start of `s`: (bytes consumed, replacement).
fn one(
    s: &str,
    format: Format,
    ctx: &Context<'_>,
    needs: &mut Vec<Need>,
    notes: &mut Vec<String>,
) -> (usize, String) {
    // opencode: {env:NAME}, {file:PATH}
    if s.starts_with('{') {
        let Some(end) = s.find('}') else {
            return (s.len(), s.to_owned());
        };
        let inner = &s[1..end];
        let full = &s[..=end];
        if let Some(name) = inner.strip_prefix("env:")
            && is_env_name(name)
        {
            return (end + 1, format!("${{{name}}}"));
        }
        return (
            end + 1,
            need(full, "FILE_CONTENT", "opencode reads it from a file", needs),
        );
    }
    // Continue: ${{ secrets.NAME }} / ${{ inputs.NAME }}
    if let Some(body) = s.strip_prefix("${{") {
        let Some(end) = body.find("}}") else {
            return (s.len(), s.to_owned());
        };
        let full = &s[..3 + end + 2];
        let key = body[..end].trim();
        let name = key.rsplit('.').next().unwrap_or(key);
        let why = "Continue fills it in from its secrets or inputs";
        return (full.len(), need(full, name, why, needs));
    }
    let Some(body) = s.strip_prefix("${") else {
        // Gemini CLI expands `$NAME` as well as `${NAME}`.
        let name_len = s[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len() - 1);
        let name = &s[1..1 + name_len];
        if format == Format::Gemini && is_env_name(name) {
            return (1 + name_len, format!("${{{name}}}"));
        }
        return (1, "$".to_owned());
    };
    let Some(end) = body.find('}') else {
        return (s.len(), s.to_owned());
    };
    let inner = &body[..end];
    let full = &s[..2 + end + 1];
    let len = full.len();
    let known = |v: Option<&str>, what: &str, notes: &mut Vec<String>| {
        v.map(|v| {
            notes.push(format!("{full} resolved to {v} ({what})"));
            v.to_owned()
        })
    };
    let base = |p: &str| {
        p.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(p)
            .to_owned()
    };
    let value = match inner {
        "userHome" => known(ctx.home, "the home folder", notes),
        "pathSeparator" | "/" => Some("/".to_owned()),
        "workspaceFolder" | "workspaceRoot" if ctx.session_scope => {
            notes.push(format!(
                "{full} became `.`: the server runs in the session's folder"
            ));
            Some(".".to_owned())
        }
        "workspaceFolder" | "workspaceRoot" => known(ctx.project, "the project folder", notes),
        "workspaceFolderBasename" if !ctx.session_scope => known(
            ctx.project.map(base).as_deref(),
            "the project folder's name",
            notes,
        ),
        _ => None,
    };
    if let Some(v) = value {
        return (len, v);
    }
    if let Some(name) = inner.strip_prefix("env:")
        && is_env_name(name)
    {
        return (len, format!("${{{name}}}"));
    }
    if let Some(id) = inner.strip_prefix("input:") {
        let why = "the agent asks the user for it when the server starts";
        return (len, need(full, id, why, needs));
    }
    let name = inner.split(":-").next().unwrap_or(inner);
    if is_env_name(name) && !matches!(name, "workspaceFolder" | "workspaceFolderBasename") {
        // ${NAME}, ${NAME:-default}: the daemon expands these from its environment.
        return (len, full.to_owned());
    }
    let why = match inner {
        "workspaceFolder" | "workspaceRoot" | "workspaceFolderBasename" => {
            "the agent uses the project it has open; this file belongs to no one project"
        }
        _ => "mcpd cannot know this variable of the agent",
    };
    (len, need(full, inner, why, needs))
}

/// Records a value the user must give and returns the `${VAR}` that stands for it.
fn need(written: &str, hint: &str, why: &'static str, needs: &mut Vec<Need>) -> String {
    let var = env_name_for(hint);
    needs.push(Need {
        written: written.to_owned(),
        var: var.clone(),
        why,
    });
    format!("${{{var}}}")
}

/// `perplexity-key` -> `PERPLEXITY_KEY`; `workspaceFolder` -> `WORKSPACE_FOLDER`.
pub fn env_name_for(hint: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in hint.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    let out = out.trim_matches('_').to_owned();
    match out.chars().next() {
        None => "VALUE".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("V_{out}"),
        Some(_) => out,
    }
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Context<'static> = Context {
        home: Some("/home/u"),
        project: Some("/home/u/api"),
        session_scope: false,
    };

    fn r(s: &str, f: Format, ctx: &Context<'_>) -> (String, Vec<String>) {
        let (v, needs, _) = resolve(s, f, ctx);
        (v, needs.into_iter().map(|n| n.var).collect())
    }

    #[test]
    fn editor_variables_are_resolved_like_the_editor() {
        let f = Format::VsCode;
        assert_eq!(
            r("${userHome}/.cursor/m.json", f, &CTX).0,
            "/home/u/.cursor/m.json"
        );
        assert_eq!(r("${workspaceFolder}/db", f, &CTX).0, "/home/u/api/db");
        assert_eq!(r("${workspaceFolderBasename}", f, &CTX).0, "api");
        assert_eq!(r("a${/}b${pathSeparator}c", f, &CTX).0, "a/b/c");
        assert_eq!(r("${env:GITHUB_TOKEN}", f, &CTX).0, "${GITHUB_TOKEN}");
        assert_eq!(r("${HOME}/x ${A:-b}", f, &CTX).0, "${HOME}/x ${A:-b}");
    }

    #[test]
    fn inputs_and_unknowns_become_variables_to_fill_in() {
        let (v, needs) = r("Bearer ${input:perplexity-key}", Format::VsCode, &CTX);
        assert_eq!(v, "Bearer ${PERPLEXITY_KEY}");
        assert_eq!(needs, ["PERPLEXITY_KEY"]);
        let global = Context {
            project: None,
            ..CTX
        };
        let (v, needs) = r("${workspaceFolder}/x", Format::McpServers, &global);
        assert_eq!((v.as_str(), needs.len()), ("${WORKSPACE_FOLDER}/x", 1));
        let (v, needs) = r("${command:pick}", Format::VsCode, &CTX);
        assert!(!v.contains("command:") && needs.len() == 1, "{v}");
        let (v, needs) = r("${{ secrets.API_KEY }}", Format::Continue, &CTX);
        assert_eq!((v.as_str(), needs.len()), ("${API_KEY}", 1));
    }

    #[test]
    fn session_scope_leaves_the_folder_to_the_session() {
        let s = Context {
            session_scope: true,
            ..CTX
        };
        assert_eq!(r("${workspaceFolder}", Format::VsCode, &s).0, ".");
    }

    #[test]
    fn agent_specific_syntaxes() {
        assert_eq!(r("{env:TOKEN}", Format::Opencode, &CTX).0, "${TOKEN}");
        let (v, needs) = r("{file:~/.secret}", Format::Opencode, &CTX);
        assert_eq!((v.as_str(), needs.len()), ("${FILE_CONTENT}", 1));
        assert_eq!(r("{env:TOKEN}", Format::VsCode, &CTX).0, "{env:TOKEN}");
        assert_eq!(
            r("$API_KEY and $5", Format::Gemini, &CTX).0,
            "${API_KEY} and $5"
        );
        assert_eq!(r("$API_KEY", Format::McpServers, &CTX).0, "$API_KEY");
        assert_eq!(
            r("cost $ ${unclosed", Format::VsCode, &CTX).0,
            "cost $ ${unclosed"
        );
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name_for("perplexity-key"), "PERPLEXITY_KEY");
        assert_eq!(env_name_for("workspaceFolder"), "WORKSPACE_FOLDER");
        assert_eq!(env_name_for("9lives"), "V_9LIVES");
        assert_eq!(env_name_for("--"), "VALUE");
    }
}
