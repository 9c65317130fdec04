#!/usr/bin/env bash
# tools/setup.sh: install xlat's build, test and guest-image dependencies from
# Debian 12 packages. Does nothing when everything is already present.
set -euo pipefail

PKGS=(
    meson ninja-build gcc pkg-config
    libcapstone-dev libsdl2-dev libslirp-dev libglib2.0-dev libcriterion-dev
    busybox-static cpio
    qemu-system-x86
    qemu-user
)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
