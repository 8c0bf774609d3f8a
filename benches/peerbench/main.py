"""The command line: install the peers, print their versions, run the parts asked for."""

import argparse
import os
import shutil
import tempfile

from . import __doc__ as package_doc
from .procs import run, version
from .install import install_cargo, install_npm, install_pip
from .trees import Mcpd, Pitchfork, Pm2, Supervisord
from .supervisors import bench_supervisors, print_supervisors
from .shared import bench_shared, print_shared


def main():
    ap = argparse.ArgumentParser(description=package_doc, formatter_class=argparse.RawDescriptionHelpFormatter)
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
