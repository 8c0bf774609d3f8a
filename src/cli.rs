//! The command line, as clap definitions only. `completions/` and `man/` are generated from
//! [`command`], and a test fails when the committed files are stale.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// mcpd: a tmux-aware supervisor for MCP servers and the processes AI coding agents leave behind.
///
/// Agents start MCP servers through launchers (npm exec -> sh -> node); when a session ends, only the
/// top process dies and the server lives on. mcpd records what it starts and what agents start in your
/// tmux sessions, stops a session's processes when it closes, finds orphans by parent lineage, and
/// reports process counts and memory against thresholds.
///
/// Run with no command: the dashboard on a terminal, otherwise `mcpd status`.
#[derive(Debug, Parser)]
#[command(name = "mcpd", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Files: config ($MCPD_CONFIG or ~/.config/mcpd/config.toml), state ($MCPD_STATE_DIR), \
runtime ($MCPD_RUNTIME_DIR). `mcpd config path` shows them.\n\
Exit codes: 0 ok; 1 error (or `status --check` warning); 2 usage error (or `--check` critical); 3 `--check` unknown."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Config file to read instead of the default (also: $MCPD_CONFIG).
    // The environment is read after parsing ([`GlobalArgs::fill_from_env`]): with clap's `env`,
    // a set variable shows the option in every usage line as if it were required.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The tmux server to talk to, like `tmux -S` (also: $MCPD_TMUX_SOCKET; default: the one in
    /// $TMUX inside tmux, else tmux's default).
    #[arg(long, global = true, value_name = "PATH")]
    pub tmux_socket: Option<PathBuf>,
    /// The config path came from `MCPD_CONFIG`, not `--config`.
    #[arg(skip)]
    pub config_from_env: bool,
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour output: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

impl GlobalArgs {
    /// Options not given on the command line come from `MCPD_CONFIG` and `MCPD_TMUX_SOCKET`.
    pub fn fill_from_env(&mut self) {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if self.config.is_none() {
            self.config = var("MCPD_CONFIG");
            self.config_from_env = self.config.is_some();
        }
        self.tmux_socket = self.tmux_socket.take().or_else(|| var("MCPD_TMUX_SOCKET"));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Health report: MCP processes, their memory, detached sessions and orphans against thresholds.
    ///
    /// Each metric is shown with its level (ok, WARNING, CRITICAL) and thresholds (set them under
    /// [thresholds] in the config), followed by sessions, servers and recommendations.
    #[command(
        after_help = "Examples:\n  mcpd status\n  mcpd status --json | jq .orphans\n  mcpd status --check || notify-send \"mcpd: $(mcpd status | head -1)\""
    )]
    Status(StatusArgs),
    /// List every MCP-like process: pid, owner, memory, age, command; orphans marked.
    ///
    /// Processes are shown as trees (npm exec -> sh -> node). OWNER is `global:NAME` (a shared server),
    /// `session:NAME` (a tmux session) or `-` (nobody mcpd knows of).
    #[command(
        after_help = "Examples:\n  mcpd ps\n  mcpd ps --orphans\n  mcpd ps --session my_project --json"
    )]
    Ps(PsArgs),
    /// The journal of every process mcpd stopped on its own (sweeps, clean, session closes), with
    /// the reason, newest last.
    #[command(
        after_help = "Examples:\n  mcpd events\n  mcpd events -n 10 --json | jq '.[].reason'"
    )]
    Events(EventsArgs),
    /// Stop orphaned MCP process trees and drop stale records.
    ///
    /// An orphan is an MCP-like process whose launcher chain ends at PID 1 or a user service manager,
    /// or that belongs to a tmux session that no longer exists. Each tree gets SIGTERM, then SIGKILL
    /// after `stop_grace`; a process is only signalled if its pid still has the recorded start time.
    #[command(
        after_help = "Examples:\n  mcpd clean --dry-run\n  mcpd clean\n  mcpd clean --detached --older-than 2d --yes"
    )]
    Clean(CleanArgs),
    /// Attach to (or create) the tmux session for this project.
    ///
    /// The name defaults to the current folder's name with `.`, `:` and spaces turned into `_`. Inside
    /// tmux it switches the client instead of nesting. Creating a session installs mcpd's hooks.
    #[command(
        after_help = "Examples:\n  mcpd tm\n  mcpd tm api -c ~/src/api\n  mcpd tm -d    # create or ensure, do not attach"
    )]
    Tm(TmArgs),
    /// The dashboard: health gauges, sessions, servers and the process tree, refreshed every 2 s.
    ///
    /// Keys: q quit, ? help, Tab panel, s sort, / filter, K stop a tree, c clean, Enter attach.
    #[command(
        after_help = "Examples:\n  mcpd tui\n  mcpd          # the same, on a terminal\n  mcpd tui --color never"
    )]
    Tui,
    /// Run, start, stop or ask after the daemon (the supervisor of configured servers).
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpd daemon start\n  mcpd daemon status --json\n  mcpd daemon stop"
    )]
    Daemon(DaemonCommand),
    /// Start a configured server (through the daemon, which is started if needed).
    #[command(
        after_help = "Examples:\n  mcpd start filesystem\n  mcpd start serena --session my_project"
    )]
    Start(ServerArgs),
    /// Stop a configured server (its whole process tree).
    #[command(
        after_help = "Examples:\n  mcpd stop filesystem\n  mcpd stop serena --session my_project"
    )]
    Stop(ServerArgs),
    /// Restart a configured server (clears a crash-loop failure).
    #[command(
        after_help = "Examples:\n  mcpd restart filesystem\n  mcpd restart serena --session my_project"
    )]
    Restart(ServerArgs),
    /// Stdio bridge to a daemon-held server: put this in an agent's MCP config instead of the server.
    ///
    /// Every agent that connects shares one server process: the daemon answers `initialize` from
    /// cache and rewrites request ids, so N sessions cost one server, not N. For `scope = "session"`
    /// servers the session comes from --session or the bridge's own tmux pane.
    #[command(
        after_help = "Examples (an agent's MCP config):\n  {\"mcpServers\": {\"filesystem\": {\"command\": \"mcpd\", \"args\": [\"connect\", \"filesystem\"]}}}\n  codex: [mcp_servers.filesystem] command = \"mcpd\" args = [\"connect\", \"filesystem\"]"
    )]
    Connect(ServerArgs),
    /// Manage mcpd's tmux hooks (what tmux runs when a session closes or is renamed).
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpd hook install\n  mcpd hook status\n  mcpd hook uninstall"
    )]
    Hook(HookCommand),
    /// Write a commented default config (every option, its default, what it does).
    #[command(
        after_help = "Examples:\n  mcpd init\n  mcpd init --force   # overwrite an existing config\n  mcpd init --stdout > my-config.toml"
    )]
    Init {
        /// Overwrite an existing config file.
        #[arg(long)]
        force: bool,
        /// Print it instead of writing it.
        #[arg(long)]
        stdout: bool,
    },
    /// Import stdio MCP servers from the configs agents already have into the mcpd config.
    ///
    /// SOURCE is a file (its format is detected from the content) or one of claude, claude-desktop,
    /// cursor, vscode, codex, gemini, opencode, zed, windsurf, cline, roo, kiro, amp, goose,
    /// continue, copilot; without it (or `all`), every one found. Imported servers get
    /// `start = "on-connect"`: nothing starts until an agent connects. Each agent's variables are
    /// resolved as it would (`${userHome}`, `${workspaceFolder}`, `${env:X}`); values only you
    /// know (`${input:ID}`, secrets) become `${NAME}` with a FILL IN comment. The config's comments
    /// and layout are kept. Remote (http, sse) servers are listed, not imported; names already in
    /// the config are reported, not replaced, unless --force. Then `mcpd link` moves the agents
    /// onto the shared servers.
    #[command(
        after_help = "Examples:\n  mcpd import --dry-run\n  mcpd import claude\n  mcpd import .vscode/mcp.json --scope session\n  mcpd import codex --force --json"
    )]
    Import(ImportArgs),
    /// Point an agent's stdio servers at `mcpd connect NAME`, so its sessions share them.
    ///
    /// Rewrites only each server's command and arguments in the agent's config (formatting,
    /// comments and other settings kept), for servers in mcpd's config (`mcpd import` first).
    /// The original is kept beside it as FILE.mcpd-backup; `mcpd unlink` restores it. Project
    /// files (.mcp.json, .vscode/mcp.json...) are often shared with a team: only with --project.
    #[command(
        after_help = "Examples:\n  mcpd import && mcpd link all --dry-run\n  mcpd link claude\n  mcpd link cursor --project --json\n  mcpd unlink all"
    )]
    Link(LinkArgs),
    /// Restore the agent configs `mcpd link` changed, byte for byte, from their backups.
    ///
    /// A file changed since it was linked (agents rewrite their own configs) keeps those changes:
    /// only the linked servers get their original command and arguments back. Where that cannot
    /// be done in place, the file is left alone unless --force restores the backup whole.
    #[command(after_help = "Examples:\n  mcpd unlink claude\n  mcpd unlink all --dry-run")]
    Unlink(LinkArgs),
    /// Check or locate the configuration.
    #[command(
        subcommand,
        after_help = "Examples:\n  mcpd config check\n  mcpd config path --json"
    )]
    Config(ConfigCommand),
    /// Print mcpd's man page, or install every page (mcpd.1, mcpd-status.1...) into a folder.
    #[command(
        after_help = "Examples:\n  mcpd man | man -l -\n  mcpd man --install ~/.local/share/man/man1\n  sudo mcpd man --install /usr/local/share/man/man1"
    )]
    Man {
        /// Write every page into DIR (created if needed) instead of printing mcpd.1.
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        install: Option<PathBuf>,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  mcpd completions bash > ~/.local/share/bash-completion/completions/mcpd\n  mcpd completions zsh > ~/.zfunc/_mcpd\n  mcpd completions fish > ~/.config/fish/completions/mcpd.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when normal, 1 on a warning, 2 when critical, 3 when the state is unknown.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Print a JSON list.
    #[arg(long)]
    pub json: bool,
    /// Only orphans.
    #[arg(long)]
    pub orphans: bool,
    /// Only processes owned by this tmux session.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// Only processes whose command line contains TEXT.
    #[arg(long = "match", value_name = "TEXT")]
    pub matching: Option<String>,
    /// Print the evidence behind one process's classification: the program name that made it
    /// MCP-like, each ancestor and why it was passed over or decided, its stdio peers, its session.
    #[arg(long, value_name = "PID", conflicts_with_all = ["orphans", "session", "matching", "dump"])]
    pub explain: Option<i32>,
    /// Save what mcpd saw (processes with their tags, stdio peers, tmux sessions and panes, records)
    /// as JSON to FILE, for a bug report or a replay test.
    #[arg(long, value_name = "FILE")]
    pub dump: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Print a JSON list.
    #[arg(long)]
    pub json: bool,
    /// How many of the newest events to show.
    #[arg(long, short = 'n', default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Print what would be stopped and dropped; signal nothing, change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Also close detached tmux sessions (and stop what they own).
    #[arg(long)]
    pub detached: bool,
    /// With --detached: only sessions idle at least this long (e.g. 30m, 2h, 1d).
    #[arg(long, value_name = "DUR", requires = "detached")]
    pub older_than: Option<String>,
    /// With --detached: do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Only stop orphan trees in which some command line contains TEXT (e.g. `playwright`).
    #[arg(long = "match", value_name = "TEXT")]
    pub matching: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TmArgs {
    /// Session name (default: the folder's name, with `.`, `:` and spaces as `_`).
    pub name: Option<String>,
    /// Create or ensure the session, but do not attach.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Start directory for a new session (default: the current folder).
    #[arg(short = 'c', long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the global session-closed and session-renamed hooks on the tmux server (idempotent;
    /// your own hooks are kept).
    #[command(
        after_help = "Examples:\n  mcpd hook install\n  mcpd --tmux-socket /tmp/tmux-1000/work hook install"
    )]
    Install,
    /// Remove exactly the hooks `install` added.
    #[command(after_help = "Examples:\n  mcpd hook uninstall")]
    Uninstall,
    /// Show whether the hooks are installed.
    #[command(after_help = "Examples:\n  mcpd hook status")]
    Status,
    /// What the session-closed hook runs: stop everything the session owned, then drop its records.
    #[command(
        after_help = "Examples (tmux runs it; by hand for tests):\n  mcpd hook session-closed my_project --id '$3' --foreground"
    )]
    SessionClosed {
        /// The closed session's name.
        name: String,
        /// The closed session's id (`$N`), to find processes tagged with it in their `TMUX` variable.
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// The pid of the tmux server the session lived on.
        #[arg(long, value_name = "PID")]
        server_pid: Option<i32>,
        /// Do the work in this process instead of a detached one (tests, debugging).
        #[arg(long)]
        foreground: bool,
    },
    /// What the session-renamed hook runs: keep the session's records under its new name.
    #[command(after_help = "Examples (tmux runs it):\n  mcpd hook session-renamed '$3' new_name")]
    SessionRenamed {
        /// The session's id (`$N`).
        id: String,
        /// The session's new name.
        name: String,
    },
}

#[derive(Debug, Clone, Default, Args)]
pub struct ImportArgs {
    /// A config file, or an agent: claude, claude-desktop, cursor, vscode, codex, gemini, opencode,
    /// zed, windsurf, cline, roo, kiro, amp, goose, continue, copilot (default: all found).
    #[arg(value_name = "SOURCE", value_hint = clap::ValueHint::AnyPath)]
    pub source: Option<String>,
    /// Print the TOML that would be added; change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Write this scope into every imported server (default: leave it out, i.e. global). With
    /// `session`, servers run in each session's folder: no `cwd` is written.
    #[arg(long, value_name = "SCOPE", value_parser = ["global", "session"])]
    pub scope: Option<String>,
    /// Replace servers whose names are already in the config.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LinkArgs {
    /// The agent (claude, claude-desktop, cursor, vscode, codex, gemini, opencode, zed, windsurf,
    /// cline, roo, kiro, amp, goose, continue, copilot) or `all`.
    #[arg(value_name = "AGENT")]
    pub agent: String,
    /// Show the change (a diff); write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Also the current project's files (.mcp.json, .vscode/mcp.json, .cursor/mcp.json...).
    #[arg(long)]
    pub project: bool,
    /// unlink: restore the backup whole, even over changes made since the link.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Run in the foreground, logging to stderr (for systemd, launchd, or a terminal).
    #[command(
        after_help = "Examples:\n  mcpd daemon run\n  systemd: ExecStart=/usr/local/bin/mcpd daemon run"
    )]
    Run,
    /// Start in the background (logs to <state dir>/daemon.log); returns once it answers.
    #[command(after_help = "Examples:\n  mcpd daemon start\n  mcpd -q daemon start")]
    Start,
    /// Stop gracefully: every server's stdin is closed, then its tree is stopped.
    #[command(after_help = "Examples:\n  mcpd daemon stop")]
    Stop,
    /// Stop the daemon and start this mcpd's (after an upgrade: the CLI says when versions differ).
    #[command(after_help = "Examples:\n  mcpd daemon restart")]
    Restart,
    /// Reread the config file and apply what changed, without a restart (also: SIGHUP).
    ///
    /// Changed servers are restarted, removed ones stopped, new eager global ones started; the
    /// others keep running (same processes). Thresholds and intervals take effect at once. A bad
    /// config is refused (with its file, line and column) and the running one kept: exit 1.
    #[command(
        after_help = "Examples:\n  mcpd daemon reload\n  mcpd daemon reload --json | jq .changed\n  kill -HUP \"$(mcpd daemon status --json | jq .pid)\""
    )]
    Reload {
        /// Print what changed as JSON (`changed`, `updated`, `removed`, `added`, `unchanged`,
        /// `settings`, `actions`, `errors`).
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when the daemon runs (with its pid, uptime and version), 1 when it does not.
    #[command(
        after_help = "Examples:\n  mcpd daemon status\n  mcpd daemon status --json | jq .pid\n  mcpd daemon status >/dev/null || mcpd daemon start"
    )]
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server's name (a `[servers.NAME]` table in the config).
    pub server: String,
    /// For `scope = "session"` servers: the tmux session.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file: errors name the file, line and key.
    #[command(
        after_help = "Examples:\n  mcpd config check\n  mcpd --config ./new.toml config check"
    )]
    Check,
    /// Show the config file, state and runtime directories mcpd uses.
    #[command(after_help = "Examples:\n  mcpd config path\n  mcpd config path --json")]
    Path {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    Cli::command()
}
