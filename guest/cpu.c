/* vCPU control: IDT, the accept window, LAPIC EOI and state dumps, and the AP (cpu 1),
 * driven by cpu 0 through a mailbox in shared memory.
 * cpu.accept = open an IF=1 window until the CPU takes one interrupt (IRR -> ISR, SDM
 * §10.8.3.1); the handler records the vector and does not EOI. cpu.eoi = LAPIC EOI write. */
#include "guest.h"

extern u8 isr_stubs[];
extern u32 idt[];
extern u8 ap_tramp_start[], ap_tramp_end[];

struct percpu {
  volatile i32 taken;
  volatile u32 accepting;
};
static struct percpu pcpu[MAX_CPUS];

enum { AP_ACCEPT = 1, AP_EOI, AP_DUMP, AP_DRAIN };
static struct {
  volatile u32 req, done, op, ready;
  volatile i32 result;
  volatile u32 ldr, dfr;
  u32 regs[LAPIC_WORDS];
} mbox;

void idt_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 a = (u32)isr_stubs + 16 * i;
    idt[2 * i] = (a & 0xFFFF) | (0x08u << 16);
    idt[2 * i + 1] = (a & 0xFFFF0000u) | 0x8E00u; /* present, 32-bit interrupt gate */
  }
}

static u32 my_id(void) { return lapic_read(LAPIC_ID) >> 24; }

void isr_dispatch(u32 vec) {
  u32 id = my_id();
  if (id >= MAX_CPUS || !pcpu[id].accepting) {
    out_str("X unexpected vector ");
    out_hex(vec);
    out_str(" on apic ");
    out_hex(id);
    out_char('\n');
    guest_exit(3);
  }
  pcpu[id].taken = (i32)vec;
  pcpu[id].accepting = 0;
}

void lapic_setup(u32 ldr, u32 dfr) {
  lapic_write(LAPIC_SVR, 0x1FF); /* software enable, spurious vector 0xFF */
  lapic_write(LAPIC_TPR, 0);
  lapic_write(0x320, 0x10000); /* LVT timer, LINT0, LINT1, error: masked */
  lapic_write(0x350, 0x10000);
  lapic_write(0x360, 0x10000);
  lapic_write(0x370, 0x10000);
  lapic_write(LAPIC_DFR, dfr);
  lapic_write(LAPIC_LDR, ldr);
}

static i32 highest(u32 base) {
  for (i32 w = 7; w >= 0; w--) {
    u32 v = lapic_read(base + 0x10u * (u32)w);
    if (v) return w * 32 + 31 - __builtin_clz(v);
  }
  return -1;
}

/* An interrupt is deliverable if its priority class is above PPR (TPR is 0): SDM §10.8.3.1. */
static i32 eligible(void) {
  i32 irr = highest(LAPIC_IRR), isr = highest(LAPIC_ISR);
  if (irr < 0) return 0;
  return (irr & 0xF0) > (isr < 0 ? 0 : (isr & 0xF0));
}

static i32 accept_local(void) {
  u32 id = my_id();
  i32 want = eligible();
  /* No PAUSE here: under kvm_pvm every PAUSE traps and costs ~10 us. */
  u32 limit = want ? 200000000u : 20000u;
  pcpu[id].taken = -1;
  pcpu[id].accepting = 1;
  barrier();
  __asm__ volatile("sti");
  for (u32 n = 0; n < limit && pcpu[id].taken < 0; n++) barrier();
  __asm__ volatile("cli" ::: "memory");
  pcpu[id].accepting = 0;
  if (pcpu[id].taken < 0) return want ? -2 : -1;
  return pcpu[id].taken;
}

static i32 eoi_local(void) {
  i32 v = highest(LAPIC_ISR);
  lapic_write(LAPIC_EOI, 0);
  return v;
}

static void dump_local(u32 *out) {
  for (u32 i = 0; i < 8; i++) {
    out[i] = lapic_read(LAPIC_IRR + 0x10 * i);
    out[8 + i] = lapic_read(LAPIC_ISR + 0x10 * i);
    out[16 + i] = lapic_read(LAPIC_TMR + 0x10 * i);
  }
}

/* Between sequences: take and end everything, then clear TMR bits by re-raising each such
 * vector as an edge self-IPI (an edge acceptance clears TMR, SDM §10.8.4). */
static u32 drain_local(void) {
  for (u32 n = 0; n < 1024; n++) {
    if (highest(LAPIC_ISR) >= 0) {
      lapic_write(LAPIC_EOI, 0);
    } else if (eligible()) {
      accept_local();
    } else {
      break;
    }
  }
  for (u32 w = 0; w < 8; w++) {
    u32 t = lapic_read(LAPIC_TMR + 0x10 * w);
    while (t) {
      u32 v = w * 32 + (u32)__builtin_ctz(t);
      t &= t - 1;
      if (v < 16) continue;
      lapic_write(LAPIC_ICR_LO, 0x44000u | v); /* self shorthand, fixed, edge */
      accept_local();
      lapic_write(LAPIC_EOI, 0);
    }
  }
  u32 r[LAPIC_WORDS];
  dump_local(r);
  for (u32 i = 0; i < LAPIC_WORDS; i++)
    if (r[i]) return 0;
  return 1;
}

static i32 ap_call(u32 op) {
  mbox.op = op;
  barrier();
  u32 want = mbox.req + 1;
  mbox.req = want;
  for (u32 n = 0; mbox.done != want; n++) {
    cpu_relax();
    if (n > 200000000u) fail("AP does not answer the mailbox");
  }
  barrier();
  return mbox.result;
}

/* Every AP operation also dumps its LAPIC, so the next cpu_dump(1) costs no round trip:
 * on a loaded host one round trip takes milliseconds (the AP's vCPU thread must run). */
static u32 ap_fresh;
static i32 ap_op(u32 op) {
  i32 r = ap_call(op);
  ap_fresh = 1;
  return r;
}

i32 cpu_accept(u32 cpu) { return cpu == 0 ? accept_local() : ap_op(AP_ACCEPT); }
i32 cpu_eoi(u32 cpu) { return cpu == 0 ? eoi_local() : ap_op(AP_EOI); }
u32 cpu_drain(u32 cpu) { return cpu == 0 ? drain_local() : (u32)ap_op(AP_DRAIN); }

void cpu_dump(u32 cpu, u32 *out) {
  if (cpu == 0) {
    dump_local(out);
    return;
  }
  if (!ap_fresh) ap_call(AP_DUMP);
  ap_fresh = 0;
  for (u32 i = 0; i < LAPIC_WORDS; i++) out[i] = mbox.regs[i];
}

void ap_main(void) {
  lapic_setup(mbox.ldr, mbox.dfr);
  mbox.ready = 1;
  for (;;) {
    while (mbox.req == mbox.done) cpu_relax();
    barrier();
    i32 r = 0;
    switch (mbox.op) {
      case AP_ACCEPT: r = accept_local(); break;
      case AP_EOI: r = eoi_local(); break;
      case AP_DRAIN: r = (i32)drain_local(); break;
    }
    dump_local(mbox.regs);
    mbox.result = r;
    barrier();
    mbox.done = mbox.req;
  }
}

/* INIT-SIPI-SIPI to APIC ID 1 (SDM §8.4.4.1), trampoline at 0x8000 (SIPI vector 0x08). */
void ap_start(u32 ldr, u32 dfr) {
  u8 *dst = (u8 *)0x8000;
  for (u8 *s = ap_tramp_start; s < ap_tramp_end; s++) *dst++ = *s;
  mbox.ldr = ldr;
  mbox.dfr = dfr;
  lapic_write(LAPIC_ICR_HI, 1u << 24);
  lapic_write(LAPIC_ICR_LO, 0xC500); /* INIT, level, assert */
  lapic_write(LAPIC_ICR_HI, 1u << 24);
  lapic_write(LAPIC_ICR_LO, 0x8500); /* INIT, level, de-assert */
  for (u32 attempt = 0; attempt < 2 && !mbox.ready; attempt++) {
    lapic_write(LAPIC_ICR_HI, 1u << 24);
    lapic_write(LAPIC_ICR_LO, 0x4608); /* SIPI, vector 0x08 */
    for (u32 n = 0; n < 50000000u && !mbox.ready; n++) cpu_relax();
  }
  if (!mbox.ready) fail("AP did not start");
}
