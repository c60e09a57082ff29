import { noIrFaultRecording } from "../patches/no-ir-fault-recording.ts";
import { qemu82 } from "./qemu-8.2.ts";
import { extendVariant } from "./variant.ts";

/** The seed patch (54ad31fb0a) without 8.2's IR fault recording. */
export const qemu80 = extendVariant(
  qemu82,
  {
    name: "qemu-8.0",
    summary: "routes refreshed right before service on an RTE write (the seed fix); no IR faults",
    mirrors: '54ad31fb0a "hw/intc/ioapic: Update KVM routes before redelivering IRQ, on RTE update" (v8.0.0-rc1)',
  },
  [noIrFaultRecording],
);
