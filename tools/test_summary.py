#!/usr/bin/env python3
"""Sum meson's test logs of one or more build dirs into one closing line.

Each meson test counts its Criterion cases when the log has a Criterion
"Synthesis" line, so the totals are test cases, not executables.
"""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| "
                   r"Failing: (\d+) \| Crashing: (\d+)")


def count(build):
    passed = failed = skipped = 0
    with open(f"{build}/meson-logs/testlog.json") as f:
        for line in f:
            t = json.loads(line)
            res = t["result"]
            m = SYNTH.search(t.get("stderr", "") + t.get("stdout", ""))
            if res == "SKIP":
                skipped += 1
            elif m:
                passed += int(m.group(2))
                failed += int(m.group(3)) + int(m.group(4))
                if res != "OK" and int(m.group(3)) + int(m.group(4)) == 0:
                    failed += 1  # the executable failed outside any case
            elif res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            else:
                failed += 1
    return passed, failed, skipped


def main():
    tot = [0, 0, 0]
    for b in sys.argv[1:]:
        p, f, s = count(b)
        print(f"{b}: {p} passed, {f} failed, {s} skipped")
        tot = [tot[0] + p, tot[1] + f, tot[2] + s]
    print(f"{tot[0]} passed, {tot[1]} failed, {tot[2]} skipped")


if __name__ == "__main__":
    main()
