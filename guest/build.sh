#!/bin/sh
# Build the irqcheck guest (multiboot v1, 32-bit, no libc) into guest/build/guest.elf.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
mkdir -p "$out"
CC=${CC:-gcc}
CFLAGS="-m32 -ffreestanding -nostdlib -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 -O2 -Wall -Wextra -Werror -std=gnu11"
for f in boot.S out.c cpu.c vtd.c main.c; do
  $CC $CFLAGS -c "$here/$f" -o "$out/${f%.*}.o"
done
$CC -m32 -nostdlib -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack -Wl,-T,"$here/link.ld" -o "$out/guest.elf.tmp" \
  "$out/boot.o" "$out/out.o" "$out/cpu.o" "$out/vtd.o" "$out/main.o"
mv "$out/guest.elf.tmp" "$out/guest.elf"
echo "$out/guest.elf"
