#!/bin/sh
# Fetch the real systems `irqcheck real` can run on, from Debian's own archive, into a cache
# directory, without installing anything or touching the system's apt state:
#   qemu-10.0   QEMU 10.0.2 (bookworm-backports qemu-system-x86 + its -common/-data, seabios)
#   kernel-6.1  bookworm's linux-image-6.1.0-*-amd64 (vmlinuz + modules) for --kvm nested
#   kernel-6.12 bookworm-backports' linux-image-6.12.*-amd64
# Usage: debian-fetch.sh [qemu-10.0] [kernel-6.1] [kernel-6.12]   (default: all three)
# The archive entry lives only in a temporary apt configuration (own sources list, lists and
# cache directories), removed on exit; packages are unpacked with `dpkg -x`.
# Cache: $IRQCHECK_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/irqcheck (impl/real/install.ts).
set -eu
cache=${IRQCHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/irqcheck}
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ $# -gt 0 ] || set -- qemu-10.0 kernel-6.1 kernel-6.12

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$cache"
cat >"$tmp/sources.list" <<SRC
deb [signed-by=$keyring] $mirror bookworm main
deb [signed-by=$keyring] $mirror bookworm-backports main
SRC
apt_opts="-o Dir::Etc::SourceList=$tmp/sources.list -o Dir::Etc::SourceParts=/dev/null \
  -o Dir::State::Lists=$tmp/lists -o Dir::Cache=$tmp/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq"
updated=no
update() {
  [ $updated = yes ] && return
  # shellcheck disable=SC2086
  apt-get $apt_opts update
  updated=yes
}

# The versioned kernel package a linux-image-amd64 of this suite depends on (suite "bpo" or not).
kernel_package() {
  # shellcheck disable=SC2086
  apt-cache $apt_opts show linux-image-amd64 | awk -v want="$1" '
    /^Version:/ { bpo = ($2 ~ /bpo/) }
    /^Depends:/ && ((want == "bpo") == bpo) { split($2, d, " "); print d[1]; exit }'
}

# unpack DIR PACKAGE[/SUITE]...: download the packages and dpkg -x them into DIR (atomically).
unpack() {
  dir=$1
  shift
  [ -f "$cache/$dir/.complete" ] && { echo "$cache/$dir (cached)"; return; }
  update
  rm -rf "$tmp/deb" "$cache/$dir.part"
  mkdir -p "$tmp/deb" "$cache/$dir.part"
  # shellcheck disable=SC2086
  (cd "$tmp/deb" && apt-get $apt_opts download "$@")
  for deb in "$tmp/deb"/*.deb; do
    dpkg -x "$deb" "$cache/$dir.part"
    basename "$deb" >>"$cache/$dir.part/.packages"
  done
  rm -rf "$cache/$dir"
  mv "$cache/$dir.part" "$cache/$dir"
  touch "$cache/$dir/.complete"
  echo "$cache/$dir"
}

for what in "$@"; do
  case $what in
    qemu-10.0)
      unpack qemu-10.0 qemu-system-x86/bookworm-backports qemu-system-common/bookworm-backports \
        qemu-system-data/bookworm-backports seabios/bookworm-backports
      ;;
    kernel-6.1)
      [ -f "$cache/kernel-6.1/.complete" ] || { update; unpack kernel-6.1 "$(kernel_package main)/bookworm"; }
      ;;
    kernel-6.12)
      [ -f "$cache/kernel-6.12/.complete" ] || { update; unpack kernel-6.12 "$(kernel_package bpo)/bookworm-backports"; }
      ;;
    *)
      echo "debian-fetch.sh: unknown target '$what' (expected qemu-10.0, kernel-6.1 or kernel-6.12)" >&2
      exit 2
      ;;
  esac
done
