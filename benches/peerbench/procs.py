"""/proc helpers (process table, trees, RSS, kills by recorded identity), statistics and running commands."""

import os
import signal
import subprocess
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
