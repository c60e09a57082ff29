#!/bin/busybox sh
# /init of the --kvm nested initramfs (impl/real/nested.ts). Loads the KVM modules of the
# Debian kernel it runs under (QEMU TCG, -cpu max: emulated AMD SVM), then runs every job in
# /jobs with the inner QEMU exactly as the host runner does (-accel kvm), each from the
# sequence in its `first` file, restarting a job at the sequence its guest asks for (`W n`:
# patches the scenario header's first-sequence word). When QEMU ends inside a sequence - it
# died (impl/real/aborts.ts), hung (no serial output for STALL_SECONDS: killed, exit 124)
# or ran out of time - it says so and powers off: after one such abort the next inner QEMU
# was seen to lock up the outer kernel (soft lockup under TCG), so the runner boots a fresh
# outer machine that resumes after that sequence. Before each inner boot it starts the
# job's ivshmem servers (`servers`: socket and vector count a line).
# Everything goes to the second serial port, one block per inner boot:
#   N <text>                            kernel release / setup notes
#   B <job> <first> <exit> <t0> <t1>    an inner boot (uptime seconds at start and end)
#   <the guest's serial lines>          (guest/README.md)
#   ! <line>                            the inner QEMU's last stderr lines
#   E                                   end of the boot's block
#   A <job>                             its inner QEMU ended inside a sequence; nothing follows
#   Q                                   all jobs done
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
out=/dev/ttyS1
STALL_SECONDS=120
stty -F "$out" raw -echo 2>/dev/null
say() { echo "$*" >"$out"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
say "N kernel $(uname -r)"
for m in /modules/*.ko; do
  insmod "$m" 2>/tmp/insmod || say "N insmod ${m##*/}: $(cat /tmp/insmod)"
done
if [ ! -e /dev/kvm ]; then
  say "X no /dev/kvm after loading the KVM modules ($(dmesg | grep -i -m 3 -E 'kvm|svm' | tr '\n' ';'))"
  poweroff -f
fi
for job in /jobs/*; do
  first=$(cat "$job/first")
  while :; do
    : >/tmp/serial
    while read -r sock vectors; do
      /ivshmem-server "$sock" "$vectors" "$(($(cat "$job/timeout") + 10))" 2>/tmp/ivshmem.err ||
        say "N ivshmem-server $sock: $(cat /tmp/ivshmem.err)"
    done <"$job/servers"
    t0=$(uptime_s)
    # shellcheck disable=SC2046
    timeout -s KILL "$(cat "$job/timeout")" /qemu/qemu-system-x86_64 $(cat "$job/args") \
      -initrd "$job/scenario.bin" -serial file:/tmp/serial 2>/tmp/stderr </dev/null &
    qemu=$!
    # Watchdog: a guest prints a line a step, so STALL_SECONDS without serial output is a
    # hang; QEMU is killed and the boot reported with exit 124 (timed out).
    size=0 quiet=0 stalled=0
    while kill -0 "$qemu" 2>/dev/null; do
      sleep 1
      now=$(wc -c </tmp/serial)
      if [ "$now" = "$size" ]; then quiet=$((quiet + 1)); else quiet=0 size=$now; fi
      if [ "$quiet" -ge "$STALL_SECONDS" ]; then
        kill -KILL "$qemu" 2>/dev/null
        stalled=1
      fi
    done
    wait "$qemu"
    code=$?
    [ "$stalled" = 1 ] && code=124
    say "B ${job##*/} $first $code $t0 $(uptime_s)"
    cat /tmp/serial >"$out"
    tail -n 3 /tmp/stderr | sed 's/^/! /' >"$out"
    say "E"
    grep -q -e '^Z' -e '^X' /tmp/serial && break
    w=$(sed -n 's/^W \([0-9a-f]*\)$/\1/p' /tmp/serial | tail -n 1)
    if [ -z "$w" ] && grep -q '^S ' /tmp/serial; then
      say "A ${job##*/}"
      poweroff -f
    fi
    [ -n "$w" ] || break
    n=$((0x$w))
    [ "$n" -gt "$first" ] || break
    first=$n
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24 & 255)))" |
      dd of="$job/scenario.bin" bs=1 seek=12 count=4 conv=notrunc 2>/dev/null
  done
done
say "Q"
poweroff -f
