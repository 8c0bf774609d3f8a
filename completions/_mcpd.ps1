
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mcpd' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mcpd'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mcpd' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Health report: MCP processes, their memory, detached sessions and orphans against thresholds')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List every MCP-like process: pid, owner, memory, age, command; orphans marked')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with the reason, newest last')
            [CompletionResult]::new('clean', 'clean', [CompletionResultType]::ParameterValue, 'Stop orphaned MCP process trees and drop stale records')
            [CompletionResult]::new('tm', 'tm', [CompletionResultType]::ParameterValue, 'Attach to (or create) the tmux session for this project')
            [CompletionResult]::new('tui', 'tui', [CompletionResultType]::ParameterValue, 'The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Run, start, stop or ask after the daemon (the supervisor of configured servers)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a configured server (through the daemon, which is started if needed)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop a configured server (its whole process tree)')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart a configured server (clears a crash-loop failure)')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Stdio bridge to a daemon-held server: put this in an agent''s MCP config instead of the server')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Manage mcpd''s tmux hooks (what tmux runs when a session closes or is renamed)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented default config (every option, its default, what it does)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import stdio MCP servers from the configs agents already have into the mcpd config')
            [CompletionResult]::new('link', 'link', [CompletionResultType]::ParameterValue, 'Point an agent''s stdio servers at `mcpd connect NAME`, so its sessions share them')
            [CompletionResult]::new('unlink', 'unlink', [CompletionResultType]::ParameterValue, 'Restore the agent configs `mcpd link` changed, byte for byte, from their backups')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Check or locate the configuration')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print mcpd''s man page, or install every page (mcpd.1, mcpd-status.1...) into a folder')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as one JSON object')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Exit 0 when normal, 1 on a warning, 2 when critical, 3 when the state is unknown')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;ps' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'Only processes owned by this tmux session')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only processes whose command line contains TEXT')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print the evidence behind one process''s classification: the program name that made it MCP-like, each ancestor and why it was passed over or decided, its stdio peers, its session')
            [CompletionResult]::new('--dump', '--dump', [CompletionResultType]::ParameterName, 'Save what mcpd saw (processes with their tags, stdio peers, tmux sessions and panes, records) as JSON to FILE, for a bug report or a replay test')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON list')
            [CompletionResult]::new('--orphans', '--orphans', [CompletionResultType]::ParameterName, 'Only orphans')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;events' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many of the newest events to show')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many of the newest events to show')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON list')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;clean' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'With --detached: only sessions idle at least this long (e.g. 30m, 2h, 1d)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Only stop orphan trees in which some command line contains TEXT (e.g. `playwright`)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print what would be stopped and dropped; signal nothing, change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be stopped and dropped; signal nothing, change nothing')
            [CompletionResult]::new('--detached', '--detached', [CompletionResultType]::ParameterName, 'Also close detached tmux sessions (and stop what they own)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'With --detached: do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --detached: do not ask for confirmation')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;tm' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Start directory for a new session (default: the current folder)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Start directory for a new session (default: the current folder)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Create or ensure the session, but do not attach')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Create or ensure the session, but do not attach')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;tui' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start in the background (logs to <state dir>/daemon.log); returns once it answers')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop gracefully: every server''s stdin is closed, then its tree is stopped')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Stop the daemon and start this mcpd''s (after an upgrade: the CLI says when versions differ)')
            [CompletionResult]::new('reload', 'reload', [CompletionResultType]::ParameterValue, 'Reread the config file and apply what changed, without a restart (also: SIGHUP)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;daemon;run' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon;start' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon;stop' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon;restart' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon;reload' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print what changed as JSON (`changed`, `updated`, `removed`, `added`, `unchanged`, `settings`, `actions`, `errors`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;daemon;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start in the background (logs to <state dir>/daemon.log); returns once it answers')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop gracefully: every server''s stdin is closed, then its tree is stopped')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Stop the daemon and start this mcpd''s (after an upgrade: the CLI says when versions differ)')
            [CompletionResult]::new('reload', 'reload', [CompletionResultType]::ParameterValue, 'Reread the config file and apply what changed, without a restart (also: SIGHUP)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;daemon;help;run' {
            break
        }
        'mcpd;daemon;help;start' {
            break
        }
        'mcpd;daemon;help;stop' {
            break
        }
        'mcpd;daemon;help;restart' {
            break
        }
        'mcpd;daemon;help;reload' {
            break
        }
        'mcpd;daemon;help;status' {
            break
        }
        'mcpd;daemon;help;help' {
            break
        }
        'mcpd;start' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'For `scope = "session"` servers: the tmux session')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;stop' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'For `scope = "session"` servers: the tmux session')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;restart' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'For `scope = "session"` servers: the tmux session')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;connect' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'For `scope = "session"` servers: the tmux session')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;hook' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove exactly the hooks `install` added')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether the hooks are installed')
            [CompletionResult]::new('session-closed', 'session-closed', [CompletionResultType]::ParameterValue, 'What the session-closed hook runs: stop everything the session owned, then drop its records')
            [CompletionResult]::new('session-renamed', 'session-renamed', [CompletionResultType]::ParameterValue, 'What the session-renamed hook runs: keep the session''s records under its new name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;hook;install' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;hook;uninstall' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;hook;status' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;hook;session-closed' {
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'The closed session''s id (`$N`), to find processes tagged with it in their `TMUX` variable')
            [CompletionResult]::new('--server-pid', '--server-pid', [CompletionResultType]::ParameterName, 'The pid of the tmux server the session lived on')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--foreground', '--foreground', [CompletionResultType]::ParameterName, 'Do the work in this process instead of a detached one (tests, debugging)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;hook;session-renamed' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;hook;help' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove exactly the hooks `install` added')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether the hooks are installed')
            [CompletionResult]::new('session-closed', 'session-closed', [CompletionResultType]::ParameterValue, 'What the session-closed hook runs: stop everything the session owned, then drop its records')
            [CompletionResult]::new('session-renamed', 'session-renamed', [CompletionResultType]::ParameterValue, 'What the session-renamed hook runs: keep the session''s records under its new name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;hook;help;install' {
            break
        }
        'mcpd;hook;help;uninstall' {
            break
        }
        'mcpd;hook;help;status' {
            break
        }
        'mcpd;hook;help;session-closed' {
            break
        }
        'mcpd;hook;help;session-renamed' {
            break
        }
        'mcpd;hook;help;help' {
            break
        }
        'mcpd;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing config file')
            [CompletionResult]::new('--stdout', '--stdout', [CompletionResultType]::ParameterName, 'Print it instead of writing it')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;import' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Write this scope into every imported server (default: leave it out, i.e. global). With `session`, servers run in each session''s folder: no `cwd` is written')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Print the TOML that would be added; change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the TOML that would be added; change nothing')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace servers whose names are already in the config')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;link' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show the change (a diff); write nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the change (a diff); write nothing')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Also the current project''s files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'unlink: restore the backup whole, even over changes made since the link')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;unlink' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show the change (a diff); write nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the change (a diff); write nothing')
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'Also the current project''s files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'unlink: restore the backup whole, even over changes made since the link')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;config' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the config file: errors name the file, line and key')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Show the config file, state and runtime directories mcpd uses')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;config;check' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;config;path' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;config;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the config file: errors name the file, line and key')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Show the config file, state and runtime directories mcpd uses')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;config;help;check' {
            break
        }
        'mcpd;config;help;path' {
            break
        }
        'mcpd;config;help;help' {
            break
        }
        'mcpd;man' {
            [CompletionResult]::new('--install', '--install', [CompletionResultType]::ParameterName, 'Write every page into DIR (created if needed) instead of printing mcpd.1')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file to read instead of the default (also: $MCPD_CONFIG)')
            [CompletionResult]::new('--tmux-socket', '--tmux-socket', [CompletionResultType]::ParameterName, 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux''s default)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mcpd;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Health report: MCP processes, their memory, detached sessions and orphans against thresholds')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List every MCP-like process: pid, owner, memory, age, command; orphans marked')
            [CompletionResult]::new('events', 'events', [CompletionResultType]::ParameterValue, 'The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with the reason, newest last')
            [CompletionResult]::new('clean', 'clean', [CompletionResultType]::ParameterValue, 'Stop orphaned MCP process trees and drop stale records')
            [CompletionResult]::new('tm', 'tm', [CompletionResultType]::ParameterValue, 'Attach to (or create) the tmux session for this project')
            [CompletionResult]::new('tui', 'tui', [CompletionResultType]::ParameterValue, 'The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s')
            [CompletionResult]::new('daemon', 'daemon', [CompletionResultType]::ParameterValue, 'Run, start, stop or ask after the daemon (the supervisor of configured servers)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a configured server (through the daemon, which is started if needed)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop a configured server (its whole process tree)')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Restart a configured server (clears a crash-loop failure)')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Stdio bridge to a daemon-held server: put this in an agent''s MCP config instead of the server')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Manage mcpd''s tmux hooks (what tmux runs when a session closes or is renamed)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented default config (every option, its default, what it does)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import stdio MCP servers from the configs agents already have into the mcpd config')
            [CompletionResult]::new('link', 'link', [CompletionResultType]::ParameterValue, 'Point an agent''s stdio servers at `mcpd connect NAME`, so its sessions share them')
            [CompletionResult]::new('unlink', 'unlink', [CompletionResultType]::ParameterValue, 'Restore the agent configs `mcpd link` changed, byte for byte, from their backups')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Check or locate the configuration')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print mcpd''s man page, or install every page (mcpd.1, mcpd-status.1...) into a folder')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mcpd;help;status' {
            break
        }
        'mcpd;help;ps' {
            break
        }
        'mcpd;help;events' {
            break
        }
        'mcpd;help;clean' {
            break
        }
        'mcpd;help;tm' {
            break
        }
        'mcpd;help;tui' {
            break
        }
        'mcpd;help;daemon' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start in the background (logs to <state dir>/daemon.log); returns once it answers')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop gracefully: every server''s stdin is closed, then its tree is stopped')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Stop the daemon and start this mcpd''s (after an upgrade: the CLI says when versions differ)')
            [CompletionResult]::new('reload', 'reload', [CompletionResultType]::ParameterValue, 'Reread the config file and apply what changed, without a restart (also: SIGHUP)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not')
            break
        }
        'mcpd;help;daemon;run' {
            break
        }
        'mcpd;help;daemon;start' {
            break
        }
        'mcpd;help;daemon;stop' {
            break
        }
        'mcpd;help;daemon;restart' {
            break
        }
        'mcpd;help;daemon;reload' {
            break
        }
        'mcpd;help;daemon;status' {
            break
        }
        'mcpd;help;start' {
            break
        }
        'mcpd;help;stop' {
            break
        }
        'mcpd;help;restart' {
            break
        }
        'mcpd;help;connect' {
            break
        }
        'mcpd;help;hook' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove exactly the hooks `install` added')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether the hooks are installed')
            [CompletionResult]::new('session-closed', 'session-closed', [CompletionResultType]::ParameterValue, 'What the session-closed hook runs: stop everything the session owned, then drop its records')
            [CompletionResult]::new('session-renamed', 'session-renamed', [CompletionResultType]::ParameterValue, 'What the session-renamed hook runs: keep the session''s records under its new name')
            break
        }
        'mcpd;help;hook;install' {
            break
        }
        'mcpd;help;hook;uninstall' {
            break
        }
        'mcpd;help;hook;status' {
            break
        }
        'mcpd;help;hook;session-closed' {
            break
        }
        'mcpd;help;hook;session-renamed' {
            break
        }
        'mcpd;help;init' {
            break
        }
        'mcpd;help;import' {
            break
        }
        'mcpd;help;link' {
            break
        }
        'mcpd;help;unlink' {
            break
        }
        'mcpd;help;config' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the config file: errors name the file, line and key')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Show the config file, state and runtime directories mcpd uses')
            break
        }
        'mcpd;help;config;check' {
            break
        }
        'mcpd;help;config;path' {
            break
        }
        'mcpd;help;man' {
            break
        }
        'mcpd;help;completions' {
            break
        }
        'mcpd;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
