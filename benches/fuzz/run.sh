#!/usr/bin/env bash
# The fuzzing benchmark: every target of fuzz/ (or those named as arguments) runs for RUNS
# executions in all (default 1,000,000), split over two libFuzzer processes that share a
# corpus, and the table of executions, time, speed, coverage and new inputs is printed.
# Exits non-zero when a target crashes (the input is in fuzz/artifacts/<target>/).
#
# Built like CI's runs (release, debug assertions and overflow checks on, coverage and
# comparison tracing), but without AddressSanitizer: the targets are safe Rust, and ASan would
# triple the time. CI's 15-second runs in scripts/test keep ASan. Results: BENCHMARKS.md.
#
#   benches/fuzz/run.sh              # all targets, 1 M executions each
#   RUNS=100000 benches/fuzz/run.sh sdp srtp
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hotline/target}"
RUNS="${RUNS:-1000000}"
WORKERS=2
dir="$CARGO_TARGET_DIR/fuzz-bench"
cargo fuzz build -O -a -s none --target-dir "$dir" >/dev/null 2>&1
targets=("$@")
((${#targets[@]})) || mapfile -t targets < <(cargo fuzz list)
bin="$dir/x86_64-unknown-linux-gnu/release"

printf '%-16s %10s %8s %9s %7s %7s %s\n' target executions seconds exec/s cov new crashed
failed=()
for target in "${targets[@]}"; do
    corpus="$dir/corpus/$target"
    logs="$dir/logs/$target"
    mkdir -p "$corpus" "$logs"
    start=$SECONDS
    pids=()
    for w in $(seq "$WORKERS"); do
        # Each worker runs its share; both read the committed seeds and grow one corpus. The
        # time bound only guards against a target that became very slow.
        "$bin/$target" "$corpus" "corpus/$target" -runs=$((RUNS / WORKERS)) -max_total_time=3600 \
            -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -seed="$w" \
            -artifact_prefix="artifacts/$target/" >"$logs/worker-$w.log" 2>&1 &
        pids+=($!)
    done
    crashed=no
    mkdir -p "artifacts/$target"
    for pid in "${pids[@]}"; do wait "$pid" || crashed=yes; done
    secs=$((SECONDS - start))
    execs=0 cov=0 new=0
    for w in $(seq "$WORKERS"); do
        log="$logs/worker-$w.log"
        e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        n=$(sed -n 's/^stat::new_units_added: *//p' "$log")
        c=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
        execs=$((execs + ${e:-0})) new=$((new + ${n:-0}))
        ((${c:-0} > cov)) && cov=${c:-0}
    done
    printf '%-16s %10d %8d %9d %7d %7d %s\n' "$target" "$execs" "$secs" \
        $((execs / (secs > 0 ? secs : 1))) "$cov" "$new" "$crashed"
    if [[ $crashed == yes ]]; then
        grep -h -m1 -A3 -E 'panicked at|ERROR: libFuzzer' "$logs"/worker-*.log || true
        failed+=("$target")
    fi
done
if ((${#failed[@]})); then
    echo "targets that crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
