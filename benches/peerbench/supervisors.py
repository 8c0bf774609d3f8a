"""Supervisors side by side: daemon RSS and stop latency on the same trees, and the table."""

import threading
import time

from .procs import alive, cell, kill_idents, mb, median, rss, tree, wait_for
from .trees import TREES


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
            print(f"| {name} | - | - | - | - | - |")
            continue
        ig, igr = cell(res, "TERM-ignoring")
        nx, nxr = cell(res, "npx-like")
        ratio = ""
        if base and name != "mcpd":
            ratio = f" ({res['daemon_rss'] / base['daemon_rss']:.1f}x)"
        print(f"| {name} | {mb(res['daemon_rss'])}{ratio} | {ig} | {igr} | {nx} | {nxr} |")
