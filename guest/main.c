/* irqcheck guest, cpu 0: read the scenario module, run each sequence, print what the guest
 * sees after every command on COM1 (format: guest/README.md), reset between sequences. */
#include "guest.h"

struct mb_info { u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_module { u32 start, end, string, reserved; };

static const u8 *sp, *send; /* scenario cursor and end */
static u32 ncpus, iommu;

static u32 rd8(void) {
  if (sp >= send) fail("scenario truncated");
  return *sp++;
}
static u32 rd16(void) { u32 v = rd8(); return v | (rd8() << 8); }
static u32 rd32(void) { u32 v = rd16(); return v | (rd16() << 16); }

/* ---- IOAPIC (82093AA §3.0; QEMU ioapic_mem_read/ioapic_mem_write) ---- */
static u32 sel = 0x100;     /* IOREGSEL as last written; 0x100 = unknown */
static u32 shadow[2 * NPINS]; /* RTE words as last read */
static u32 ioapic_id;
/* QEMU 7.2 refreshes the KVM routes at the end of every IOAPIC write, IOREGSEL included
 * (semantics.md §1.8, pre-fix). After irte.write / ir.control the routes may be behind
 * guest memory; an IOREGSEL write made only to dump state would refresh them. */
static u32 routes_behind, perturbed;
/* What a sequence touched, so the reset only undoes that: pins, raised lines, the ID. */
static u32 dirty_pins = 0xFFFFFF, raised_lines = 0xFFFE, dirty_id = 1;

static void ioapic_select(u32 reg, u32 for_dump) {
  if (sel == reg) return;
  mmio_write(IOAPIC_BASE + IOAPIC_SEL, reg);
  sel = reg;
  if (for_dump && routes_behind) perturbed = 1;
  routes_behind = 0;
}
static u32 ioapic_get(u32 reg, u32 for_dump) {
  ioapic_select(reg, for_dump);
  u32 v = mmio_read(IOAPIC_BASE + IOAPIC_WIN);
  if (reg >= 0x10 && reg < 0x10 + 2 * NPINS) shadow[reg - 0x10] = v;
  if (reg == 0) ioapic_id = (v >> 24) & 0xF;
  return v;
}
static void ioapic_set(u32 reg, u32 value) {
  if (reg >= 0x10 && reg < 0x10 + 2 * NPINS) dirty_pins |= 1u << ((reg - 0x10) / 2);
  if (reg == 0) dirty_id = 1;
  ioapic_select(reg, 0);
  mmio_write(IOAPIC_BASE + IOAPIC_WIN, value);
  routes_behind = 0;
}
static u32 is_level(u32 pin) { return (shadow[2 * pin] >> 15) & 1; }

/* ---- printed state: the runner starts each sequence from the reset values ---- */
static u32 pr_rte[2 * NPINS], pr_id, pr_lapic[MAX_CPUS][LAPIC_WORDS], pr_frcd[16], pr_fsts, pr_pba[MAX_MSIX_DEVS];
static u32 cur_lapic[MAX_CPUS][LAPIC_WORDS];

static void printed_reset(void) {
  for (u32 p = 0; p < NPINS; p++) {
    pr_rte[2 * p] = 0x10000;
    pr_rte[2 * p + 1] = 0;
  }
  pr_id = 0;
  for (u32 c = 0; c < MAX_CPUS; c++)
    for (u32 i = 0; i < LAPIC_WORDS; i++) pr_lapic[c][i] = cur_lapic[c][i] = 0;
  for (u32 i = 0; i < 16; i++) pr_frcd[i] = 0;
  pr_fsts = 0;
  for (u32 i = 0; i < MAX_MSIX_DEVS; i++) pr_pba[i] = 0;
}

static void out_words(const u32 *w, u32 n) {
  for (u32 i = 0; i < n; i++) {
    out_char(i ? ',' : ' ');
    out_hex(w[i]);
  }
}

/* M (PBA) of every MSI-X device: only msi.* commands can change a pending bit. */
static void dump_pba(void) {
  for (u32 i = 0; i < msix_devices(); i++) {
    u32 pba = msix_pending(i);
    if (pba == pr_pba[i]) continue;
    pr_pba[i] = pba;
    out_str("M ");
    out_hex(i);
    out_char(' ');
    out_hex(pba);
    out_char('\n');
  }
}

/* Print what changed since the last step: T (RTE), D (IOAPIC ID), L (LAPIC of the vCPUs in
 * cpu_mask; the others cannot have changed), F/P (VT-d). */
static void dump(u32 cpu_mask) {
  for (u32 p = 0; p < NPINS; p++) {
    if (shadow[2 * p] == pr_rte[2 * p] && shadow[2 * p + 1] == pr_rte[2 * p + 1]) continue;
    pr_rte[2 * p] = shadow[2 * p];
    pr_rte[2 * p + 1] = shadow[2 * p + 1];
    out_str("T ");
    out_hex(p);
    out_words(&shadow[2 * p], 2);
    out_char('\n');
  }
  if (ioapic_id != pr_id) {
    pr_id = ioapic_id;
    out_str("D ");
    out_hex(ioapic_id);
    out_char('\n');
  }
  for (u32 c = 0; c < ncpus; c++) {
    if (!(cpu_mask & (1u << c))) continue;
    cpu_dump(c, cur_lapic[c]);
    u32 diff = 0;
    for (u32 i = 0; i < LAPIC_WORDS; i++) diff |= cur_lapic[c][i] ^ pr_lapic[c][i];
    if (!diff) continue;
    for (u32 i = 0; i < LAPIC_WORDS; i++) pr_lapic[c][i] = cur_lapic[c][i];
    out_str("L ");
    out_hex(c);
    out_words(cur_lapic[c], 8);
    out_words(cur_lapic[c] + 8, 8);
    out_words(cur_lapic[c] + 16, 8);
    out_char('\n');
  }
  if (!iommu) return;
  u32 frcd[16], fsts, nfr = vtd_nfr();
  vtd_dump(frcd, &fsts);
  for (u32 i = 0; i < nfr && i < 4; i++) {
    u32 diff = 0;
    for (u32 w = 0; w < 4; w++) diff |= frcd[4 * i + w] ^ pr_frcd[4 * i + w];
    if (!diff) continue;
    for (u32 w = 0; w < 4; w++) pr_frcd[4 * i + w] = frcd[4 * i + w];
    out_str("F ");
    out_hex(i);
    out_words(&frcd[4 * i], 4);
    out_char('\n');
  }
  if (fsts != pr_fsts) {
    pr_fsts = fsts;
    out_str("P ");
    out_hex(fsts);
    out_char('\n');
  }
}

/* Re-read the low word of level pins whose Remote IRR may have changed (vector < 0: all). */
static void refresh_level_pins(i32 vector) {
  for (u32 p = 0; p < NPINS; p++)
    if (is_level(p) && (vector < 0 || (shadow[2 * p] & 0xFF) == (u32)vector)) ioapic_get(0x10 + 2 * p, 1);
}

static void line(u32 pin, u32 level) {
  if (pin == 0 || pin >= 16) fail("line pin outside 1..15 (pc-testdev drives ISA IRQs)");
  if (level) raised_lines |= 1u << pin;
  outb((u16)(TESTDEV_IRQ_PORT + pin), (u8)level);
}

static void print_vec(char tag, u32 cpu, i32 v) {
  out_char(tag);
  out_char(' ');
  out_hex(cpu);
  out_char(' ');
  if (v >= 0) out_hex((u32)v);
  else out_str(v == -1 ? "-" : "-!");
  out_char('\n');
}

/* One command (opcodes: impl/real/encode.ts). */
static void step(u32 op) {
  switch (op) {
    case 0x01: { /* ioapic.write: IOREGSEL then IOWIN */
      u32 reg = rd8(), value = rd32();
      ioapic_set(reg, value);
      if (reg == 0 || (reg >= 0x10 && reg < 0x10 + 2 * NPINS)) ioapic_get(reg, 1);
      refresh_level_pins(-1);
      break;
    }
    case 0x02: { /* ioapic.read */
      u32 reg = rd8();
      ioapic_select(reg, 0);
      u32 v = ioapic_get(reg, 0);
      out_str("R ");
      out_hex(reg);
      out_char(' ');
      out_hex(v);
      out_char('\n');
      break;
    }
    case 0x03: { /* ioapic.eoi: IOxAPIC EOI register (version 0x20) */
      u32 v = rd32();
      mmio_write(IOAPIC_BASE + IOAPIC_EOI, v);
      routes_behind = 0;
      refresh_level_pins(v <= 0xFF ? (i32)v : 0x100);
      break;
    }
    case 0x04: { /* line.set */
      u32 pin = rd8(), level = rd8();
      line(pin, level ? 1 : 0);
      if (level && is_level(pin)) ioapic_get(0x10 + 2 * pin, 1);
      break;
    }
    case 0x05: { /* line.pulse */
      u32 pin = rd8();
      line(pin, 1);
      line(pin, 0);
      if (is_level(pin)) ioapic_get(0x10 + 2 * pin, 1);
      break;
    }
    case 0x06: { /* irte.write */
      u32 index = rd16();
      if (send - sp < 16) fail("scenario truncated");
      vtd_irte_write(index, sp);
      sp += 16;
      routes_behind = 1;
      break;
    }
    case 0x07: vtd_iec(1, 0, 0); routes_behind = 0; break;
    case 0x08: { u32 index = rd16(), mask = rd8(); vtd_iec(0, index, mask); routes_behind = 0; break; }
    case 0x09: { u32 s = rd8(), eime = rd8(); vtd_ir_table(s, eime); routes_behind = 0; break; }
    case 0x0A: { u32 ire = rd8(), cfi = rd8(); vtd_ir_control(ire, cfi); routes_behind = 1; break; }
    case 0x0B: vtd_fault_clear(); break;
    case 0x0C: { u32 cpu = rd8(); print_vec('A', cpu, cpu_accept(cpu)); break; }
    case 0x0D: {
      u32 cpu = rd8();
      i32 v = cpu_eoi(cpu);
      print_vec('E', cpu, v);
      if (v >= 0) refresh_level_pins(v); /* EOI broadcast, semantics.md §1.9 */
      break;
    }
    case 0x0E: {
      u32 dev = rd8(), vec = rd8(), address = rd32(), data = rd32();
      msix_program(dev, vec, address, data);
      break;
    }
    case 0x0F: { u32 dev = rd8(), vec = rd8(), masked = rd8(); msix_mask(dev, vec, masked); break; }
    case 0x10: { u32 dev = rd8(), vec = rd8(); msix_fire(dev, vec); break; }
    default: fail("unknown opcode in scenario");
  }
  if (op >= 0x0E) {
    msix_settle();
    dump_pba();
  }
}

static void skip_sequence(void) {
  static const u8 arg_bytes[] = {0, 5, 1, 4, 2, 1, 18, 0, 3, 2, 2, 0, 1, 1, 10, 3, 2};
  for (u32 n = rd16(); n > 0; n--) {
    u32 op = rd8();
    if (op == 0 || op >= sizeof arg_bytes) fail("unknown opcode in scenario");
    sp += arg_bytes[op];
  }
}

/* Machine back to the state the model starts from, undoing only what the sequence touched:
 * its RTEs masked (level first so lowering the lines clears QEMU's irr latch, then edge,
 * which clears Remote IRR, semantics.md §1.8), lines low, LAPICs empty, IOAPIC ID 0, IR off
 * with a zeroed table, no faults. Each IOAPIC write costs a KVM route commit in QEMU 7.2.
 * QEMU 7.2 does not rebuild a masked pin's KVM route (ioapic_update_kvm_routes skips it),
 * so a masked RTE would keep the previous sequence's route; with IR off, each touched RTE
 * is written unmasked as edge, vector 0, physical destination 0 with its line low, which
 * rebuilds the route as 0xfee00000/0: what KVM decodes the same as the address 0 / data 0
 * route kvm_arch_init_irq_routing starts a pin with. Nothing is sent: the pin is made level
 * and its line lowered first, which clears the edge latch (QEMU's irr) a masked pulse left. */
static void reset_pin_routes(u32 pins) {
  for (u32 p = 0; p < NPINS; p++) {
    if (!(pins & (1u << p))) continue;
    ioapic_set(0x10 + 2 * p, 0x18000);
    if (p >= 1 && p < 16) line(p, 0);
    ioapic_set(0x11 + 2 * p, 0);
    ioapic_set(0x10 + 2 * p, 0);
    ioapic_set(0x10 + 2 * p, 0x10000);
  }
}

static u32 reset_machine(void) {
  u32 pins = dirty_pins, lines = raised_lines;
  for (u32 p = 0; p < NPINS; p++)
    if (pins & (1u << p)) ioapic_set(0x10 + 2 * p, 0x18000);
  for (u32 p = 1; p < 16; p++)
    if (lines & (1u << p)) line(p, 0);
  for (u32 p = 0; p < NPINS; p++) {
    if (!(pins & (1u << p))) continue;
    ioapic_set(0x10 + 2 * p, 0x10000);
    ioapic_set(0x11 + 2 * p, 0);
    shadow[2 * p] = 0x10000;
    shadow[2 * p + 1] = 0;
  }
  if (dirty_id) ioapic_set(0, 0);
  ioapic_id = 0;
  dirty_pins = raised_lines = dirty_id = 0;
  u32 clean = 1;
  for (u32 c = 0; c < ncpus; c++) clean &= cpu_drain(c);
  if (iommu) vtd_reset();
  if (msix_reset()) clean &= cpu_drain(0); /* after IR is off: see msix_reset */
  reset_pin_routes(pins);
  /* Last, APIC 0 once more: reset_pin_routes' brief unmask sends vector 0 there if a pin
   * still held an edge, and a vector 0 was once seen in APIC 0's IRR at a sequence's first
   * dump on this host's KVM under heavy load (source unknown): either asks for a fresh machine. */
  clean &= cpu_drain(0);
  return clean;
}

/* vCPUs whose LAPIC a command can change: none for reads and IR table/cache commands
 * (QEMU 7.2 refreshes routes on them but services nothing), the accepting vCPU for
 * cpu.accept, all for anything that can deliver (writes, lines, EOIs). */
static u32 lapics_touched(u32 op, const u8 *args) {
  switch (op) {
    case 0x02: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0A: case 0x0B: return 0;
    case 0x04: return args[1] ? 0xFF : 0;
    case 0x0C: return 1u << args[0];
    default: return 0xFF;
  }
}

void bsp_main(u32 magic, struct mb_info *mbi) {
  outb(0x21, 0xFF); /* mask both 8259s */
  outb(0xA1, 0xFF);
  outb(COM1 + 1, 0); /* COM1: no interrupts */
  /* Stop the PIT: channel 0 in mode 0 without a count holds OUT low (8254 datasheet, mode
   * 0), so IOAPIC pin 2 sees no edges. Otherwise its 18.2 Hz edges latch in a masked pin
   * and reset_pin_routes' brief unmask delivers vector 0, which the drain cannot clear. */
  outb(0x43, 0x30);
  if (magic != 0x2BADB002u || !(mbi->flags & 8) || mbi->mods_count < 1) fail("no multiboot module");
  struct mb_module *m = (struct mb_module *)mbi->mods_addr;
  sp = (const u8 *)m->start;
  send = (const u8 *)m->end;
  if (rd32() != 0x53515249u || rd8() != 1) fail("bad scenario header");
  ncpus = rd8();
  u32 flags = rd8(), nmsix = rd8();
  u32 nseq = rd32(), first = rd32();
  for (u32 i = 0; i < nmsix; i++) {
    u32 devfn = rd8(), vectors = rd8();
    msix_init(i, devfn, vectors); /* before VT-d: the routes QEMU adds at MSI-X enable see IR off */
  }
  u32 dfr = (flags & 2) ? 0x0FFFFFFFu : 0xFFFFFFFFu;
  u32 ldr0 = 0x01000000u, ldr1 = 0x02000000u; /* flat: bit i; cluster 0: bit i (model logicalId) */
  lapic_setup(ldr0, dfr);
  if (ncpus == 2) ap_start(ldr1, dfr);
  iommu = flags & 1;
  if (iommu) {
    if (!vtd_present()) fail("no VT-d unit at 0xfed90000 (add -device intel-iommu,intremap=on)");
    vtd_init();
  }
  out_str("H 1 ");
  out_hex(ncpus);
  out_char(' ');
  out_hex(iommu);
  out_char(' ');
  out_hex(ioapic_get(1, 0));
  out_char('\n');
  for (u32 s = 0; s < nseq; s++) {
    if (s < first) {
      skip_sequence();
      continue;
    }
    if (!reset_machine()) {
      out_str("W ");
      out_hex(s);
      out_char('\n');
      guest_exit(4);
    }
    printed_reset();
    out_str("S ");
    out_hex(s);
    out_char('\n');
    dump(0xFF);
    for (u32 n = rd16(); n > 0; n--) {
      perturbed = 0;
      u32 op = rd8();
      u32 touched = lapics_touched(op, sp);
      /* An unmask can abort QEMU (impl/real/aborts.ts): have the steps before it out first. */
      if (op == 0x0E || op == 0x0F) out_flush();
      step(op);
      dump(touched);
      out_str(perturbed ? ".!\n" : ".\n");
    }
    out_flush();
  }
  out_str("Z\n");
  guest_exit(0);
}
