#!/usr/bin/env bash
# Side-by-side benchmark of `hotline nlu eval` and a scikit-learn baseline (TF-IDF word 1-2 +
# char_wb 2-5 grams, LinearSVC) on the same train/test files.
# Usage: benches/nlu/run.sh [path/to/hotline] [data dir]
# Installs scikit-learn into $HOME/.cache/hotline/venv on first use. CLINC150 has no test
# split here: it is evaluated on valid (and the engine was tuned on valid; say so when quoting).
set -euo pipefail

HOTLINE=${1:-target/release/hotline}
DATA=${2:-/work/shared/data/nlu}
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=$HOME/.cache/hotline/venv

[ -x "$HOTLINE" ] || { echo "no hotline binary at $HOTLINE (cargo build --release -p hotline)" >&2; exit 2; }
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sklearn' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'scikit-learn>=1.3,<2' numpy
fi
PY=$VENV/bin/python

# name | train | test | oos label
SETS=(
    "clinc150 (valid)|clinc150/train.jsonl|clinc150/valid.jsonl|oos"
    "clinc150 10-shot (valid)|clinc150/train_10shot.jsonl|clinc150/valid.jsonl|oos"
    "banking77 full|banking77/train_full.jsonl|banking77/test.jsonl|"
    "banking77 10-shot|banking77/train_10shot.jsonl|banking77/test.jsonl|"
    "hwu64 full|hwu64/train_full.jsonl|hwu64/test.jsonl|"
    "snips|snips/train.jsonl|snips/test.jsonl|"
    "xsid de|xsid_de/train.jsonl|xsid_de/test.jsonl|"
    "xsid en|xsid_en/train.jsonl|xsid_en/test.jsonl|"
)

field() { "$PY" -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("-" if v is None else (f"{v:.3f}" if isinstance(v,float) else v))' "$1"; }

printf '%-26s | %-8s %-8s %-8s %-8s %-9s | %-8s %-8s %-8s %-8s %-9s\n' "data set" \
    "acc" "in-scope" "oos rec" "train s" "p50 µs" "sk acc" "in-scope" "oos rec" "train s" "p50 µs"
for entry in "${SETS[@]}"; do
    IFS='|' read -r name train test oos <<<"$entry"
    args=(nlu eval --train "$DATA/$train" --test "$DATA/$test" --json)
    [ -n "$oos" ] && args+=(--oos-label "$oos")
    ours=$(timeout 120 "$HOTLINE" "${args[@]}")
    theirs=$(timeout 300 "$PY" "$HERE/baseline.py" "$DATA/$train" "$DATA/$test" "$oos")
    printf '%-26s | %-8s %-8s %-8s %-8s %-9s | %-8s %-8s %-8s %-8s %-9s\n' "$name" \
        "$(field accuracy <<<"$ours")" "$(field in_scope_accuracy <<<"$ours")" "$(field oos_recall <<<"$ours")" \
        "$(field train_seconds <<<"$ours")" "$(field latency_us_p50 <<<"$ours")" \
        "$(field accuracy <<<"$theirs")" "$(field in_scope_accuracy <<<"$theirs")" "$(field oos_recall <<<"$theirs")" \
        "$(field train_seconds <<<"$theirs")" "$(field latency_us_p50 <<<"$theirs")"
done
