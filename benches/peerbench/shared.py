"""One shared server, N agents: direct, `mcpd connect`, mcp-proxy, 1mcp; RSS and per-call latency."""

import json
import os
import select
import socket
import subprocess
import time

from .procs import cell, kill_idents, mb, median, pct, rss, run, table, tree, wait_for


class Agent:
    def __init__(self, cmd, env=None):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        self.buf = b""

    def send(self, msg):
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()

    def read(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise TimeoutError("no answer")
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("the agent's server or bridge closed its output")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, id_, method, params, timeout=60):
        self.send({"jsonrpc": "2.0", "id": id_, "method": method, "params": params})
        while True:
            v = self.read(timeout)
            if v.get("id") == id_ and "method" not in v:
                return v

    def handshake(self):
        r = self.call(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                        "clientInfo": {"name": "bench", "version": "1"}})
        if "result" not in r:
            raise RuntimeError(f"initialize failed: {r}")
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        r = self.call(1, "tools/list", {})
        if "result" not in r:
            raise RuntimeError(f"tools/list failed: {r}")

    def close(self):
        t = tree(self.p.pid)
        try:
            self.p.stdin.close()
        except OSError:
            pass
        kill_idents(t)
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=60):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False

    return wait_for(up, timeout, 0.2)


def shared_run(label, agents_cmd, n, calls, hub=None, env=None):
    """Runs n agents (each its own command) at once; returns the row."""
    agents = []
    try:
        agents = [Agent(agents_cmd(), env) for _ in range(n)]
        for a in agents:
            a.handshake()
        lat = []
        for i in range(calls):
            for a in agents:
                t0 = time.monotonic()
                r = a.call(100 + i, "tools/call", {"name": "echo", "arguments": {"message": f"m{i}"}})
                if "result" not in r:
                    raise RuntimeError(f"tools/call failed: {r}")
                lat.append((time.monotonic() - t0) * 1000)
        t = table()
        pids = set()
        for a in agents:
            pids |= {p for p, _ in tree(a.p.pid, t)}
        for h in hub or []:
            pids |= {p for p, _ in tree(h, t)}
        total = sum(rss(p) for p in pids)
        return (label, len(pids), total, median(lat), pct(lat, 0.99), None)
    except Exception as e:  # noqa: BLE001 - reported in the table
        return (label, None, None, None, None, f"{type(e).__name__}: {e}")
    finally:
        for a in agents:
            a.close()


def bench_shared(args, mcpd, work, proxy_bin, proxy_err, onemcp_bin, onemcp_err):
    server = os.path.join(args.npm_kit, "node_modules", ".bin", "mcp-server-everything")
    rows = []
    if not os.path.exists(server):
        return [("all", None, None, None, None,
                 f"{server} is missing: run `cargo test --test it conformance` once to install it")]
    n, calls = args.agents, args.calls
    rows.append(shared_run("direct (a server per agent)", lambda: [server], n, calls))

    d = os.path.join(work, "shared-mcpd")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.toml"), "w") as f:
        f.write(f'[daemon]\nsweep_orphans = false\n\n[servers.everything]\ncommand = {json.dumps(server)}\n'
                'start = "on-connect"\n')
    env = dict(os.environ, MCPD_CONFIG=os.path.join(d, "config.toml"),
               MCPD_STATE_DIR=os.path.join(d, "state"), MCPD_RUNTIME_DIR=os.path.join(d, "run"),
               MCPD_TMUX_SOCKET=os.path.join(d, "no-tmux"))
    env.pop("TMUX", None)
    run([mcpd, "daemon", "start"], env=env)
    try:
        with open(os.path.join(d, "state", "daemon.lock")) as f:
            dpid = int(f.read().strip())
        rows.append(shared_run("mcpd connect", lambda: [mcpd, "connect", "everything"], n, calls, [dpid], env))
    except Exception as e:  # noqa: BLE001
        rows.append(("mcpd connect", None, None, None, None, f"daemon did not start: {e}"))
    finally:
        run([mcpd, "daemon", "stop"], env=env)

    if proxy_bin:
        port = free_port()
        hub = subprocess.Popen([proxy_bin, "--port", str(port), "--", server],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "mcp-proxy.log"), "w"),
                               start_new_session=True)
        try:
            if not wait_port(port):
                rows.append(("mcp-proxy", None, None, None, None, "the server-mode proxy did not listen"))
            else:
                url = f"http://127.0.0.1:{port}/sse"
                rows.append(shared_run("mcp-proxy (SSE hub + a stdio proxy per agent)",
                                       lambda: [proxy_bin, url], n, calls, [hub.pid]))
        finally:
            kill_idents(tree(hub.pid))
            hub.wait()
    else:
        rows.append(("mcp-proxy", None, None, None, None, f"not installed: {proxy_err}"))

    if onemcp_bin:
        rows.append(("1mcp", None, None, None, None, "installed, but not measured by this script yet"))
    else:
        rows.append(("1mcp (@1mcp/agent)", None, None, None, None, f"not installed: {onemcp_err}"))
    return rows


def print_shared(rows, n, calls):
    base = next((r for r in rows if r[0] == "mcpd connect" and r[2]), None)
    print(f"| setup ({n} agents) | processes | RSS | ratio to mcpd | call median (ms) | call p99 (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, procs, total, med, p99, err in rows:
        if err:
            print(f"| {cell(label)} | - | - | - | - | **{cell(err)}** |")
            continue
        ratio = f"{total / base[2]:.1f}x" if base else "-"
        print(f"| {label} | {procs} | {mb(total)} | {ratio} | {med:.2f} | {p99:.2f} |")
