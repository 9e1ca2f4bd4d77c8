#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks minnow's layering from the code's own #include lines (docs/DESIGN.md, "Layers").

Fails (exit 1) when
  - a folder includes a folder of its own rank or above (firmware/ including net/, devices/
    including vmm/, ...), or a folder that is not in the layer table;
  - the modules (x.c and x.h taken as one) depend on each other in a circle, in the VMM or
    in the probe guest: a module depends on the headers it includes, and a header that
    declares functions another .c file defines depends on that file;
  - a source file is longer than 800 lines.

Usage: layers.py [TOP]   (TOP: the repository root; default: this script's parent's parent)
"""
import os
import re
import sys

# Bottom to top. A folder may include only folders of a strictly lower rank, and itself.
RANKS = {
    "base": 0,
    "firmware": 1,
    "net": 1,
    "gdb": 1,
    "devices": 2,
    "devices/virtio": 3,
    "vmm": 4,
}
# Programs of their own: checked for module circles and length, not ranked.
PROGRAMS = ["guest-images/probe"]
MAX_LINES = 800
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A file-scope prototype in a header, and a function definition at the start of a line in a .c
# file (kernel style: the name and its '(' on the line that starts the definition).
DECL = re.compile(r'^(?!static|typedef|#|\s)[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)'
                  r'[^;{}]*;', re.M)
DEFN = re.compile(r'^(?!static|typedef|#|\s)[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)'
                  r'[^;{}]*\{', re.M)


def sources(top, folder):
    out = []
    for name in sorted(os.listdir(os.path.join(top, folder))):
        path = os.path.join(folder, name)
        if name.endswith((".c", ".h")) and os.path.isfile(os.path.join(top, path)):
            out.append(path)
    return out


def resolve(top, src, inc):
    """The repository path an include names: relative to the file first, then to the root."""
    here = os.path.normpath(os.path.join(os.path.dirname(src), inc))
    if os.path.isfile(os.path.join(top, here)):
        return here
    if os.path.isfile(os.path.join(top, inc)):
        return os.path.normpath(inc)
    return None


def module(path):
    return os.path.splitext(path)[0]


def circles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    problems = []
    folders = [f for f in RANKS if os.path.isdir(os.path.join(top, f))]
    folders += [p for p in PROGRAMS if os.path.isdir(os.path.join(top, p))]
    graph = {}
    edges = set()
    declared, defined = {}, {}  # function -> the module whose header declares / .c defines it
    for folder in folders:
        for src in sources(top, folder):
            with open(os.path.join(top, src), encoding="utf-8") as f:
                text = f.read()
            lines = text.count("\n")
            if lines > MAX_LINES:
                problems.append(f"{src}: {lines} lines (at most {MAX_LINES})")
            mod = module(src)
            graph.setdefault(mod, set())
            code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
            for name in DECL.findall(code) if src.endswith(".h") else []:
                declared.setdefault(name, mod)
            for name in DEFN.findall(code) if src.endswith(".c") else []:
                defined[name] = mod
            for inc in INCLUDE.findall(text):
                dst = resolve(top, src, inc)
                if dst is None:
                    continue  # a system or generated header
                dst_folder = os.path.dirname(dst)
                if module(dst) != mod:
                    graph[mod].add(module(dst))
                if dst_folder == folder:
                    continue
                edges.add((folder, dst_folder))
                if folder in PROGRAMS:
                    problems.append(f"{src} includes {dst}: {folder} is a program of its own")
                elif dst_folder not in RANKS:
                    problems.append(f"{src} includes {dst}: {dst_folder}/ is not a layer")
                elif RANKS[dst_folder] >= RANKS[folder]:
                    problems.append(f"{src} includes {dst}: {folder}/ (rank {RANKS[folder]}) "
                                    f"may not include {dst_folder}/ (rank {RANKS[dst_folder]})")
    # A header that declares another module's functions makes its includers depend on that
    # module: the calls count, not only the includes.
    for name, mod in declared.items():
        if defined.get(name, mod) != mod:
            graph[mod].add(defined[name])
    for comp in circles(graph):
        inside = [f"{os.path.basename(a)}->{os.path.basename(b)}" for a in comp
                  for b in sorted(graph[a]) if b in comp]
        problems.append(f"modules in a circle: {', '.join(comp)} (edges: {' '.join(inside)})")

    for folder in sorted(RANKS, key=lambda f: (RANKS[f], f)):
        below = sorted(d for s, d in edges if s == folder)
        print(f"{RANKS[folder]} {folder + '/':16} -> {', '.join(d + '/' for d in below) or '-'}")
    for p in problems:
        print("LAYERS:", p)
    print(f"{len(graph)} modules in {len(folders)} folders, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
