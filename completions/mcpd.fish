# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mcpd_global_optspecs
    string join \n config= tmux-socket= v/verbose q/quiet color= h/help V/version
end

function __fish_mcpd_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mcpd_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mcpd_using_subcommand
    set -l cmd (__fish_mcpd_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mcpd -n "__fish_mcpd_needs_command" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_needs_command" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_needs_command" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_needs_command" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_needs_command" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_needs_command" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "status" -d 'Health report: MCP processes, their memory, detached sessions and orphans against thresholds'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "ps" -d 'List every MCP-like process: pid, owner, memory, age, command; orphans marked'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "events" -d 'The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with the reason, newest last'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "clean" -d 'Stop orphaned MCP process trees and drop stale records'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "tm" -d 'Attach to (or create) the tmux session for this project'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "tui" -d 'The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "daemon" -d 'Run, start, stop or ask after the daemon (the supervisor of configured servers)'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "start" -d 'Start a configured server (through the daemon, which is started if needed)'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "stop" -d 'Stop a configured server (its whole process tree)'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "restart" -d 'Restart a configured server (clears a crash-loop failure)'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "connect" -d 'Stdio bridge to a daemon-held server: put this in an agent\'s MCP config instead of the server'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "hook" -d 'Manage mcpd\'s tmux hooks (what tmux runs when a session closes or is renamed)'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "init" -d 'Write a commented default config (every option, its default, what it does)'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "import" -d 'Import stdio MCP servers from the configs agents already have into the mcpd config'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "link" -d 'Point an agent\'s stdio servers at `mcpd connect NAME`, so its sessions share them'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "unlink" -d 'Restore the agent configs `mcpd link` changed, byte for byte, from their backups'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "config" -d 'Check or locate the configuration'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "man" -d 'Print mcpd\'s man page, or install every page (mcpd.1, mcpd-status.1...) into a folder'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mcpd -n "__fish_mcpd_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -l json -d 'Print the report as one JSON object'
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -l check -d 'Exit 0 when normal, 1 on a warning, 2 when critical, 3 when the state is unknown'
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand status" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l session -d 'Only processes owned by this tmux session' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l match -d 'Only processes whose command line contains TEXT' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l explain -d 'Print the evidence behind one process\'s classification: the program name that made it MCP-like, each ancestor and why it was passed over or decided, its stdio peers, its session' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l dump -d 'Save what mcpd saw (processes with their tags, stdio peers, tmux sessions and panes, records) as JSON to FILE, for a bug report or a replay test' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l json -d 'Print a JSON list'
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -l orphans -d 'Only orphans'
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand ps" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -s n -l limit -d 'How many of the newest events to show' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -l json -d 'Print a JSON list'
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand events" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l older-than -d 'With --detached: only sessions idle at least this long (e.g. 30m, 2h, 1d)' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l match -d 'Only stop orphan trees in which some command line contains TEXT (e.g. `playwright`)' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -s n -l dry-run -d 'Print what would be stopped and dropped; signal nothing, change nothing'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l detached -d 'Also close detached tmux sessions (and stop what they own)'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -s y -l yes -d 'With --detached: do not ask for confirmation'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -l json -d 'Print the result as JSON'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand clean" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -s c -l dir -d 'Start directory for a new session (default: the current folder)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -s d -l detach -d 'Create or ensure the session, but do not attach'
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand tm" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand tui" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "run" -d 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "start" -d 'Start in the background (logs to <state dir>/daemon.log); returns once it answers'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "stop" -d 'Stop gracefully: every server\'s stdin is closed, then its tree is stopped'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "restart" -d 'Stop the daemon and start this mcpd\'s (after an upgrade: the CLI says when versions differ)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "reload" -d 'Reread the config file and apply what changed, without a restart (also: SIGHUP)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "status" -d 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and not __fish_seen_subcommand_from run start stop restart reload status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from start" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from restart" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -l json -d 'Print what changed as JSON (`changed`, `updated`, `removed`, `added`, `unchanged`, `settings`, `actions`, `errors`)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from reload" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -l json -d 'Print as JSON'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start in the background (logs to <state dir>/daemon.log); returns once it answers'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop gracefully: every server\'s stdin is closed, then its tree is stopped'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "restart" -d 'Stop the daemon and start this mcpd\'s (after an upgrade: the CLI says when versions differ)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "reload" -d 'Reread the config file and apply what changed, without a restart (also: SIGHUP)'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "status" -d 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not'
complete -c mcpd -n "__fish_mcpd_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -l session -d 'For `scope = "session"` servers: the tmux session' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand start" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -l session -d 'For `scope = "session"` servers: the tmux session' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand stop" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -l session -d 'For `scope = "session"` servers: the tmux session' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand restart" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -l session -d 'For `scope = "session"` servers: the tmux session' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand connect" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -f -a "install" -d 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -f -a "uninstall" -d 'Remove exactly the hooks `install` added'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -f -a "status" -d 'Show whether the hooks are installed'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -f -a "session-closed" -d 'What the session-closed hook runs: stop everything the session owned, then drop its records'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -f -a "session-renamed" -d 'What the session-renamed hook runs: keep the session\'s records under its new name'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall status session-closed session-renamed help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -l id -d 'The closed session\'s id (`$N`), to find processes tagged with it in their `TMUX` variable' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -l server-pid -d 'The pid of the tmux server the session lived on' -r
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -l foreground -d 'Do the work in this process instead of a detached one (tests, debugging)'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-closed" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from session-renamed" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove exactly the hooks `install` added'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show whether the hooks are installed'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "session-closed" -d 'What the session-closed hook runs: stop everything the session owned, then drop its records'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "session-renamed" -d 'What the session-renamed hook runs: keep the session\'s records under its new name'
complete -c mcpd -n "__fish_mcpd_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -l force -d 'Overwrite an existing config file'
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -l stdout -d 'Print it instead of writing it'
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand init" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -l scope -d 'Write this scope into every imported server (default: leave it out, i.e. global). With `session`, servers run in each session\'s folder: no `cwd` is written' -r -f -a "global\t''
session\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -s n -l dry-run -d 'Print the TOML that would be added; change nothing'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -l force -d 'Replace servers whose names are already in the config'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -l json -d 'Print the result as JSON'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand import" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -s n -l dry-run -d 'Show the change (a diff); write nothing'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -l project -d 'Also the current project\'s files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...)'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -l force -d 'unlink: restore the backup whole, even over changes made since the link'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -l json -d 'Print the result as JSON'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand link" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -s n -l dry-run -d 'Show the change (a diff); write nothing'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -l project -d 'Also the current project\'s files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...)'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -l force -d 'unlink: restore the backup whole, even over changes made since the link'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -l json -d 'Print the result as JSON'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcpd -n "__fish_mcpd_using_subcommand unlink" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -f -a "check" -d 'Validate the config file: errors name the file, line and key'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -f -a "path" -d 'Show the config file, state and runtime directories mcpd uses'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and not __fish_seen_subcommand_from check path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -l json -d 'Print as JSON'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate the config file: errors name the file, line and key'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Show the config file, state and runtime directories mcpd uses'
complete -c mcpd -n "__fish_mcpd_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -l install -d 'Write every page into DIR (created if needed) instead of printing mcpd.1' -r -f -a "(__fish_complete_directories)"
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand man" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -l config -d 'Config file to read instead of the default (also: $MCPD_CONFIG)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -l tmux-socket -d 'The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in $TMUX inside tmux, else tmux\'s default)' -r -F
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -l color -d 'Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -s v -l verbose -d 'More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -s q -l quiet -d 'Only errors'
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mcpd -n "__fish_mcpd_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "status" -d 'Health report: MCP processes, their memory, detached sessions and orphans against thresholds'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "ps" -d 'List every MCP-like process: pid, owner, memory, age, command; orphans marked'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "events" -d 'The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with the reason, newest last'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "clean" -d 'Stop orphaned MCP process trees and drop stale records'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "tm" -d 'Attach to (or create) the tmux session for this project'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "tui" -d 'The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "daemon" -d 'Run, start, stop or ask after the daemon (the supervisor of configured servers)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "start" -d 'Start a configured server (through the daemon, which is started if needed)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "stop" -d 'Stop a configured server (its whole process tree)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "restart" -d 'Restart a configured server (clears a crash-loop failure)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "connect" -d 'Stdio bridge to a daemon-held server: put this in an agent\'s MCP config instead of the server'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "hook" -d 'Manage mcpd\'s tmux hooks (what tmux runs when a session closes or is renamed)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "init" -d 'Write a commented default config (every option, its default, what it does)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "import" -d 'Import stdio MCP servers from the configs agents already have into the mcpd config'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "link" -d 'Point an agent\'s stdio servers at `mcpd connect NAME`, so its sessions share them'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "unlink" -d 'Restore the agent configs `mcpd link` changed, byte for byte, from their backups'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "config" -d 'Check or locate the configuration'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "man" -d 'Print mcpd\'s man page, or install every page (mcpd.1, mcpd-status.1...) into a folder'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and not __fish_seen_subcommand_from status ps events clean tm tui daemon start stop restart connect hook init import link unlink config man completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "run" -d 'Run in the foreground, logging to stderr (for systemd, launchd, or a terminal)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "start" -d 'Start in the background (logs to <state dir>/daemon.log); returns once it answers'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "stop" -d 'Stop gracefully: every server\'s stdin is closed, then its tree is stopped'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "restart" -d 'Stop the daemon and start this mcpd\'s (after an upgrade: the CLI says when versions differ)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "reload" -d 'Reread the config file and apply what changed, without a restart (also: SIGHUP)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "status" -d 'Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Install the global session-closed and session-renamed hooks on the tmux server (idempotent; your own hooks are kept)'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Remove exactly the hooks `install` added'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "status" -d 'Show whether the hooks are installed'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "session-closed" -d 'What the session-closed hook runs: stop everything the session owned, then drop its records'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "session-renamed" -d 'What the session-renamed hook runs: keep the session\'s records under its new name'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate the config file: errors name the file, line and key'
complete -c mcpd -n "__fish_mcpd_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Show the config file, state and runtime directories mcpd uses'
