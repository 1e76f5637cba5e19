#!/usr/bin/env python3
# Used by scripts/check-architecture (run from the repository root).
"""Finds import cycles between sibling modules of each crate (crate::a ↔ crate::b, and
super::a ↔ super::b inside a module folder). Parent↔child references are not cycles."""
import os, re, sys
from collections import defaultdict

def modules_in(dir_):
    mods = {}
    for name in os.listdir(dir_):
        path = os.path.join(dir_, name)
        if name.endswith('.rs') and name not in ('lib.rs', 'main.rs', 'mod.rs'):
            mods[name[:-3]] = [path] + ([os.path.join(dir_, name[:-3])] if os.path.isdir(os.path.join(dir_, name[:-3])) else [])
        elif os.path.isdir(path) and os.path.exists(os.path.join(path, 'mod.rs')):
            mods.setdefault(name, []).append(path)
    return mods

def files_of(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
        else:
            for root, _, files in os.walk(p):
                for f in files:
                    if f.endswith('.rs'):
                        yield os.path.join(root, f)

def strip_tests(text):
    # `#[cfg(test)] mod tests { ... }` blocks reference freely; cut at the first cfg(test).
    # Comments (docs' intra-doc links included) are not imports.
    i = text.find('#[cfg(test)]')
    text = text if i < 0 else text[:i]
    return re.sub(r'//[^\n]*', '', text)

def cycles(graph):
    found, state, stack = [], {}, []
    def dfs(n):
        state[n] = 1; stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                dfs(m)
        stack.pop(); state[n] = 2
    for n in sorted(graph):
        if n not in state:
            dfs(n)
    return found

def check(dir_, prefix, label):
    bad = []
    mods = modules_in(dir_)
    graph = defaultdict(set)
    for m, paths in mods.items():
        graph[m]
        for f in files_of(paths):
            text = strip_tests(open(f, encoding='utf-8').read())
            # a file directly in this folder refers to siblings as `prefix::x`; files deeper
            # inside a module folder only through `crate::` paths (handled at the top level).
            for other in mods:
                if other != m and re.search(r'\b' + prefix + r'::(\{[^}]*\b|)' + re.escape(other) + r'\b', text):
                    graph[m].add(other)
    for c in cycles(graph):
        bad.append(f"{label}: modules import each other: {' -> '.join(c)}")
    # nested folders: sibling submodules refer to each other as super::x
    for m, paths in mods.items():
        for p in paths:
            if os.path.isdir(p):
                bad += check(p, 'super', f"{label}::{m}")
    return bad

problems = []
for crate in sorted(os.listdir('crates')):
    src = os.path.join('crates', crate, 'src')
    if os.path.isdir(src):
        problems += check(src, 'crate', crate)
for p in problems:
    print('architecture:', p, file=sys.stderr)
sys.exit(1 if problems else 0)
