#!/usr/bin/env python3
"""Print the module dependency graph of generator/src and fail on a cycle.

One line per module: `module -> the modules it names` (through `crate::`, `super::`,
`self::` or a child module's name; the binary's `lyceum::` counts as `crate::`). Comments,
doc comments and string literals are skipped, so a doc link is not a dependency; `#[cfg(test)]`
modules are skipped too (tests may reach anywhere); an inline `mod x { }` counts as its file. Exit status 1 and the cycles on stderr
when the graph has one. Usage: scripts/module-graph.sh [SRC_DIR]
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "generator", "src")
SRC = os.path.normpath(SRC)


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    if parts == ["main"]:
        return ("main",)
    return tuple(parts)


def strip(text):
    """Drop comments, string and char literals (keeping line structure loosely)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or re.match(r"'\\u\{[0-9a-fA-F]+\}'", text[i:i + 12] if c == "'" else ""):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            i += len(m.group(0))
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_test_modules(text):
    """Remove `#[cfg(test)] mod name { ... }` blocks (after stripping, braces balance)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
        if not m:
            return text
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[:m.start()] + text[i:]


def flatten_inline_modules(text):
    """An inline `mod name { ... }` is part of its file's module here: its `super::` is the
    file's `self::` (one level of nesting, all this crate has)."""
    out, pos = [], 0
    for m in re.finditer(r"\bmod\s+\w+\s*\{", text):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append(text[pos:m.end()])
        out.append(re.sub(r"\bsuper::", "self::", text[m.end():i]))
        pos = i
    out.append(text[pos:])
    return "".join(out)


def expand_use(tree):
    """`a::{b, c::{d, e}}` → ['a::b', 'a::c::d', 'a::c::e']."""
    tree = tree.strip()
    depth = 0
    for k, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                prefix, inner = tree[:k], tree[k + 1:tree.rindex("}")]
                parts, d, start = [], 0, 0
                for j, c2 in enumerate(inner):
                    d += {"{": 1, "}": -1}.get(c2, 0)
                    if c2 == "," and d == 0:
                        parts.append(inner[start:j])
                        start = j + 1
                parts.append(inner[start:])
                return [p for part in parts if part.strip() for p in expand_use(prefix + part.strip())]
            depth += 1
    return [re.sub(r"\s+as\s+\w+$", "", tree)]


def main():
    files = {}
    for dirpath, _, names in os.walk(SRC):
        for name in names:
            if name.endswith(".rs"):
                rel = os.path.relpath(os.path.join(dirpath, name), SRC)
                files[module_of(rel)] = os.path.join(dirpath, name)
    modules = set(files)
    reexports = {}
    if () in modules:
        with open(files[()], encoding="utf-8") as f:
            root = strip(f.read())
        for m in re.finditer(r"\bpub\s+use\s+([^;]+);", root):
            for p in expand_use(m.group(1)):
                segs = [s for s in re.split(r"\s*::\s*", p) if s and s not in ("crate", "self")]
                if len(segs) >= 2 and (segs[0],) in modules:
                    target = (segs[0],)
                    for s in segs[1:-1]:
                        if target + (s,) in modules:
                            target = target + (s,)
                    reexports[segs[-1]] = target
    graph = {}
    for mod, path in sorted(files.items()):
        with open(path, encoding="utf-8") as f:
            text = flatten_inline_modules(drop_test_modules(strip(f.read())))
        in_bin = mod == ("main",) or mod[:1] == ("cmd",)
        crate_root = () if not in_bin else ("<bin>",)
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            paths += expand_use(m.group(1))
        paths += [m.group(0) for m in re.finditer(r"\b(?:\w+::)+\w+", text)]
        deps = set()
        here = mod if mod != ("main",) else ()
        for p in paths:
            segs = [s for s in re.split(r"\s*::\s*", p) if s]
            if not segs:
                continue
            head = segs[0]
            if head == "crate":
                base, rest = list(crate_root), segs[1:]
            elif head == "lyceum" and in_bin:
                base, rest = [], segs[1:]
            elif head in ("super", "self"):
                base = list(here)
                while segs and segs[0] in ("super", "self"):
                    if segs[0] == "super":
                        base = base[:-1]
                    segs = segs[1:]
                rest = segs
            elif tuple(here) + (head,) in modules:
                base, rest = list(here), segs
            elif here == () and (head,) in modules:
                base, rest = [], segs
            else:
                continue
            if base[:1] == ["<bin>"]:
                base = []
            target = tuple(base)
            for s in rest:
                if target + (s,) in modules:
                    target = target + (s,)
                else:
                    break
            if target in modules and target != mod and target != ():
                deps.add(target)
            elif target == () and rest and rest[0] in reexports:
                # `crate::Item` re-exported at the root: a dependency on Item's module.
                deps.add(reexports[rest[0]])
        graph[mod] = deps
    name = lambda m: "::".join(m) if m else "lib"
    for mod in sorted(graph, key=name):
        print(f"{name(mod)} -> {', '.join(sorted(name(d) for d in graph[mod])) or '(nothing)'}")
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    nodes = {name(m): {name(d) for d in ds} for m, ds in graph.items()}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in nodes.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    if sccs:
        for comp in sccs:
            print("cycle: " + " <-> ".join(comp), file=sys.stderr)
        sys.exit(1)
    print(f"{len(nodes)} modules, no cycles", file=sys.stderr)


main()
