"""scikit-learn baseline for `benches/nlu/run.sh`: TF-IDF word 1-2-grams + char_wb 2-5-grams,
LinearSVC; out-of-scope handled by training `oos` as a class (so with no `oos` examples in
training it never rejects). Prints one JSON object with the same keys as `hotline nlu eval --json`.
Usage: baseline.py TRAIN TEST[,TEST…] [OOS_LABEL] [FOLDS] — with FOLDS, cross-validates on TRAIN
with the same stratified split as `hotline nlu eval --folds`, each fold also tested on the TEST
files (which may then be empty)."""
import json, sys, time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC


def load(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [r["text"] for r in rows], [r["intent"] for r in rows]


def folds(xs, ys, n):
    """Each intent's examples dealt out in file order, each intent starting at another fold."""
    seen, offsets, fold_of = {}, {}, []
    for y in ys:
        offsets.setdefault(y, len(offsets))
        seen[y] = seen.get(y, 0) + 1
        fold_of.append((seen[y] - 1 + offsets[y]) % n)
    for k in range(n):
        yield ([x for x, f in zip(xs, fold_of) if f != k], [y for y, f in zip(ys, fold_of) if f != k],
               [x for x, f in zip(xs, fold_of) if f == k], [y for y, f in zip(ys, fold_of) if f == k])


def fit(xtr, ytr):
    model = make_pipeline(
        FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]),
        LinearSVC(C=1.0),
    )
    start = time.perf_counter()
    model.fit(xtr, ytr)
    return model, time.perf_counter() - start


def main():
    train = sys.argv[1]
    tests = [t for t in sys.argv[2].split(",") if t]
    oos = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    n = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
    xtr, ytr = load(train)
    xex, yex = [], []
    for t in tests:
        x, y = load(t)
        xex += x
        yex += y
    runs = [(a, b, c + xex, d + yex) for a, b, c, d in folds(xtr, ytr, n)] if n else [(xtr, ytr, xex, yex)]
    lat, pred, gold, train_seconds = [], [], [], 0.0
    for a, b, xte, yte in runs:
        model, seconds = fit(a, b)
        train_seconds += seconds / len(runs)
        for text in xte:  # one utterance at a time, like the engine's latency figure
            t = time.perf_counter()
            pred.append(model.predict([text])[0])
            lat.append((time.perf_counter() - t) * 1e6)
        gold += yte
    pred, yte = np.array(pred), np.array(gold)
    out = {"accuracy": float((pred == yte).mean()), "train_seconds": train_seconds,
           "latency_us_p50": float(np.percentile(lat, 50)), "latency_us_p99": float(np.percentile(lat, 99))}
    if oos:
        ins = yte != oos
        out["in_scope_accuracy"] = float((pred[ins] == yte[ins]).mean())
        out["oos_recall"] = float((pred[~ins] == oos).mean()) if (~ins).any() else None
    else:
        out["in_scope_accuracy"] = out["accuracy"]
        out["oos_recall"] = None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
