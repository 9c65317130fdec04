#!/usr/bin/env bash
# tools/run.sh: install dependencies, build xlat, build the default guest
# (a Debian kernel with a busybox initramfs, tools/mkguest.sh) and boot it on
# the serial console. Extra arguments go to xlat.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build >/dev/null
tools/mkguest.sh build-guest

exec build/xlat -M pc -m 512M -nographic \
    -kernel build-guest/vmlinuz -initrd build-guest/initramfs.cpio.gz \
    -append "console=ttyS0" "$@"
