"""scikit-learn baseline for `benches/nlu/run.sh`: TF-IDF word 1-2-grams + char_wb 2-5-grams,
LinearSVC; out-of-scope handled by training `oos` as a class. Prints one JSON object with the
same keys as `hotline nlu eval --json`."""
import json, sys, time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC


def load(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [r["text"] for r in rows], [r["intent"] for r in rows]


def main():
    train, test = sys.argv[1], sys.argv[2]
    oos = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    xtr, ytr = load(train)
    xte, yte = load(test)
    model = make_pipeline(
        FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]),
        LinearSVC(C=1.0),
    )
    start = time.perf_counter()
    model.fit(xtr, ytr)
    train_seconds = time.perf_counter() - start
    lat = []
    pred = []
    for text in xte:  # one utterance at a time, like the engine's latency figure
        t = time.perf_counter()
        pred.append(model.predict([text])[0])
        lat.append((time.perf_counter() - t) * 1e6)
    pred, yte = np.array(pred), np.array(yte)
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
