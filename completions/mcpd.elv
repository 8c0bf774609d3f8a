
use builtin;
use str;

set edit:completion:arg-completer[mcpd] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mcpd'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mcpd'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Health report: MCP processes, their memory, detached sessions and orphans against thresholds'
            cand ps 'List every MCP-like process: pid, owner, memory, age, command; orphans marked'
            cand events 'The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with the reason, newest last'
            cand clean 'Stop orphaned MCP process trees and drop stale records'
            cand tm 'Attach to (or create) the tmux session for this project'
            cand tui 'The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s'
            cand daemon 'Run, start, stop or ask after the daemon (the supervisor of configured servers)'
            cand start 'Start a configured server (through the daemon, which is started if needed)'
            cand stop 'Stop a configured server (its whole process tree)'
            cand restart 'Restart a configured server (clears a crash-loop failure)'
            cand connect 'Stdio bridge to a daemon-held server: put this in an agent''s MCP config instead of the server'
            cand hook 'Manage mcpd''s tmux hooks (what tmux runs when a session closes or is renamed)'
            cand init 'Write a commented default config (every option, its default, what it does)'
            cand import 'Import stdio MCP servers from the configs agents already have into the mcpd config'
            cand link 'Point an agent''s stdio servers at `mcpd connect NAME`, so its sessions share them'
            cand unlink 'Restore the agent configs `mcpd link` changed, byte for byte, from their backups'
            cand config 'Check or locate the configuration'
            cand man 'Print mcpd''s man page, or install every page (mcpd.1, mcpd-status.1...) into a folder'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;status'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --json 'Print the report as one JSON object'
            cand --check 'Exit 0 when normal, 1 on a warning, 2 when critical, 3 when the state is unknown'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;ps'= {
            cand --session 'Only processes owned by this tmux session'
            cand --match 'Only processes whose command line contains TEXT'
            cand --explain 'Print the evidence behind one process''s classification: the program name that made it MCP-like, each ancestor and why it was passed over or decided, its stdio peers, its session'
            cand --dump 'Save what mcpd saw (processes with their tags, stdio peers, tmux sessions and panes, records) as JSON to FILE, for a bug report or a replay test'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --json 'Print a JSON list'
            cand --orphans 'Only orphans'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;events'= {
            cand -n 'How many of the newest events to show'
            cand --limit 'How many of the newest events to show'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --json 'Print a JSON list'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;clean'= {
            cand --older-than 'With --detached: only sessions idle at least this long (e.g. 30m, 2h, 1d)'
            cand --match 'Only stop orphan trees in which some command line contains TEXT (e.g. `playwright`)'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -n 'Print what would be stopped and dropped; signal nothing, change nothing'
            cand --dry-run 'Print what would be stopped and dropped; signal nothing, change nothing'
            cand --detached 'Also close detached tmux sessions (and stop what they own)'
            cand -y 'With --detached: do not ask for confirmation'
            cand --yes 'With --detached: do not ask for confirmation'
            cand --json 'Print the result as JSON'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;tm'= {
            cand -c 'Start directory for a new session (default: the current folder)'
            cand --dir 'Start directory for a new session (default: the current folder)'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -d 'Create or ensure the session, but do not attach'
            cand --detach 'Create or ensure the session, but do not attach'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;tui'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand run 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)'
            cand start 'Start in the background (logs to <state dir>/daemon.log); returns once it answers'
            cand stop 'Stop gracefully: every server''s stdin is closed, then its tree is stopped'
            cand restart 'Stop the daemon and start this mcpd''s (after an upgrade: the CLI says when versions differ)'
            cand reload 'Reread the config file and apply what changed, without a restart (also: SIGHUP)'
            cand status 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;daemon;run'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon;start'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon;stop'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon;restart'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon;reload'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --json 'Print what changed as JSON (`changed`, `updated`, `removed`, `added`, `unchanged`, `settings`, `actions`, `errors`)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon;status'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --json 'Print as JSON'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;daemon;help'= {
            cand run 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)'
            cand start 'Start in the background (logs to <state dir>/daemon.log); returns once it answers'
            cand stop 'Stop gracefully: every server''s stdin is closed, then its tree is stopped'
            cand restart 'Stop the daemon and start this mcpd''s (after an upgrade: the CLI says when versions differ)'
            cand reload 'Reread the config file and apply what changed, without a restart (also: SIGHUP)'
            cand status 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;daemon;help;run'= {
        }
        &'mcpd;daemon;help;start'= {
        }
        &'mcpd;daemon;help;stop'= {
        }
        &'mcpd;daemon;help;restart'= {
        }
        &'mcpd;daemon;help;reload'= {
        }
        &'mcpd;daemon;help;status'= {
        }
        &'mcpd;daemon;help;help'= {
        }
        &'mcpd;start'= {
            cand --session 'For `scope = "session"` servers: the tmux session'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;stop'= {
            cand --session 'For `scope = "session"` servers: the tmux session'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;restart'= {
            cand --session 'For `scope = "session"` servers: the tmux session'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;connect'= {
            cand --session 'For `scope = "session"` servers: the tmux session'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;hook'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand install 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)'
            cand uninstall 'Remove exactly the hooks `install` added'
            cand status 'Show whether the hooks are installed'
            cand session-closed 'What the session-closed hook runs: stop everything the session owned, then drop its records'
            cand session-renamed 'What the session-renamed hook runs: keep the session''s records under its new name'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;hook;install'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;hook;uninstall'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;hook;status'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;hook;session-closed'= {
            cand --id 'The closed session''s id (`$N`), to find processes tagged with it in their `TMUX` variable'
            cand --server-pid 'The pid of the tmux server the session lived on'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --foreground 'Do the work in this process instead of a detached one (tests, debugging)'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;hook;session-renamed'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;hook;help'= {
            cand install 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)'
            cand uninstall 'Remove exactly the hooks `install` added'
            cand status 'Show whether the hooks are installed'
            cand session-closed 'What the session-closed hook runs: stop everything the session owned, then drop its records'
            cand session-renamed 'What the session-renamed hook runs: keep the session''s records under its new name'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;hook;help;install'= {
        }
        &'mcpd;hook;help;uninstall'= {
        }
        &'mcpd;hook;help;status'= {
        }
        &'mcpd;hook;help;session-closed'= {
        }
        &'mcpd;hook;help;session-renamed'= {
        }
        &'mcpd;hook;help;help'= {
        }
        &'mcpd;init'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --force 'Overwrite an existing config file'
            cand --stdout 'Print it instead of writing it'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;import'= {
            cand --scope 'Write this scope into every imported server (default: leave it out, i.e. global). With `session`, servers run in each session''s folder: no `cwd` is written'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -n 'Print the TOML that would be added; change nothing'
            cand --dry-run 'Print the TOML that would be added; change nothing'
            cand --force 'Replace servers whose names are already in the config'
            cand --json 'Print the result as JSON'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;link'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -n 'Show the change (a diff); write nothing'
            cand --dry-run 'Show the change (a diff); write nothing'
            cand --project 'Also the current project''s files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...)'
            cand --force 'unlink: restore the backup whole, even over changes made since the link'
            cand --json 'Print the result as JSON'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;unlink'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -n 'Show the change (a diff); write nothing'
            cand --dry-run 'Show the change (a diff); write nothing'
            cand --project 'Also the current project''s files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...)'
            cand --force 'unlink: restore the backup whole, even over changes made since the link'
            cand --json 'Print the result as JSON'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;config'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Validate the config file: errors name the file, line and key'
            cand path 'Show the config file, state and runtime directories mcpd uses'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;config;check'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;config;path'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand --json 'Print as JSON'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;config;help'= {
            cand check 'Validate the config file: errors name the file, line and key'
            cand path 'Show the config file, state and runtime directories mcpd uses'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;config;help;check'= {
        }
        &'mcpd;config;help;path'= {
        }
        &'mcpd;config;help;help'= {
        }
        &'mcpd;man'= {
            cand --install 'Write every page into DIR (created if needed) instead of printing mcpd.1'
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;completions'= {
            cand --config 'Config file to read instead of the default (also: $MCPD_CONFIG)'
            cand --tmux-socket 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)'
            cand --color 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never'
            cand -v 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -q 'Only errors'
            cand --quiet 'Only errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mcpd;help'= {
            cand status 'Health report: MCP processes, their memory, detached sessions and orphans against thresholds'
            cand ps 'List every MCP-like process: pid, owner, memory, age, command; orphans marked'
            cand events 'The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with the reason, newest last'
            cand clean 'Stop orphaned MCP process trees and drop stale records'
            cand tm 'Attach to (or create) the tmux session for this project'
            cand tui 'The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s'
            cand daemon 'Run, start, stop or ask after the daemon (the supervisor of configured servers)'
            cand start 'Start a configured server (through the daemon, which is started if needed)'
            cand stop 'Stop a configured server (its whole process tree)'
            cand restart 'Restart a configured server (clears a crash-loop failure)'
            cand connect 'Stdio bridge to a daemon-held server: put this in an agent''s MCP config instead of the server'
            cand hook 'Manage mcpd''s tmux hooks (what tmux runs when a session closes or is renamed)'
            cand init 'Write a commented default config (every option, its default, what it does)'
            cand import 'Import stdio MCP servers from the configs agents already have into the mcpd config'
            cand link 'Point an agent''s stdio servers at `mcpd connect NAME`, so its sessions share them'
            cand unlink 'Restore the agent configs `mcpd link` changed, byte for byte, from their backups'
            cand config 'Check or locate the configuration'
            cand man 'Print mcpd''s man page, or install every page (mcpd.1, mcpd-status.1...) into a folder'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mcpd;help;status'= {
        }
        &'mcpd;help;ps'= {
        }
        &'mcpd;help;events'= {
        }
        &'mcpd;help;clean'= {
        }
        &'mcpd;help;tm'= {
        }
        &'mcpd;help;tui'= {
        }
        &'mcpd;help;daemon'= {
            cand run 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)'
            cand start 'Start in the background (logs to <state dir>/daemon.log); returns once it answers'
            cand stop 'Stop gracefully: every server''s stdin is closed, then its tree is stopped'
            cand restart 'Stop the daemon and start this mcpd''s (after an upgrade: the CLI says when versions differ)'
            cand reload 'Reread the config file and apply what changed, without a restart (also: SIGHUP)'
            cand status 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not'
        }
        &'mcpd;help;daemon;run'= {
        }
        &'mcpd;help;daemon;start'= {
        }
        &'mcpd;help;daemon;stop'= {
        }
        &'mcpd;help;daemon;restart'= {
        }
        &'mcpd;help;daemon;reload'= {
        }
        &'mcpd;help;daemon;status'= {
        }
        &'mcpd;help;start'= {
        }
        &'mcpd;help;stop'= {
        }
        &'mcpd;help;restart'= {
        }
        &'mcpd;help;connect'= {
        }
        &'mcpd;help;hook'= {
            cand install 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)'
            cand uninstall 'Remove exactly the hooks `install` added'
            cand status 'Show whether the hooks are installed'
            cand session-closed 'What the session-closed hook runs: stop everything the session owned, then drop its records'
            cand session-renamed 'What the session-renamed hook runs: keep the session''s records under its new name'
        }
        &'mcpd;help;hook;install'= {
        }
        &'mcpd;help;hook;uninstall'= {
        }
        &'mcpd;help;hook;status'= {
        }
        &'mcpd;help;hook;session-closed'= {
        }
        &'mcpd;help;hook;session-renamed'= {
        }
        &'mcpd;help;init'= {
        }
        &'mcpd;help;import'= {
        }
        &'mcpd;help;link'= {
        }
        &'mcpd;help;unlink'= {
        }
        &'mcpd;help;config'= {
            cand check 'Validate the config file: errors name the file, line and key'
            cand path 'Show the config file, state and runtime directories mcpd uses'
        }
        &'mcpd;help;config;check'= {
        }
        &'mcpd;help;config;path'= {
        }
        &'mcpd;help;man'= {
        }
        &'mcpd;help;completions'= {
        }
        &'mcpd;help;help'= {
        }
    ]
    $completions[$command]
}
