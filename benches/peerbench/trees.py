"""The two trees every supervisor holds, and one class per supervisor (mcpd, pm2, supervisord, pitchfork) that
starts it on them, stops a program and stops itself."""

import json
import os

from .procs import run


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
