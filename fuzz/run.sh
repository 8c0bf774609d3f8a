#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, with libFuzzer's -max_total_time, and
# prints per target: executions, executions per second, corpus size and findings (crash, leak,
# timeout and out-of-memory inputs written to fuzz/artifacts/TARGET/).
#
#   fuzz/run.sh SECONDS [TARGET...]
#   JOBS=8 fuzz/run.sh 600        # run up to 8 targets at once (default: 1, one after another)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain. The committed seeds are in
# fuzz/corpus/TARGET/ and are only read; what the fuzzer learns goes to fuzz/target/corpus/TARGET/
# (kept between runs, ignored by git). The table is also written to fuzz/target/last-run.txt.
# Exit status: 0 when no target found anything, 1 when one did, 2 on a usage or build error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
    echo "usage: fuzz/run.sh SECONDS [TARGET...]" >&2
    exit 2
fi
shift
cd "$here" || exit 2
all=$(cargo +nightly fuzz list 2>/dev/null)
if [ -z "$all" ]; then
    echo "fuzz/run.sh: cargo fuzz is missing (cargo install cargo-fuzz) or lists no targets" >&2
    exit 2
fi
targets=${*:-$all}
jobs=${JOBS:-1}
echo "building the fuzz targets (cargo +nightly fuzz build -O)..." >&2
mkdir -p "$here/target"
build() {
    if [ $# -eq 0 ]; then
        cargo +nightly fuzz build -O
    else
        for t in "$@"; do cargo +nightly fuzz build -O "$t" || return 1; done
    fi
}
if ! build "$@" >"$here/target/build.log" 2>&1; then
    tail -30 "$here/target/build.log" >&2
    echo "fuzz/run.sh: the build failed (fuzz/target/build.log)" >&2
    exit 2
fi
bin_dir="$here/target/x86_64-unknown-linux-gnu/release"

run_one() {
    local t=$1 work="$here/target/corpus/$1" arts="$here/artifacts/$1/" log="$here/target/logs/$1.log"
    mkdir -p "$work" "$arts" "$here/target/logs"
    local before
    before=$(find "$arts" -type f | wc -l)
    # Stops at the first finding (its input is written to artifacts/TARGET/): fix it, rerun.
    "$bin_dir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$arts" "$work" "$here/corpus/$t" >"$log" 2>&1
    local rc=$? after execs rate corpus
    after=$(find "$arts" -type f | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$work" -type f | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$corpus" \
        "$((after - before))" "$rc" >"$here/target/logs/$t.row"
}

pids=()
for t in $targets; do
    run_one "$t" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
done
for p in "${pids[@]}"; do wait "$p"; done

summary="$here/target/last-run.txt"
{
    echo "fuzz run of $(date -u +%Y-%m-%dT%H:%MZ), ${secs} s per target, ${jobs} at once, $(nproc) cores"
    printf '%-10s %8s %12s %8s %8s %9s  %s\n' target seconds executions exec/s corpus findings note
    for t in $targets; do
        IFS=$'\t' read -r name s execs rate corpus new rc <"$here/target/logs/$t.row"
        note=""
        if [ "$new" != 0 ] || [ "$rc" != 0 ]; then
            note="see fuzz/target/logs/$t.log and fuzz/artifacts/$t/ (exit $rc)"
        fi
        printf '%-10s %8s %12s %8s %8s %9s  %s\n' "$name" "$s" "$execs" "$rate" "$corpus" "$new" "$note"
    done
} >"$summary"
cat "$summary"
# Any finding (a note on a row) makes the run fail.
if grep -q 'see fuzz/target/logs' "$summary"; then
    exit 1
fi
exit 0
