#!/bin/sh
# Build the irqcheck guest (multiboot v1, 32-bit, no libc) into guest/build/guest.elf, and
# the host-side ivshmem server QEMU's ivshmem-doorbell device connects to into guest/build/ivshmem-server.
# Objects go to a private directory and the ELF is renamed into place, so test workers that
# build at the same time never link each other's half-written objects.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
mkdir -p "$out"
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
CC=${CC:-gcc}
CFLAGS="-m32 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 -O2 -Wall -Wextra -Werror -std=gnu11"
for f in boot.S out.c cpu.c vtd.c msix.c main.c; do
  $CC $CFLAGS -c "$here/$f" -o "$work/${f%.*}.o"
done
$CC -m32 -nostdlib -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack -Wl,-T,"$here/link.ld" -o "$work/guest.elf" \
  "$work/boot.o" "$work/out.o" "$work/cpu.o" "$work/vtd.o" "$work/msix.o" "$work/main.o"
# The ivshmem server runs beside QEMU on the host and in the nested initramfs: static.
$CC -O2 -Wall -Wextra -Werror -std=gnu11 -static -o "$work/ivshmem-server" "$here/ivshmem-server.c"
mv "$work/ivshmem-server" "$out/ivshmem-server"
mv "$work/guest.elf" "$out/guest.elf"
echo "$out/guest.elf"
