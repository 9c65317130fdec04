#!/usr/bin/env bash
# tools/sysfuzz/run.sh: a long sysfuzz run in chunks of seeds, one process
# per chunk (niced, one core), so that a crash costs one chunk and names
# it. Ends with the totals per mode and the CPU-hours.
#
#   tools/sysfuzz/run.sh BUILD_DIR SECONDS [FIRST_SEED] [CHUNK] > LOG
set -uo pipefail
build=${1:?build dir}
secs=${2:?seconds}
seed=${3:-1000000}
chunk=${4:-500}
bin="$build/tools/sysfuzz/sysfuzz"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
end=$((SECONDS + secs))
stats=$(mktemp)
while [ $SECONDS -lt $end ]; do
    left=$((end - SECONDS))
    out=$(nice -n 10 "$bin" --seed "$seed" --count "$chunk" --secs "$left" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^SF' | grep -v '^  \(real\|prot\|v86\|long\|compat\|paging\)'
    printf '%s\n' "$out" | grep '^SF' >>"$stats"
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        echo "CRASH: exit $rc in chunk --seed $seed --count $chunk"
        printf '%s\n' "$out" | tail -40
    fi
    seed=$((seed + chunk))
done
python3 - "$stats" <<'PY'
import sys, collections
tot = collections.defaultdict(lambda: [0] * 9)
cpu = 0.0
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == 'SFCPU':
        cpu += float(f[1])
    elif f[0] == 'SFSTAT':
        t = tot[f[1]]
        for i, v in enumerate(f[2:]):
            t[i] += int(v)
n = sum(t[0] for t in tot.values())
print("TOTAL %d cases, %.1f CPU-seconds = %.3f CPU-hours" % (n, cpu, cpu / 3600))
print("mode     cases    hlt  triple budget  other   slow  diffs faults/case")
for m, t in tot.items():
    print("%-7s %6d %6d %6d %6d %6d %6d %6d %6.1f" %
          (m, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7] / max(t[0], 1)))
PY
rm -f "$stats"
