/* Low-level x86 access for the irqcheck guest: port I/O, MMIO, register addresses.
 * Addresses: IOAPIC 0xFEC00000 (82093AA §3.0, QEMU IO_APIC_DEFAULT_ADDRESS), LAPIC 0xFEE00000
 * (SDM vol. 3 §10.4.1), Q35 VT-d DMAR unit 0xFED90000 (QEMU Q35_HOST_BRIDGE_IOMMU_ADDR). */
#ifndef IRQCHECK_HW_H
#define IRQCHECK_HW_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;

#define IOAPIC_BASE 0xFEC00000u
#define IOAPIC_SEL 0x00u
#define IOAPIC_WIN 0x10u
#define IOAPIC_EOI 0x40u
#define NPINS 24

#define LAPIC_BASE 0xFEE00000u
#define LAPIC_ID 0x020u
#define LAPIC_TPR 0x080u
#define LAPIC_EOI 0x0B0u
#define LAPIC_LDR 0x0D0u
#define LAPIC_DFR 0x0E0u
#define LAPIC_SVR 0x0F0u
#define LAPIC_ISR 0x100u
#define LAPIC_TMR 0x180u
#define LAPIC_IRR 0x200u
#define LAPIC_ICR_LO 0x300u
#define LAPIC_ICR_HI 0x310u

#define VTD_BASE 0xFED90000u
/* Register offsets: VT-d spec §10.4; QEMU intel_iommu_internal.h. */
#define VTD_VER 0x00u
#define VTD_CAP 0x08u
#define VTD_ECAP 0x10u
#define VTD_GCMD 0x18u
#define VTD_GSTS 0x1Cu
#define VTD_FSTS 0x34u
#define VTD_FECTL 0x38u
#define VTD_IQH 0x80u
#define VTD_IQT 0x88u
#define VTD_IQA 0x90u
#define VTD_IRTA 0xB8u
/* GCMD / GSTS bits (VT-d §10.4.4 / §10.4.5). */
#define GCMD_TE (1u << 31)
#define GCMD_QIE (1u << 26)
#define GCMD_IRE (1u << 25)
#define GCMD_SIRTP (1u << 24)
#define GCMD_CFI (1u << 23)

/* pc-testdev: outb(level, 0x2000 + isa_irq) drives ISA IRQ line isa_irq (QEMU test_irq_line). */
#define TESTDEV_IRQ_PORT 0x2000u
#define DEBUG_EXIT_PORT 0xF4u
#define COM1 0x3F8u

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) {
  u8 v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u32 inl(u16 port) {
  u32 v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline u32 mmio_read(u32 addr) { return *(volatile u32 *)addr; }
static inline void mmio_write(u32 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline u32 lapic_read(u32 reg) { return mmio_read(LAPIC_BASE + reg); }
static inline void lapic_write(u32 reg, u32 v) { mmio_write(LAPIC_BASE + reg, v); }
static inline u32 vtd_read(u32 reg) { return mmio_read(VTD_BASE + reg); }
static inline void vtd_write(u32 reg, u32 v) { mmio_write(VTD_BASE + reg, v); }

/* Serial output (out.c). */
void out_char(char c);
void out_str(const char *s);
void out_hex(u32 v);
void out_flush(void);
void guest_exit(u32 code) __attribute__((noreturn));
void fail(const char *why) __attribute__((noreturn));

#endif
