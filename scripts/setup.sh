#!/bin/sh
# One-command setup on a fresh Debian machine: the Debian packages the tests and vmtest
# need (as root, or through sudo when not root), then the locked npm install and a build.
set -eu
cd "$(dirname "$0")/.."
pkgs="chromium busybox-static qemu-system-x86 gcc libc6-dev cpio xz-utils zstd kmod e2fsprogs xfsprogs ndctl daxctl"
if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
$as_root apt-get update
# shellcheck disable=SC2086 # the package list is split on purpose
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y $pkgs
npm ci
npm run build
