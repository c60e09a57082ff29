/* MSI-X devices: QEMU's ivshmem-doorbell (PCI 1af4:1110) on bus 0, one per topology MSI-X
 * device, found with PCI configuration mechanism #1 (ports 0xCF8/0xCFC). BAR0 holds the
 * registers (IVPosition at 8, Doorbell at 12: QEMU ivshmem_io_read/ivshmem_io_write), the
 * MSI-X table and PBA sit where the MSI-X capability says (PCI 3.0 §6.8.2; QEMU
 * msix_init_exclusive_bar puts them in BAR1). QEMU binds each vector's eventfd to a KVM
 * irqfd while the vector is unmasked (ivshmem_vector_unmask), and a doorbell write of the
 * guest's own ID and vector signals that eventfd in the kernel (an ioeventfd), so
 * msi.fire here is what an irqfd-backed device raising an MSI-X vector is. */
#include "guest.h"

#define PCI_ADDR 0xCF8u
#define PCI_DATA 0xCFCu
#define IVSHMEM_ID 0x11101AF4u /* device << 16 | vendor */
#define IVSHMEM_IVPOSITION 8u
#define IVSHMEM_DOORBELL 12u
#define PCI_CAP_MSIX 0x11u
#define MSIX_ENABLE (1u << 31) /* Message Control bit 15, in the capability's first dword */
#define MSIX_ENTRY_CTRL_MASKBIT 1u
/* Where the guest puts the BARs: the q35 PCI hole, 1 MiB per device (BAR0 at +0, BAR1 at
 * +4 KiB, the 64-bit shared-memory BAR2 at +64 KiB). */
#define BAR_WINDOW 0xE0000000u
#define BAR_STRIDE 0x100000u

struct msix_dev {
  u32 bdf; /* config address bits 23:8 */
  u32 regs, table, pba, vectors, peer;
};
static struct msix_dev devs[MAX_MSIX_DEVS];
static u32 ndevs;

static u32 cfg_read(u32 bdf, u32 reg) {
  outl(PCI_ADDR, 0x80000000u | bdf | (reg & 0xFC));
  return inl(PCI_DATA);
}
static void cfg_write(u32 bdf, u32 reg, u32 v) {
  outl(PCI_ADDR, 0x80000000u | bdf | (reg & 0xFC));
  outl(PCI_DATA, v);
}

/* A memory BAR's base as the guest placed it (bits 3:0 are type bits). */
static u32 bar_base(u32 bdf, u32 bir) { return cfg_read(bdf, 0x10 + 4 * bir) & ~0xFu; }

static struct msix_dev *dev_of(u32 dev) {
  if (dev >= ndevs) fail("MSI-X device index outside the topology");
  return &devs[dev];
}
static u32 entry(struct msix_dev *d, u32 vec, u32 word) {
  if (vec >= d->vectors) fail("MSI-X vector outside the device's table");
  return d->table + 16 * vec + 4 * word;
}

/* Place the device's BARs, enable memory decoding and bus mastering (the userspace path,
 * msix_notify -> pci_msi_trigger, writes through the bus-master address space), find the
 * MSI-X capability and enable MSI-X with every vector masked (the reset state). */
void msix_init(u32 dev, u32 devfn, u32 vectors) {
  if (dev >= MAX_MSIX_DEVS) fail("too many MSI-X devices");
  struct msix_dev *d = &devs[dev];
  d->bdf = devfn << 8;
  if (cfg_read(d->bdf, 0) != IVSHMEM_ID) fail("no ivshmem-doorbell (1af4:1110) at the MSI-X device's address");
  u32 base = BAR_WINDOW + dev * BAR_STRIDE;
  cfg_write(d->bdf, 0x10, base);
  cfg_write(d->bdf, 0x14, base + 0x1000);
  cfg_write(d->bdf, 0x18, base + 0x10000);
  cfg_write(d->bdf, 0x1C, 0);
  cfg_write(d->bdf, 0x04, (cfg_read(d->bdf, 0x04) & 0xFFFF0000u) | 0x6); /* memory + bus master */
  d->regs = bar_base(d->bdf, 0);
  u32 cap = cfg_read(d->bdf, 0x34) & 0xFC;
  while (cap && (cfg_read(d->bdf, cap) & 0xFF) != PCI_CAP_MSIX) cap = (cfg_read(d->bdf, cap) >> 8) & 0xFC;
  if (!cap) fail("ivshmem-doorbell without an MSI-X capability (vectors=0?)");
  u32 ctl = cfg_read(d->bdf, cap), tbl = cfg_read(d->bdf, cap + 4), pba = cfg_read(d->bdf, cap + 8);
  d->vectors = ((ctl >> 16) & 0x7FF) + 1;
  if (d->vectors != vectors) fail("ivshmem-doorbell has another vector count than the topology");
  d->table = bar_base(d->bdf, tbl & 7) + (tbl & ~7u);
  d->pba = bar_base(d->bdf, pba & 7) + (pba & ~7u);
  for (u32 v = 0; v < vectors; v++) mmio_write(entry(d, v, 3), MSIX_ENTRY_CTRL_MASKBIT);
  cfg_write(d->bdf, cap, ctl | MSIX_ENABLE);
  d->peer = mmio_read(d->regs + IVSHMEM_IVPOSITION);
  ndevs = dev + 1;
}

u32 msix_devices(void) { return ndevs; }

/* msi.program, the way Linux writes an entry (__pci_write_msi_msg): mask it if it is
 * unmasked, write address (upper 0) and data, restore the mask bit. */
void msix_program(u32 dev, u32 vec, u32 address, u32 data) {
  struct msix_dev *d = dev_of(dev);
  u32 ctrl = mmio_read(entry(d, vec, 3));
  if (!(ctrl & MSIX_ENTRY_CTRL_MASKBIT)) mmio_write(entry(d, vec, 3), ctrl | MSIX_ENTRY_CTRL_MASKBIT);
  mmio_write(entry(d, vec, 0), address);
  mmio_write(entry(d, vec, 1), 0);
  mmio_write(entry(d, vec, 2), data);
  if (!(ctrl & MSIX_ENTRY_CTRL_MASKBIT)) mmio_write(entry(d, vec, 3), ctrl);
}

/* msi.mask: the vector-control mask bit (QEMU msix_handle_mask_update runs the notifier). */
void msix_mask(u32 dev, u32 vec, u32 masked) {
  struct msix_dev *d = dev_of(dev);
  u32 ctrl = mmio_read(entry(d, vec, 3));
  mmio_write(entry(d, vec, 3), masked ? ctrl | MSIX_ENTRY_CTRL_MASKBIT : ctrl & ~MSIX_ENTRY_CTRL_MASKBIT);
}

/* msi.fire: ring the guest's own doorbell for the vector (peer ID in bits 31:16). */
void msix_fire(u32 dev, u32 vec) {
  struct msix_dev *d = dev_of(dev);
  if (vec >= d->vectors) fail("MSI-X vector outside the device's table");
  mmio_write(d->regs + IVSHMEM_DOORBELL, (d->peer << 16) | vec);
}

/* Give an irqfd injection KVM deferred time to land before the step's state is read. An
 * MSI that kvm_arch_set_irq_inatomic cannot deliver at once (a physical broadcast, a
 * lowest-priority pick; kvm_irq_delivery_to_apic_fast declines) goes through irqfd_inject
 * on a workqueue; under a nested KVM it was seen still pending at the dump (IRR empty).
 * Each IVPosition read is a round trip to QEMU that lets the worker run. */
#define SETTLE_READS 256
void msix_settle(void) {
  for (u32 i = 0; i < ndevs; i++)
    for (u32 n = 0; n < SETTLE_READS; n++) (void)mmio_read(devs[i].regs + IVSHMEM_IVPOSITION);
}

/* The PBA's first dword. A PBA read runs QEMU's poll notifier (ivshmem_vector_poll), which
 * moves a masked vector's signalled eventfd into its pending bit. */
u32 msix_pending(u32 dev) { return mmio_read(dev_of(dev)->pba); }

/* Back to the reset state: every vector masked with address and data 0, no pending bit. A
 * pending vector is released by unmasking it with a fixed, physical message to APIC ID 0,
 * vector 0xFE (IR is already off); the LAPIC drain that follows takes it. */
u32 msix_reset(void) {
  u32 released = 0;
  for (u32 i = 0; i < ndevs; i++) {
    struct msix_dev *d = &devs[i];
    for (u32 v = 0; v < d->vectors; v++) msix_mask(i, v, 1);
    u32 pending = msix_pending(i);
    for (u32 v = 0; v < d->vectors; v++) {
      if (pending & (1u << v)) {
        msix_program(i, v, 0xFEE00000u, 0xFE);
        msix_mask(i, v, 0);
        msix_mask(i, v, 1);
        released = 1;
      }
      msix_program(i, v, 0, 0);
    }
  }
  return released;
}
