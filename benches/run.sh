#!/usr/bin/env bash
# One script for every figure in BENCHMARKS.md, with the machine noted, and mcpd's peers side by
# side in the same run. Prints Markdown (also kept in target/bench-run/PART.md per part).
#
#   benches/run.sh                       # every part, scale at 1000 3000 10000 30000
#   SIZES="1000 3000" benches/run.sh     # smaller scale sizes
#   IDLE_SIZES="100 3000" benches/run.sh idle   # the idle daemon at other sizes
#   benches/run.sh peers stop            # only the parts named
#
# Parts (each calls an existing bench; a part that fails is reported, the others still run):
#   scale    cargo bench --bench mcpd_bench -- scale $SIZES   (status vs ps vs the raw /proc lower
#            bound, daemon sweep, session close and 50 closes at once at 3,000; PID namespace)
#   status   cargo bench --bench mcpd_bench -- status          (status vs ps at 1k/3k)
#   stop     cargo bench --bench mcpd_bench -- stop            (cooperative and TERM-ignoring tree)
#   session  cargo bench --bench mcpd_bench -- session         (npx tree, kill-session to last gone)
#   daemon   cargo bench --bench mcpd_bench -- daemon          (idle RSS/CPU, sweep at 3,000)
#   connect  cargo bench --bench mcpd_bench -- connect         (shared vs direct memory, bridge latency)
#   idle     cargo bench --bench mcpd_bench -- idle $IDLE_SIZES (idle daemon RSS/CPU at 100 and 10,000
#            processes, default sizes "100 10000", in a PID namespace; MCPD_BENCH_IDLE_SECS window)
#   bridge   cargo bench --bench mcpd_bench -- bridge          (latency p50/p99 and requests/s at 1, 5
#            and 20 clients: `mcpd connect` vs a server per client, same run)
#   share    cargo bench --bench share_bench                   (5 and 20 agents: latency, RSS)
#   latency  cargo bench --bench daemon_latency                (when the branch has it)
#   peers    python3 benches/peers.py            (pm2, supervisord, pitchfork, mcp-proxy, 1mcp)
#
# Peers are installed into target/peers (npm, a PyPI venv, `cargo install --root` for pitchfork:
# a long compile the first time); one that cannot be installed is printed as NOT INSTALLED with
# the registry's or cargo's answer. Ratios, measured in the same run, are the
# claims; absolute times depend on the machine and its load, which is printed first.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
out="$root/target/bench-run"
mkdir -p "$out"
sizes=${SIZES:-1000 3000 10000 30000}
idle_sizes=${IDLE_SIZES:-100 10000}
all="scale status stop session daemon connect idle bridge share latency peers"
parts=${*:-$all}
for p in $parts; do
    case " $all " in *" $p "*) ;; *) echo "benches/run.sh: unknown part '$p' (parts: $all)" >&2; exit 2 ;; esac
done

machine() {
    echo "## Machine"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
    echo "- $(nproc) cores: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | sort -u | head -1)"
    echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); kernel $(uname -r)"
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg); processes: $(ls -d /proc/[0-9]* | wc -l)"
    echo "- $(tmux -V 2>/dev/null || echo 'tmux missing'); node $(node --version 2>/dev/null || echo missing); $(python3 --version 2>&1); $(rustc --version)"
    echo
}

status=0
run_part() {
    local name=$1
    shift
    echo "## $name: \`$*\`"
    echo
    local t0=$SECONDS
    "$@" >"$out/$name.md" 2>"$out/$name.err"
    local rc=$?
    if [ $rc -eq 0 ]; then
        cat "$out/$name.md"
        echo
        echo "_($name: $((SECONDS - t0)) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg))_"
    else
        status=1
        cat "$out/$name.md"
        echo
        echo "**$name FAILED** (exit $rc); the last lines of its error output:"
        echo '```'
        tail -15 "$out/$name.err"
        echo '```'
    fi
    echo
}

machine | tee "$out/machine.md"
echo "building release binaries and benches..." >&2
if ! { cargo build --release --bin mcpd && cargo bench --no-run; } >"$out/build.log" 2>&1; then
    tail -30 "$out/build.log" >&2
    echo "benches/run.sh: the release build failed (target/bench-run/build.log)" >&2
    exit 2
fi
for p in $parts; do
    case $p in
        scale) run_part scale cargo bench --bench mcpd_bench -- scale $sizes ;;
        status | stop | session | daemon | connect | bridge) run_part "$p" cargo bench --bench mcpd_bench -- "$p" ;;
        idle) run_part idle cargo bench --bench mcpd_bench -- idle $idle_sizes ;;
        share) run_part share cargo bench --bench share_bench ;;
        latency)
            if [ -f benches/daemon_latency.rs ]; then
                run_part latency cargo bench --bench daemon_latency
            else
                echo "## latency: benches/daemon_latency.rs is not on this branch yet: NOT RUN"
                echo
            fi
            ;;
        peers)
            run_part peers python3 benches/peers.py --mcpd "$root/target/release/mcpd" \
                --cache "$root/target/peers" --npm-kit "$root/target/tmp/conformance-npm" \
                ${PEERS_ARGS:-}
            ;;
    esac
done
echo "_load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)_"
exit $status
