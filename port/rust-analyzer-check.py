#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that rust-analyzer resolves each Rust file of the port.

Reads the rust-project.json of 'make rust-analyzer' and, from the root of
each crate it lists, follows the out-of-line module declarations (`mod x;`)
the way rust-analyzer does, skipping the ones whose #[cfg(CONFIG_...)] is
not among the crate's cfgs.  Every FILE given (a path in TREE) must be
reached, and a file that is #![cfg(CONFIG_...)] must have its cfg set.

Usage: port/rust-analyzer-check.py RUST_PROJECT_JSON TREE FILE...
"""
import json
import os
import re
import sys

MOD = re.compile(r'^\s*((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', re.M)
CFG = re.compile(r'#\[cfg\((CONFIG_\w+)\)\]')
INNER_CFG = re.compile(r'^#!\[cfg\((CONFIG_\w+)\)\]', re.M)


def walk(path, is_root, cfgs, seen):
    """Follow the modules declared in `path`; record every file reached."""
    path = os.path.realpath(path)
    if path in seen or not os.path.isfile(path):
        return
    text = open(path, encoding='utf-8').read()
    inner = INNER_CFG.findall(text)
    seen[path] = [c for c in inner if c not in cfgs]
    if seen[path]:
        return
    base, name = os.path.split(path)
    # A crate root or mod.rs declares its modules next to itself, any other
    # file in the folder of its own name.
    if not is_root and name != 'mod.rs':
        base = os.path.join(base, name[:-3])
    for attrs, mod in MOD.findall(text):
        if any(c not in cfgs for c in CFG.findall(attrs)):
            continue
        for cand in (os.path.join(base, mod + '.rs'), os.path.join(base, mod, 'mod.rs')):
            if os.path.isfile(cand):
                walk(cand, False, cfgs, seen)
                break


def main():
    project, tree, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    seen = {}
    for crate in json.load(open(project))['crates']:
        cfgs = {c.split('=')[0] for c in crate.get('cfg', [])}
        walk(crate['root_module'], True, cfgs, seen)
    bad = 0
    for f in files:
        p = os.path.realpath(os.path.join(tree, f))
        if p not in seen:
            print(f'{f}: not reached from any crate of {project}')
            bad = 1
        elif seen[p]:
            print(f'{f}: reached, but its #![cfg({seen[p][0]})] is not set for rust-analyzer')
            bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main())
