#!/usr/bin/env bash
# tools/mkguest.sh OUTDIR: build xlat's default guest, a Debian 12 kernel plus a
# busybox initramfs, without installing anything into the host.
#
#   OUTDIR/vmlinuz             the kernel of the linux-image-6.1.*-amd64 package
#                              that linux-image-amd64 currently depends on
#   OUTDIR/initramfs.cpio.gz   /bin/busybox (from busybox-static) and an /init
#                              that mounts proc, sys and devtmpfs, prints a
#                              banner and gives a shell on the serial console
#
# Idempotent: an output that is newer than its inputs is left alone.
# Boot it:  qemu-system-x86_64 -accel tcg -m 256M -nographic \
#             -kernel OUTDIR/vmlinuz -initrd OUTDIR/initramfs.cpio.gz \
#             -append console=ttyS0
set -euo pipefail

BANNER="xlat guest: busybox shell on the serial console"

die() {
    echo "mkguest: $*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: tools/mkguest.sh OUTDIR"
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SELF=$(readlink -f "$0")
TMPS=()
cleanup() {
    if [ ${#TMPS[@]} -gt 0 ]; then
        rm -rf "${TMPS[@]}"
    fi
}
trap cleanup EXIT

# The concrete kernel package behind the linux-image-amd64 metapackage.
kernel_package() {
    local dep
    dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*-amd64\)$/\1/p' |
        head -n 1)
    if [ -z "$dep" ]; then
        # an empty package list: refresh it once and ask again
        apt-get update -qq >/dev/null 2>&1 || true
        dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
            sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*-amd64\)$/\1/p' |
            head -n 1)
    fi
    [ -n "$dep" ] || die "cannot resolve linux-image-amd64 with apt-cache"
    echo "$dep"
}

# The kernel: download the .deb into OUT/pkg (kept, so a rerun is offline) and
# extract only boot/vmlinuz-*.
build_kernel() {
    local pkg deb tmp
    pkg=$(kernel_package)
    mkdir -p "$OUT/pkg"
    deb=$(ls "$OUT/pkg/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ]; then
        echo "mkguest: downloading $pkg"
        (cd "$OUT/pkg" && apt-get download -q "$pkg" >/dev/null) ||
            die "apt-get download $pkg failed"
        deb=$(ls "$OUT/pkg/${pkg}"_*.deb | head -n 1)
    fi
    if [ -f "$OUT/vmlinuz" ] && [ "$OUT/vmlinuz" -nt "$deb" ]; then
        return 0
    fi
    tmp=$(mktemp -d)
    TMPS+=("$tmp")
    dpkg-deb -x "$deb" "$tmp"
    cp "$tmp"/boot/vmlinuz-* "$OUT/vmlinuz.tmp"
    mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
    echo "mkguest: $OUT/vmlinuz from $(basename "$deb")"
}

write_init() {
    cat >"$1" <<EOF
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo
echo "$BANNER"
echo "kernel \$(uname -r), \$(grep -c ^processor /proc/cpuinfo) cpu(s)"
export PATH=/bin:/sbin:/usr/bin:/usr/sbin PS1='xlat# '
while true; do
    setsid cttyhack sh
    echo "shell exited; starting another"
done
EOF
    chmod 755 "$1"
}

# The initramfs: rebuilt when busybox or this script is newer than it.
build_initramfs() {
    local img=$OUT/initramfs.cpio.gz bb tmp
    bb=$(readlink -f /bin/busybox)
    [ -x "$bb" ] || die "/bin/busybox missing: install busybox-static"
    if ! (ldd "$bb" 2>&1 || true) | grep -q 'not a dynamic'; then
        die "/bin/busybox is not static: install busybox-static"
    fi
    if [ -f "$img" ] && [ "$img" -nt "$bb" ] && [ "$img" -nt "$SELF" ]; then
        return 0
    fi
    tmp=$(mktemp -d)
    TMPS+=("$tmp")
    mkdir -p "$tmp/bin" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/tmp"
    cp "$bb" "$tmp/bin/busybox"
    ln -s busybox "$tmp/bin/sh"
    write_init "$tmp/init"
    (cd "$tmp" && find . -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc --quiet --owner=0:0) |
        gzip -9 >"$img.tmp"
    mv "$img.tmp" "$img"
    echo "mkguest: $img"
}

build_kernel
build_initramfs
