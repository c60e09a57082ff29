/* VT-d interrupt remapping from the guest side: IRT in guest memory, queued invalidation
 * (IEC descriptor type 0x4 + wait descriptor type 0x5, VT-d §6.5.2), IRTA + GCMD.SIRTP,
 * GCMD.IRE / CFI, fault recording registers at CAP.FRO * 16 (VT-d §10.4.14). */
#include "guest.h"

#define IRT_BASE 0x01000000u   /* 2^16 IRTEs x 16 bytes = 1 MiB */
#define IQ_BASE 0x01100000u    /* 256 descriptors x 16 bytes, IQA.QS = 0 */
#define WAIT_STATUS 0x01101000u

static u32 gcmd;      /* persistent GCMD enables (TE/QIE/IRE/CFI): GCMD is not readable */
static u32 iq_tail;   /* descriptor index */
static u32 irte_high; /* one past the highest IRTE index written since the last reset */
static u32 wait_seq;

u32 vtd_present(void) {
  u32 ver = vtd_read(VTD_VER);
  return ver != 0xFFFFFFFFu && ver != 0;
}

/* FRO = CAP[33:24], in units of 16 bytes. */
static u32 frcd_offset(void) { return ((vtd_read(VTD_CAP) >> 24) | ((vtd_read(VTD_CAP + 4) & 3) << 8)) * 16; }
u32 vtd_nfr(void) { return ((vtd_read(VTD_CAP + 4) >> 8) & 0xFF) + 1; }              /* CAP[47:40] */

static void gcmd_write(u32 cmd, u32 status_bit, u32 want) {
  vtd_write(VTD_GCMD, cmd);
  for (u32 n = 0; ((vtd_read(VTD_GSTS) & status_bit) != 0) != (want != 0); n++)
    if (n > 1000000u) fail("VT-d GSTS did not follow GCMD");
}

void vtd_init(void) {
  vtd_write(VTD_FECTL, 1u << 31); /* FECTL.IM: no fault-event MSI */
  vtd_write(VTD_IQA, IQ_BASE);    /* 128-bit descriptors, QS = 0 */
  vtd_write(VTD_IQA + 4, 0);
  vtd_write(VTD_IQT, 0);
  vtd_write(VTD_IQT + 4, 0);
  iq_tail = 0;
  gcmd = GCMD_QIE;
  gcmd_write(gcmd, GCMD_QIE, 1);
}

static void qi_submit(u32 lo0, u32 lo1, u32 hi0, u32 hi1) {
  volatile u32 *d = (volatile u32 *)(IQ_BASE + 16 * iq_tail);
  d[0] = lo0;
  d[1] = lo1;
  d[2] = hi0;
  d[3] = hi1;
  iq_tail = (iq_tail + 1) & 0xFF;
}

/* IEC descriptor (type 0x4): G = bit 4 (1 = index-selective), IM = bits 31:27,
 * IIDX = bits 47:32; then a wait descriptor (type 0x5, SW = bit 5) that writes
 * wait_seq to WAIT_STATUS, and IQT := tail. QEMU processes the queue on the IQT write. */
void vtd_iec(u32 global, u32 index, u32 mask) {
  u32 lo0 = 0x4u | (global ? 0 : (1u << 4) | ((mask & 0x1F) << 27));
  qi_submit(lo0, global ? 0 : (index & 0xFFFF), 0, 0);
  volatile u32 *status = (volatile u32 *)WAIT_STATUS;
  *status = 0;
  wait_seq++;
  qi_submit(0x5u | (1u << 5), wait_seq, WAIT_STATUS, 0);
  vtd_write(VTD_IQT, iq_tail << 4);
  vtd_write(VTD_IQT + 4, 0);
  for (u32 n = 0; *status != wait_seq; n++) {
    if (vtd_read(VTD_FSTS) & (1u << 4)) fail("VT-d invalidation queue error (FSTS.IQE)");
    if (n > 10000000u) fail("VT-d wait descriptor did not complete");
    cpu_relax();
  }
}

void vtd_irte_write(u32 index, const u8 *irte) {
  volatile u32 *e = (volatile u32 *)(IRT_BASE + 16 * (index & 0xFFFF));
  for (u32 i = 0; i < 4; i++)
    e[i] = (u32)irte[4 * i] | ((u32)irte[4 * i + 1] << 8) | ((u32)irte[4 * i + 2] << 16) |
           ((u32)irte[4 * i + 3] << 24);
  if ((index & 0xFFFF) + 1 > irte_high) irte_high = (index & 0xFFFF) + 1;
}

/* IRTA: base | EIME (bit 11) | S (bits 3:0); GCMD.SIRTP latches it (QEMU
 * vtd_interrupt_remap_table_setup) and sends a global IEC notify. */
void vtd_ir_table(u32 size_log2, u32 eime) {
  vtd_write(VTD_IRTA, IRT_BASE | (eime ? (1u << 11) : 0) | (size_log2 & 0xF));
  vtd_write(VTD_IRTA + 4, 0);
  vtd_write(VTD_GCMD, gcmd | GCMD_SIRTP);
  for (u32 n = 0; !(vtd_read(VTD_GSTS) & GCMD_SIRTP); n++)
    if (n > 1000000u) fail("VT-d GSTS.IRTPS not set");
}

void vtd_ir_control(u32 ire, u32 cfi) {
  gcmd = (gcmd & ~(GCMD_IRE | GCMD_CFI)) | (ire ? GCMD_IRE : 0) | (cfi ? GCMD_CFI : 0);
  gcmd_write(gcmd, GCMD_IRE, ire);
}

void vtd_fault_clear(void) {
  u32 base = frcd_offset(), nfr = vtd_nfr();
  for (u32 i = 0; i < nfr; i++) vtd_write(base + 16 * i + 12, 1u << 31); /* F is W1C */
  vtd_write(VTD_FSTS, 1u | (1u << 4));                                    /* PFO, IQE */
}

void vtd_dump(u32 *frcd, u32 *fsts) {
  u32 base = frcd_offset(), nfr = vtd_nfr();
  for (u32 i = 0; i < nfr && i < 4; i++)
    for (u32 w = 0; w < 4; w++) frcd[4 * i + w] = vtd_read(base + 16 * i + 4 * w);
  *fsts = vtd_read(VTD_FSTS);
}

/* Between sequences: IR off, IRTEs zeroed, the table re-latched at S = 0, faults cleared. */
void vtd_reset(void) {
  vtd_ir_control(0, 0);
  volatile u32 *e = (volatile u32 *)IRT_BASE;
  for (u32 i = 0; i < 4 * irte_high; i++) e[i] = 0;
  irte_high = 0;
  vtd_ir_table(0, 0);
  vtd_fault_clear();
}
