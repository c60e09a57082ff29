import { ioapicMsiWrite } from "../patches/ioapic-msi-write.ts";
import { qemu82 } from "./qemu-8.2.ts";
import { extendVariant } from "./variant.ts";

/** qemu-8.2 with IOAPIC interrupts sent as MSIs translated at delivery; MSI-X devices unchanged. */
export const msiDirect = extendVariant(
  qemu82,
  {
    name: "msi-direct",
    summary: "IOAPIC interrupts sent as MSIs translated at delivery; MSI-X devices unchanged",
    mirrors: "question in the 54ad31fb0a commit message; Woodhouse's ext-dest-ID reply (qemu-devel, 2023-03)",
  },
  [ioapicMsiWrite],
);
