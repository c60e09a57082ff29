/* COM1 output, buffered and flushed with `rep outsb` so KVM hands QEMU whole batches
 * instead of one exit per byte. QEMU's 16550 with a file backend never drops bytes. */
#include "hw.h"

static char buf[4096];
static u32 len;

void out_flush(void) {
  if (len == 0) return;
  const char *p = buf;
  u32 n = len;
  __asm__ volatile("cld; rep outsb" : "+S"(p), "+c"(n) : "d"((u16)COM1) : "memory");
  len = 0;
}

void out_char(char c) {
  if (len == sizeof buf) out_flush();
  buf[len++] = c;
}

void out_str(const char *s) {
  while (*s) out_char(*s++);
}

/* Lower-case hex without leading zeros, as QEMU trace events print values. */
void out_hex(u32 v) {
  char tmp[8];
  int n = 0;
  do {
    u32 d = v & 0xF;
    tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v >>= 4;
  } while (v != 0);
  while (n > 0) out_char(tmp[--n]);
}

/* isa-debug-exit: QEMU exits with status (code << 1) | 1. */
void guest_exit(u32 code) {
  out_flush();
  outb(DEBUG_EXIT_PORT, (u8)code);
  for (;;) __asm__ volatile("cli; hlt");
}

void fail(const char *why) {
  out_str("X ");
  out_str(why);
  out_char('\n');
  guest_exit(2);
}
