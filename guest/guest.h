/* Shared declarations of the irqcheck guest (see README.md for the protocol). */
#ifndef IRQCHECK_GUEST_H
#define IRQCHECK_GUEST_H
#include "hw.h"

#define MAX_CPUS 2
#define LAPIC_WORDS 24 /* IRR[8], ISR[8], TMR[8] */
#define MAX_MSIX_DEVS 4

/* cpu.c: LAPIC and vCPU control (SDM vol. 3 ch. 10). */
void lapic_setup(u32 ldr, u32 dfr);
i32 cpu_accept(u32 cpu);          /* vector taken, -1 none eligible, -2 eligible but not taken */
i32 cpu_eoi(u32 cpu);             /* vector ended (highest ISR before the EOI) or -1 */
void cpu_dump(u32 cpu, u32 *out); /* IRR[8], ISR[8], TMR[8] */
u32 cpu_drain(u32 cpu);           /* empty IRR/ISR/TMR; returns 0 if something could not be cleared */
void ap_start(u32 ldr, u32 dfr);

/* vtd.c: VT-d interrupt remapping (VT-d spec ch. 5, 6.5, 10). */
u32 vtd_present(void);
void vtd_init(void);
void vtd_reset(void);
void vtd_irte_write(u32 index, const u8 *irte);
void vtd_iec(u32 global, u32 index, u32 mask);
void vtd_ir_table(u32 size_log2, u32 eime);
void vtd_ir_control(u32 ire, u32 cfi);
void vtd_fault_clear(void);
u32 vtd_nfr(void);
void vtd_dump(u32 *frcd, u32 *fsts); /* 4 words per record, then FSTS */

/* msix.c: ivshmem-doorbell MSI-X devices (PCI 3.0 §6.8.2; QEMU hw/misc/ivshmem.c). */
void msix_init(u32 dev, u32 devfn, u32 vectors);
u32 msix_devices(void);
void msix_program(u32 dev, u32 vec, u32 address, u32 data);
void msix_mask(u32 dev, u32 vec, u32 masked);
void msix_fire(u32 dev, u32 vec);
u32 msix_pending(u32 dev); /* PBA bits of vectors 0..31 */
void msix_settle(void);    /* let a deferred irqfd injection land */
u32 msix_reset(void);      /* returns 1 if a pending vector was released into a LAPIC */

#endif
