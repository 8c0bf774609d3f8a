//! One imported server as a `[servers.NAME]` table: safe by default (`start = "on-connect"`, so an
//! import never launches anything by itself), its variables resolved as its agent would
//! ([`super::vars`]), its folder the project's unless it runs per session.

use toml_edit::{Array, InlineTable, Table, value};

use super::merge::{IMPORT_MARK, MergeOptions};
use super::vars::{self, Context, Need};
use super::{Found, Kind};
use crate::config::Scope;

/// A built table and what the user should know about it.
pub struct Built {
    /// The table, under its origin comment (and fill-in comments).
    pub table: Table,
    /// What was resolved, and how.
    pub notes: Vec<String>,
    /// What the user must fill in.
    pub fill_in: Vec<String>,
}

/// Builds the table for stdio server `f`, imported as `name`.
pub fn build(f: &Found, name: &str, opts: &MergeOptions) -> Built {
    let mut t = Table::new();
    let (mut notes, mut needs): (Vec<String>, Vec<Need>) = (Vec::new(), Vec::new());
    let origin: String = f
        .origin
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let Kind::Stdio {
        command,
        args,
        env,
        cwd,
    } = &f.kind
    else {
        t.decor_mut()
            .set_prefix(format!("\n{IMPORT_MARK}{origin}\n"));
        return Built {
            table: t,
            notes,
            fill_in: Vec::new(),
        };
    };
    let session = opts.scope == Some(Scope::Session);
    let ctx = Context {
        home: opts.home.as_deref(),
        project: f.project_dir.as_deref(),
        session_scope: session,
    };
    let mut res = |s: &str| {
        let (v, n, ns) = vars::resolve(s, f.format, &ctx);
        needs.extend(n);
        notes.extend(ns);
        v
    };
    if let Some(scope) = opts.scope {
        t.insert("scope", value(scope.as_str()));
    }
    t.insert("command", value(res(command)));
    if !args.is_empty() {
        t.insert(
            "args",
            value(args.iter().map(|a| res(a)).collect::<Array>()),
        );
    }
    if !env.is_empty() {
        let mut table = InlineTable::new();
        for (k, v) in env {
            table.insert(k, res(v).into());
        }
        t.insert("env", value(table));
    }
    match (cwd, &f.project_dir) {
        (Some(cwd), _) => {
            t.insert("cwd", value(res(cwd)));
        }
        (None, Some(dir)) if !session => {
            notes.push(format!(
                "cwd set to the project folder {dir}, where the agent ran it"
            ));
            t.insert("cwd", value(dir.as_str()));
        }
        (None, Some(_)) => notes.push("cwd left to the session (its start folder)".into()),
        (None, None) => {}
    }
    // Imported servers wait for their first `mcpd connect`: an import must not launch
    // (and download, and crash-loop) everything the agents ever listed.
    t.insert("start", value("on-connect"));
    needs.dedup_by(|a, b| a.var == b.var);
    let fill_in: Vec<String> = needs
        .iter()
        .map(|n| {
            format!(
                "set {} (in the daemon's environment, or write the value in place of ${{{}}}): \
                 it was {}, and {}",
                n.var, n.var, n.written, n.why
            )
        })
        .collect();
    let mut prefix = format!("\n{IMPORT_MARK}{origin}\n");
    for f in &fill_in {
        // A TOML comment holds no control characters (a value as written may: found by fuzzing).
        let f: String = f
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        prefix.push_str(&format!("# FILL IN: {name}: {f}\n"));
    }
    t.decor_mut().set_prefix(prefix);
    notes.dedup();
    Built {
        table: t,
        notes,
        fill_in,
    }
}
