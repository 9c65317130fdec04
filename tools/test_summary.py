#!/usr/bin/env python3
"""Sum meson's test logs of one or more build dirs into one closing line.

Each meson test counts its Criterion cases when the log has a Criterion
"Synthesis" line, so the totals are test cases, not executables. Skipped
Criterion cases (their "[SKIP] suite::name: reason" lines, printed with
CRITERION_VERBOSITY_LEVEL=1) and skipped meson tests are counted and listed
with their reasons.
"""
import json
import re
import sys

SKIP = re.compile(r"^\[SKIP\] (\S+): (.*)$", re.M)
SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| "
                   r"Failing: (\d+) \| Crashing: (\d+)")


def skip_reason(t):
    """The last line a skipped meson test printed: its reason."""
    lines = [x for x in (t.get("stdout", "") or "").splitlines() if x.strip()]
    return lines[-1] if lines else "(no reason printed)"


def count(build, skips):
    passed = failed = skipped = 0
    with open(f"{build}/meson-logs/testlog.json") as f:
        for line in f:
            t = json.loads(line)
            res = t["result"]
            out = (t.get("stderr", "") or "") + (t.get("stdout", "") or "")
            m = SYNTH.search(out)
            for name, why in SKIP.findall(out):
                skipped += 1
                skips.append(f"{build}: {t['name']}: {name}: {why}")
            if res == "SKIP":
                skipped += 1
                skips.append(f"{build}: {t['name']}: {skip_reason(t)}")
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
    skips = []
    for b in sys.argv[1:]:
        p, f, s = count(b, skips)
        print(f"{b}: {p} passed, {f} failed, {s} skipped")
        tot = [tot[0] + p, tot[1] + f, tot[2] + s]
    for line in skips:
        print(f"skipped: {line}")
    print(f"{tot[0]} passed, {tot[1]} failed, {tot[2]} skipped")


if __name__ == "__main__":
    main()
