#!/usr/bin/env python3
"""Measure function and file sizes against the house style (STYLE 3.1).

A function runs from a column-0 '{' (or a line ending in ') {') to the next
column-0 '}'. Hard limits: functions 150 lines, .c files 1500 lines, headers
300 lines (.def tables and generated files exempt). A function preceded by a
line containing 'style: dispatch' (the interpreter's or a backend's op switch)
is exempt from the function cap. Prints the median and p90 function length
and every breach; exits 1 on a breach of a hard limit.
"""
import os
import statistics
import sys

FN_CAP, C_CAP, H_CAP, FN_WARN = 150, 1500, 300, 80


def functions(lines):
    start = None
    exempt = False
    for i, line in enumerate(lines):
        if start is None and (line.startswith("{") or
                              (line.endswith(") {") and not line[0].isspace()
                               and not line.startswith(("if", "for", "while",
                                                        "switch", "#")))):
            start = i
            head = lines[max(0, i - 6):i + 1]
            exempt = any("style: dispatch" in h for h in head)
        elif start is not None and line.startswith("}"):
            yield start, i - start + 1, exempt
            start = None


def main():
    roots = sys.argv[1:] or ["src"]
    sizes, errors, warns = [], [], []
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                if not name.endswith((".c", ".h")):
                    continue
                with open(path, errors="replace") as f:
                    lines = f.read().split("\n")
                n = len(lines)
                if name.endswith(".c") and n > C_CAP:
                    errors.append(f"{path}: {n} lines (cap {C_CAP})")
                if name.endswith(".h") and n > H_CAP:
                    warns.append(f"{path}: header of {n} lines (aim {H_CAP})")
                for start, length, exempt in functions(lines):
                    sizes.append(length)
                    where = f"{path}:{start + 1}: function of {length} lines"
                    if length > FN_CAP and not exempt:
                        errors.append(where + f" (cap {FN_CAP})")
                    elif length > FN_WARN and not exempt:
                        warns.append(where)
    if sizes:
        sizes.sort()
        p90 = sizes[int(len(sizes) * 0.9)]
        print(f"{len(sizes)} functions: median {statistics.median(sizes)} "
              f"lines, p90 {p90}, largest {sizes[-1]}")
    for w in warns:
        print("note:", w)
    for e in errors:
        print("error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
