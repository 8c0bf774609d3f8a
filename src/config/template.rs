//! The commented default config that `mcpd init` writes.

use super::*;

/// The text of a config file with every option commented out at its default value, each with a
/// line saying what it does, and two commented example servers. Written by `mcpd init`.
///
/// As written it parses to exactly [`Config::default()`]; so does uncommenting every option
/// above the servers section (both are tested).
pub fn default_config_toml() -> String {
    DEFAULT_CONFIG_TEMPLATE
        .replace("{patterns}", &comment_list(DEFAULT_PATTERNS))
        .replace("{launchers}", &comment_list(DEFAULT_LAUNCHERS))
}

/// `"a", "b", ...` wrapped into `#   ` comment lines of at most 100 columns (the first line's
/// `#   ` is in the template).
pub(super) fn comment_list(items: &[&str]) -> String {
    let mut out = String::new();
    let mut width = 4;
    for (i, item) in items.iter().enumerate() {
        let word = format!("{item:?}{}", if i + 1 < items.len() { "," } else { "" });
        if i > 0 {
            if width + 1 + word.len() > 100 {
                out.push_str("\n#   ");
                width = 4;
            } else {
                out.push(' ');
                width += 1;
            }
        }
        width += word.len();
        out.push_str(&word);
    }
    out
}

/// Kept as literal text (not generated from `Default`) so that it reads like a hand-written
/// file; the tests check that its values are the defaults.
pub(super) const DEFAULT_CONFIG_TEMPLATE: &str = r#"# mcpd configuration.
#
# Every key is optional: each is shown commented out at its built-in default.
# Durations are strings like "500ms", "30s", "5m", "2h", "1d", "1h30m" (a bare number is seconds).
# Sizes are strings like "512KB", "300MB", "1.5GB", "2GiB" (a bare number is bytes).
# Check this file with `mcpd config check`.

# [daemon]
# How often the daemon reconciles with tmux, adopts new processes, sweeps orphans and samples
# memory (at least 1s).
# sweep_interval = "30s"
# How long a stopping process gets between SIGTERM and SIGKILL (at most 5m).
# stop_grace = "3s"
# Orphans younger than this are left alone: they may still be starting up.
# orphan_min_age = "60s"
# How much memory history is kept to spot servers that leak.
# history_window = "24h"
# Log files are rotated when they grow past this size.
# log_max_size = "1MB"
# Whether every sweep stops orphaned MCP processes (false: only `mcpd clean` does).
# sweep_orphans = true
# Output queued for one `mcpd connect` client at most; past it the client is disconnected.
# client_buffer = "16MB"
# A client that leaves its output unread this long is disconnected (others never wait on it).
# slow_client_timeout = "30s"

# [thresholds]
# Health levels for `mcpd status`: a value >= warn is a warning, >= crit is critical
# (warn must be below crit).
# Number of MCP-like processes (servers, their launchers and their children).
# processes = { warn = 10, crit = 21 }
# Total resident memory (RSS) of those processes.
# rss = { warn = "300MB", crit = "1GB" }
# tmux sessions with no client attached.
# detached_sessions = { warn = 3, crit = 6 }
# MCP-like processes whose owner is gone.
# orphans = { warn = 1, crit = 4 }

# [match]
# Patterns of program names that make a process MCP-like. Only the program counts (its executable,
# the script or module an interpreter runs, the package a launcher runs), never other arguments:
# `vim mcp-server-notes.md` is not MCP-like. `*` is a wildcard over the whole name; a plain word
# matches any name containing it; several words match the executable and its first arguments.
# Added to the built-in list:
#   {patterns}
# patterns = []
# Drop the built-in patterns and use only `patterns`.
# replace = false
# Programs never treated as MCP-like, even when a pattern matches them.
# exclude = []
# Extra launcher programs (optionally with a sub-command, "rye run"), passed over when looking for
# the process that really owns a server. Built in, by shape:
#   {launchers}
# launchers = []

# [sessions]
# What closing a tmux session stops: "mcp" (the MCP processes it owned) or "all" (every process
# started in it).
# on_close = "mcp"
# Detached sessions idle for longer than this may be closed. Not set by default (never), e.g.:
#   detached_ttl = "12h"

# ----------------------------------------------------------------------------------------------
# Servers. Each [servers.NAME] table is an MCP server that mcpd runs. NAME (1 to 64 letters,
# digits, '_', '.' or '-') is what `mcpd start NAME` and `mcpd connect NAME` use. Only `command`
# is required. Two examples:
#
# A global server: one process, shared by every tmux session.
# [servers.filesystem]
# scope = "global"              # "global" (one, shared) or "session" (one per tmux session)
# command = "npx"               # the program, looked up in PATH
# args = ["-y", "@modelcontextprotocol/server-filesystem", "~/Projects"]
# env = { LOG_LEVEL = "warn" }  # extra environment variables
# cwd = "~"                     # working directory (session servers: the session's directory)
# start = "eager"               # "eager" (with the daemon/session) or "on-connect" (first connect)
# restart = "on-failure"        # "always", "on-failure" or "never"; backoff, stops on a crash loop
# max_rss = "500MB"             # tree memory limit; over it twice: restart (global), stop (session)
# idle_timeout = "10m"          # no client for this long: stop (started again on the next connect)
# share = "auto"                # "auto": clients with equal contracts share a process; "always",
#                               #   "session" (one per tmux session), "never" (one per connection)
# max_instances = 4             # processes of this server at most (contracts, sessions)
# max_message = "64MB"          # largest JSON-RPC message relayed; larger gets a JSON-RPC error
#
# A per-session server: one process per tmux session, stopped when the session closes.
# [servers.serena]
# scope = "session"
# command = "uvx"
# args = ["--from", "git+https://github.com/oraios/serena", "serena", "start-mcp-server"]
# start = "on-connect"
# restart = "never"
"#;
