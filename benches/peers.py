#!/usr/bin/env python3
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
"""

import argparse
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CLK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- /proc


def table():
    """pid -> (ppid, start ticks) for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2 :].split()
        out[int(d)] = (int(rest[1]), int(rest[19]))
    return out


def tree(root, t=None):
    """`root` and its descendants: list of (pid, start ticks)."""
    t = t or table()
    kids = {}
    for pid, (ppid, _) in t.items():
        kids.setdefault(ppid, []).append(pid)
    seen, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in t:
            seen.append((p, t[p][1]))
            todo.extend(kids.get(p, []))
    return seen


def alive(ident):
    pid, start = ident
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return False
    rest = s[s.rindex(")") + 2 :].split()
    return int(rest[19]) == start and rest[0] != "Z"


def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root):
    return sum(rss(p) for p, _ in tree(root))


def kill_idents(idents):
    """SIGKILL what is still the recorded process (pid + start time)."""
    for ident in idents:
        if alive(ident):
            try:
                os.kill(ident[0], signal.SIGKILL)
            except OSError:
                pass


def wait_for(pred, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


def pct(v, p):
    v = sorted(v)
    return v[round((len(v) - 1) * p)] if v else None


def mb(n):
    return f"{n / 1e6:.1f} MB"


def run(cmd, env=None, cwd=None, timeout=60):
    return subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, capture_output=True, text=True)


# ---------------------------------------------------------------- installs


def install_npm(cache, pkg, bin_name):
    """The path of `bin_name` from npm package `pkg` in cache/npm, installing it if needed;
    or an error string."""
    d = os.path.join(cache, "npm")
    b = os.path.join(d, "node_modules", ".bin", bin_name)
    if os.path.exists(b):
        return b, None
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "package.json")):
        with open(os.path.join(d, "package.json"), "w") as f:
            f.write('{"private": true}\n')
    r = run(["npm", "install", "--no-audit", "--no-fund", pkg], cwd=d, timeout=600)
    if r.returncode != 0 or not os.path.exists(b):
        lines = [l for l in (r.stderr + r.stdout).splitlines() if l.strip()]
        why = next((l for l in lines if "404" in l or "ERR" in l.upper()), lines[0] if lines else "")
        return None, f"npm install {pkg} failed: {why.strip()}"
    return b, None


def install_pip(cache, pkg, bin_name):
    d = os.path.join(cache, "venv")
    b = os.path.join(d, "bin", bin_name)
    if os.path.exists(b):
        return b, None
    if not os.path.exists(os.path.join(d, "bin", "pip")):
        r = run([sys.executable, "-m", "venv", d], timeout=300)
        if r.returncode != 0:
            return None, f"python -m venv failed: {r.stderr.strip()[:200]}"
    r = run([os.path.join(d, "bin", "pip"), "install", "-q", pkg], timeout=900)
    if r.returncode != 0 or not os.path.exists(b):
        lines = [l for l in (r.stderr + r.stdout).splitlines() if l.strip()]
        return None, f"pip install {pkg} failed: {(lines[-1] if lines else '').strip()}"
    return b, None


def install_cargo(cache, crate, bin_name, timeout):
    """The path of `bin_name` from crates.io crate `crate`, installed with `cargo install --locked`
    into cache/CRATE (its build in cache/CRATE-build, niced: a long compile), or an error string."""
    root = os.path.join(cache, bin_name)
    b = os.path.join(root, "bin", bin_name)
    if os.path.exists(b):
        return b, None
    cmd = ["nice", "-n", "10", "cargo", "install", "--locked", "--root", root, crate]
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(cache, f"{bin_name}-build"))
    try:
        r = run(cmd, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"`{' '.join(cmd[3:])}` did not finish within {timeout} s (--cargo-timeout)"
    if r.returncode != 0 or not os.path.exists(b):
        lines = [l for l in (r.stderr + r.stdout).splitlines() if l.strip()]
        why = next((l for l in lines if l.startswith("error")), lines[-1] if lines else "")
        return None, f"`{' '.join(cmd[3:])}` failed: {why.strip()}"
    return b, None


def cell(text):
    """Text fit for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def version(cmd, env=None):
    try:
        r = run(cmd, env=env, timeout=60)
        lines = [l for l in (r.stdout or r.stderr).splitlines() if l.strip() and not l.startswith("-")]
        return lines[-1].strip() if lines else "?"
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        return f"? ({e})"


# ---------------------------------------------------------------- the trees

IGNORER = "sh -c 'trap \"\" TERM INT HUP; exec sleep 100000' & wait"


def npx_args(node_dir):
    """npm exec -> sh -c -> node, offline: a local package's bin (`idle-server`, which only waits)
    installed by hand into node_dir/node_modules, run as agents run servers (`npm exec -- BIN`)."""
    pkg = os.path.join(node_dir, "node_modules", "idle-server")
    if not os.path.exists(pkg):
        os.makedirs(pkg)
        os.makedirs(os.path.join(node_dir, "node_modules", ".bin"), exist_ok=True)
        with open(os.path.join(pkg, "idle.js"), "w") as f:
            f.write("#!/usr/bin/env node\nsetInterval(function () {}, 1e9);\n")
        os.chmod(os.path.join(pkg, "idle.js"), 0o755)
        with open(os.path.join(pkg, "package.json"), "w") as f:
            f.write('{"name": "idle-server", "version": "1.0.0", "bin": {"idle-server": "idle.js"}}\n')
        os.symlink("../idle-server/idle.js", os.path.join(node_dir, "node_modules", ".bin", "idle-server"))
    return ["exec", "--offline", "--yes", "--", "idle-server"]


TREES = [("TERM-ignoring", "ignorer", 2), ("npx-like", "npxlike", 3)]


class Mcpd:
    name = "mcpd"

    def __init__(self, mcpd, work, grace, npm):
        self.mcpd, self.dir = mcpd, os.path.join(work, "mcpd")
        os.makedirs(self.dir, exist_ok=True)
        cfg = os.path.join(self.dir, "config.toml")
        with open(cfg, "w") as f:
            f.write(
                f'[daemon]\nstop_grace = "{grace}s"\nsweep_orphans = false\n\n'
                f'[servers.ignorer]\ncommand = "sh"\nargs = ["-c", {json.dumps(IGNORER)}]\n'
                'restart = "never"\n\n'
                f'[servers.npxlike]\ncommand = {json.dumps(npm)}\n'
                f"args = {json.dumps(npx_args(self.dir))}\n"
                f'cwd = {json.dumps(self.dir)}\nrestart = "never"\n'
            )
        self.env = dict(
            os.environ,
            MCPD_CONFIG=cfg,
            MCPD_STATE_DIR=os.path.join(self.dir, "state"),
            MCPD_RUNTIME_DIR=os.path.join(self.dir, "run"),
            MCPD_TMUX_SOCKET=os.path.join(self.dir, "no-tmux"),
        )
        self.env.pop("TMUX", None)

    def cli(self, *args):
        return run([self.mcpd, *args], env=self.env)

    def up(self):
        r = self.cli("daemon", "start")
        if r.returncode != 0:
            raise RuntimeError(f"mcpd daemon start: {r.stderr.strip()}")

    def daemon_pid(self):
        with open(os.path.join(self.env["MCPD_STATE_DIR"], "daemon.lock")) as f:
            return int(f.read().strip())

    def pid_of(self, prog):
        r = self.cli("status", "--json")
        try:
            for s in json.loads(r.stdout).get("servers", []):
                if s.get("name") == prog and s.get("pid") and s.get("state") == "running":
                    return s["pid"]
        except ValueError:
            pass
        return None

    def start(self, prog):
        self.cli("start", prog)

    def stop(self, prog):
        self.cli("stop", prog)

    def down(self):
        self.cli("daemon", "stop")


class Pm2:
    name = "pm2"

    def __init__(self, pm2, work, grace, npm):
        self.pm2, self.dir = pm2, os.path.join(work, "pm2")
        os.makedirs(self.dir, exist_ok=True)
        self.env = dict(os.environ, PM2_HOME=os.path.join(self.dir, "home"))
        apps = [
            dict(name="ignorer", script="sh", args=["-c", IGNORER]),
            dict(name="npxlike", script=npm, args=npx_args(self.dir), cwd=self.dir),
        ]
        for a in apps:
            a.update(interpreter="none", autorestart=False, kill_timeout=int(grace * 1000), treekill=True)
        self.eco = os.path.join(self.dir, "ecosystem.config.json")
        with open(self.eco, "w") as f:
            json.dump({"apps": apps}, f)

    def cli(self, *args):
        return run([self.pm2, *args], env=self.env, timeout=120)

    def up(self):
        r = self.cli("start", self.eco)
        if r.returncode != 0:
            raise RuntimeError(f"pm2 start: {(r.stderr or r.stdout).strip()[-300:]}")

    def daemon_pid(self):
        with open(os.path.join(self.env["PM2_HOME"], "pm2.pid")) as f:
            return int(f.read().strip())

    def pid_of(self, prog):
        r = self.cli("jlist")
        try:
            for a in json.loads(r.stdout[r.stdout.index("[") :]):
                if a.get("name") == prog and a.get("pid"):
                    return a["pid"]
        except ValueError:
            pass
        return None

    def start(self, prog):
        self.cli("start", self.eco, "--only", prog)

    def stop(self, prog):
        self.cli("stop", prog)

    def down(self):
        self.cli("kill")


class Supervisord:
    name = "supervisord"

    def __init__(self, bindir, work, grace, npm):
        self.bin, self.dir = bindir, os.path.join(work, "supervisord")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "supervisord.conf")
        sock = os.path.join(self.dir, "s.sock")
        common = f"autostart=true\nautorestart=false\nstartsecs=0\nstopwaitsecs={max(1, round(grace))}\nstopasgroup=true\nkillasgroup=true\n"
        npx = " ".join([npm] + [json.dumps(a) if " " in a or "(" in a else a for a in npx_args(self.dir)])
        with open(self.conf, "w") as f:
            f.write(
                f"[unix_http_server]\nfile={sock}\n\n[supervisord]\nlogfile={self.dir}/sd.log\n"
                f"pidfile={self.dir}/sd.pid\nnodaemon=false\n\n"
                "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                f"[supervisorctl]\nserverurl=unix://{sock}\n\n"
                f"[program:ignorer]\ncommand=sh -c {json.dumps(IGNORER)}\n{common}\n"
                f"[program:npxlike]\ncommand={npx}\ndirectory={self.dir}\n{common}"
            )

    def ctl(self, *args):
        return run([os.path.join(self.bin, "supervisorctl"), "-c", self.conf, *args])

    def up(self):
        r = run([os.path.join(self.bin, "supervisord"), "-c", self.conf])
        if r.returncode != 0:
            raise RuntimeError(f"supervisord: {r.stderr.strip()}")

    def daemon_pid(self):
        with open(os.path.join(self.dir, "sd.pid")) as f:
            return int(f.read().strip())

    def pid_of(self, prog):
        r = self.ctl("pid", prog)
        v = r.stdout.strip()
        return int(v) if v.isdigit() and v != "0" else None

    def start(self, prog):
        self.ctl("start", prog)

    def stop(self, prog):
        self.ctl("stop", prog)

    def down(self):
        self.ctl("shutdown")


class Pitchfork:
    """pitchfork (crates.io `pitchfork-cli`): a pitchfork.toml in a private project dir, run from
    there; its supervisor's state, sockets and logs under PITCHFORK_STATE_DIR and its global config
    under PITCHFORK_CONFIG_DIR, both private, so the user's ~/.config and ~/.local are untouched.
    It starts every daemon in its own session and signals the whole process group."""

    name = "pitchfork"

    def __init__(self, pitchfork, work, grace, npm):
        self.bin, self.dir = pitchfork, os.path.join(work, "pitchfork")
        os.makedirs(self.dir, exist_ok=True)
        state = os.path.join(self.dir, "state")
        self.state_file = os.path.join(state, "state.toml")
        self.env = dict(
            os.environ,
            PITCHFORK_STATE_DIR=state,
            PITCHFORK_CONFIG_DIR=os.path.join(self.dir, "config"),
            PITCHFORK_STOP_TIMEOUT=f"{int(grace * 1000)}ms",
            PITCHFORK_LOG="warn",
        )
        for k in ("SUDO_USER", "SUDO_UID", "SUDO_GID", "PITCHFORK_CONFIG"):
            self.env.pop(k, None)
        stop = f'{{ signal = "SIGTERM", timeout = "{int(grace * 1000)}ms" }}'
        with open(os.path.join(self.dir, "pitchfork.toml"), "w") as f:
            f.write(
                f"[daemons.ignorer]\nrun = {json.dumps(['sh', '-c', IGNORER])}\n"
                f"retry = 0\nready_delay = 0\nstop_signal = {stop}\n\n"
                f"[daemons.npxlike]\nrun = {json.dumps([npm] + npx_args(self.dir))}\n"
                f"dir = {json.dumps(self.dir)}\nretry = 0\nready_delay = 0\nstop_signal = {stop}\n"
            )

    def cli(self, *args):
        return run([self.bin, *args], env=self.env, cwd=self.dir, timeout=120)

    def up(self):
        r = self.cli("supervisor", "start")
        if r.returncode != 0:
            raise RuntimeError(f"pitchfork supervisor start: {(r.stderr or r.stdout).strip()[-300:]}")
        r = self.cli("start", "ignorer", "npxlike")
        if r.returncode != 0:
            raise RuntimeError(f"pitchfork start: {(r.stderr or r.stdout).strip()[-300:]}")

    def daemon_pid(self):
        """The supervisor's pid, from its own record (`global/pitchfork`) in its state file."""
        import tomllib

        with open(self.state_file, "rb") as f:
            return int(tomllib.load(f)["daemons"]["global/pitchfork"]["pid"])

    def pid_of(self, prog):
        r = self.cli("status", prog, "--json")
        try:
            v = json.loads(r.stdout)
            if v.get("status") == "running" and v.get("pid"):
                return v["pid"]
        except ValueError:
            pass
        return None

    def start(self, prog):
        self.cli("start", prog)

    def stop(self, prog):
        self.cli("stop", prog)

    def down(self):
        self.cli("supervisor", "stop")


def full_tree(sup, prog, want):
    """Waits until `prog` runs with its whole tree (want processes); returns its idents."""

    def look():
        pid = sup.pid_of(prog)
        if not pid:
            return None
        t = tree(pid)
        return t if len(t) >= want else None

    return wait_for(look, 30, 0.1)


def bench_supervisors(tools, rounds, grace):
    rows, notes = [], []
    for sup in tools:
        if isinstance(sup, str):
            rows.append((sup, None))
            continue
        try:
            sup.up()
        except Exception as e:  # noqa: BLE001 - reported in the table
            rows.append((f"{sup.name}: could not start ({e})", None))
            continue
        everything = []
        try:
            trees = {prog: full_tree(sup, prog, want) for _, prog, want in TREES}
            missing = [p for p, t in trees.items() if not t]
            if missing:
                raise RuntimeError(f"tree(s) {missing} did not come up")
            everything += [i for t in trees.values() for i in t]
            time.sleep(3)  # settle before taking the daemon's RSS
            daemon_rss = rss(sup.daemon_pid())
            result = {"daemon_rss": daemon_rss}
            for label, prog, want in TREES:
                times, cmd_times, left = [], [], 0
                for r in range(rounds):
                    t = trees[prog] if r == 0 else full_tree(sup, prog, want)
                    if not t:
                        raise RuntimeError(f"{prog} did not restart for round {r + 1}")
                    everything += t
                    # The stop command runs beside the watch: the tree can be gone before the
                    # command returns (pitchfork's `stop` returns ~2 s after its group is gone),
                    # and both are reported.
                    t0 = time.monotonic()
                    done = []
                    cmd = threading.Thread(target=lambda: (sup.stop(prog), done.append(time.monotonic())))
                    cmd.start()
                    gone = wait_for(lambda: not any(alive(i) for i in t), grace + 5, 0.005)
                    if gone:
                        times.append((time.monotonic() - t0) * 1000)
                    else:
                        left = max(left, sum(alive(i) for i in t))
                        kill_idents(t)
                    cmd.join(120)
                    if done:
                        cmd_times.append((done[0] - t0) * 1000)
                    if r + 1 < rounds:
                        sup.start(prog)
                result[label] = (times, left, cmd_times)
            rows.append((sup.name, result))
        except Exception as e:  # noqa: BLE001 - reported in the table
            rows.append((f"{sup.name}: failed ({e})", None))
        finally:
            try:
                sup.down()
            except Exception:  # noqa: BLE001
                pass
            kill_idents(everything)
    return rows, notes


def print_supervisors(rows, rounds, grace):
    print(f"| supervisor | daemon RSS | stop to last process gone, TERM-ignoring tree (median of {rounds}) "
          f"| ratio to mcpd | stop to last process gone, npx-like tree (median of {rounds}) | ratio to mcpd |")
    print("|---|---:|---:|---:|---:|---:|")
    base = next((r for n, r in rows if n == "mcpd" and r), None)

    def cell(res, label):
        times, left, cmd_times = res[label]
        c = median(cmd_times)
        cmd = f" (command returns: {c:.0f} ms)" if c is not None else " (command did not return)"
        if left:
            return f"**{left} process(es) left** after {grace + 5:.0f} s{cmd}", "-"
        m = median(times)
        b = median(base[label][0]) if base and base[label][0] else None
        return f"{m:.0f} ms{cmd}", (f"{m / b:.1f}x" if b else "-")

    for name, res in rows:
        if not res:
            print(f"| {cell(name)} | - | - | - | - | - |")
            continue
        ig, igr = cell(res, "TERM-ignoring")
        nx, nxr = cell(res, "npx-like")
        ratio = ""
        if base and name != "mcpd":
            ratio = f" ({res['daemon_rss'] / base['daemon_rss']:.1f}x)"
        print(f"| {name} | {mb(res['daemon_rss'])}{ratio} | {ig} | {igr} | {nx} | {nxr} |")


# ---------------------------------------------------------------- shared server


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


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mcpd", required=True, help="the mcpd binary (release)")
    ap.add_argument("--cache", required=True, help="where peers are installed (target/peers)")
    ap.add_argument("--npm-kit", required=True, help="node_modules holder with server-everything")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--grace", type=float, default=1.0)
    ap.add_argument("--agents", type=int, default=5)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--only", choices=["supervisors", "shared"], default=None)
    ap.add_argument("--cargo-timeout", type=int, default=3600,
                    help="seconds allowed for `cargo install pitchfork-cli` when it is not cached")
    args = ap.parse_args()
    args.cache, args.mcpd = os.path.abspath(args.cache), os.path.abspath(args.mcpd)
    args.npm_kit = os.path.abspath(args.npm_kit)
    os.makedirs(args.cache, exist_ok=True)
    work = tempfile.mkdtemp(prefix="peers-", dir=args.cache)
    npm = shutil.which("npm")

    pm2, pm2_err = install_npm(args.cache, "pm2", "pm2")
    sd, sd_err = install_pip(args.cache, "supervisor", "supervisord")
    proxy, proxy_err = install_pip(args.cache, "mcp-proxy", "mcp-proxy")
    onemcp, onemcp_err = install_npm(args.cache, "@1mcp/agent", "1mcp")
    pf, pf_err = install_cargo(args.cache, "pitchfork-cli", "pitchfork", args.cargo_timeout)
    print("Peers, as installed for this run:\n")
    print(f"- mcpd: {version([args.mcpd, '--version'])} ({args.mcpd})")
    print(f"- pm2: {version([pm2, '--version']) if pm2 else 'NOT INSTALLED: ' + pm2_err}")
    print(f"- supervisord: {version([sd, '--version']) if sd else 'NOT INSTALLED: ' + sd_err}")
    pv = version([os.path.join(args.cache, 'venv', 'bin', 'pip'), 'show', 'mcp-proxy']) if proxy else None
    print(f"- mcp-proxy: {'installed' if proxy else 'NOT INSTALLED: ' + proxy_err}"
          + (f" ({run([os.path.join(args.cache, 'venv', 'bin', 'pip'), 'show', 'mcp-proxy']).stdout.split(chr(10))[1]})" if pv else ""))
    print(f"- 1mcp (@1mcp/agent): {version([onemcp, '--version']) if onemcp else 'NOT INSTALLED: ' + onemcp_err}")
    # even --version opens pitchfork's log under its state dir: keep it in the run's own dir
    pf_env = dict(os.environ, PITCHFORK_STATE_DIR=os.path.join(work, "pitchfork-version"))
    print(f"- pitchfork (crates.io `pitchfork-cli`): "
          f"{version([pf, '--version'], pf_env) if pf else 'NOT INSTALLED: ' + pf_err}\n")

    if args.only in (None, "supervisors"):
        tools = [Mcpd(args.mcpd, work, args.grace, npm)]
        tools.append(Pm2(pm2, work, args.grace, npm) if pm2 else f"pm2: not installed ({pm2_err})")
        tools.append(Supervisord(os.path.dirname(sd), work, args.grace, npm) if sd
                     else f"supervisord: not installed ({sd_err})")
        tools.append(Pitchfork(pf, work, args.grace, npm) if pf else f"pitchfork: not installed ({pf_err})")
        print(f"### Supervisors: daemon RSS and stop latency ({args.grace:g} s grace, same trees)\n")
        rows, _ = bench_supervisors(tools, args.rounds, args.grace)
        print_supervisors(rows, args.rounds, args.grace)
        print()
    if args.only in (None, "shared"):
        print(f"### One shared server, {args.agents} agents ({args.calls} calls each)\n")
        rows = bench_shared(args, args.mcpd, work, proxy, proxy_err, onemcp, onemcp_err)
        print_shared(rows, args.agents, args.calls)
        print()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
