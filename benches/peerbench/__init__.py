"""mcpd side by side with its peers, in one run (called by benches/run.sh; prints Markdown).

1. Supervisors (mcpd, pm2, supervisord, pitchfork), each supervising the same two trees:
   - a TERM-ignoring tree: `sh` whose child ignores TERM, INT and HUP (the leader exits at the
     first signal, the child stays until SIGKILL);
   - an npx-like tree: `npm exec` -> `sh -c` -> `node` (npm's own launcher shape), offline.
   Measured: the daemon's own RSS while it holds both, and the stop latency, from the stop command
   to the last process of the tree gone (median of ROUNDS), or what was left behind, and when the
   stop command itself returned (it runs beside the watch, so neither waits for the other). Every
   peer is configured at its closest to mcpd: 1 s grace, whole tree/group signalled (pm2 treekill,
   supervisord stopasgroup + killasgroup, pitchfork's own process-group stop with
   `stop_signal.timeout`).
2. Shared server, AGENTS agents at once, each an MCP client doing the handshake, `tools/list` and
   CALLS sequential `tools/call echo` against the real @modelcontextprotocol/server-everything:
   direct (a server per agent), `mcpd connect`, mcp-proxy (one server-mode proxy holding the
   server, one client-mode proxy per agent as its stdio bridge), 1mcp (`1mcp serve` + `1mcp proxy`).
   Measured: RSS of everything involved except the agents, processes, per-call latency.

Peers are installed into a cache (target/peers: a venv for PyPI, a node_modules for npm, a
`cargo install --root` for crates.io); one that cannot be installed or started is reported as such
in the output, never dropped. Every process started here is stopped by pid (its recorded tree),
never by name.

The parts: procs.py (helpers), install.py (the registries), trees.py (the trees and one class
per supervisor), supervisors.py, shared.py, main.py (the command line).
"""
