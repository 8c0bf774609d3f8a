"""Installing the peers into the cache: npm, a PyPI venv, `cargo install --root`; each returns (binary, None) or (None, why)."""

import os
import subprocess
import sys

from .procs import run


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
