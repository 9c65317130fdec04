#!/usr/bin/env bash
# tools/test.sh: install dependencies, build xlat and run every test suite,
# first in the normal build (warnings are errors), then in an ASan+UBSan build.
#
#   tools/test.sh              both builds
#   tools/test.sh --quick      the normal build only
#   tools/test.sh --suite S    only suite S (repeatable), both builds
#
# Ends with one line "N passed, N failed, N skipped" over both builds.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
suites=()
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --suite) suites+=(--suite "$2"); shift ;;
    *) echo "usage: tools/test.sh [--quick] [--suite NAME]..." >&2; exit 2 ;;
    esac
    shift
done

tools/setup.sh
# the default guest: boot tests load its real Debian kernel
tools/mkguest.sh build-guest
export XLAT_TEST_VMLINUZ="$PWD/build-guest/vmlinuz"
export XLAT_TEST_INITRD="$PWD/build-guest/initramfs.cpio.gz"

configure() { # dir, options...
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

jobs=$(nproc)
builds=(build)
configure build -Dwerror=true
if [ $quick -eq 0 ]; then
    builds+=(build-asan)
    configure build-asan -Dwerror=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbuildtype=debug
fi

status=0
for b in "${builds[@]}"; do
    echo "== build $b"
    ninja -C "$b" >/dev/null
    echo "== test $b"
    env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        CRITERION_VERBOSITY_LEVEL=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C "$b" --num-processes "$jobs" --print-errorlogs \
        "${suites[@]}" || status=1
done

python3 tools/test_summary.py "${builds[@]}"
exit $status
