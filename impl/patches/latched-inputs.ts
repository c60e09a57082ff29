import type { Patch } from "../patch.ts";

/**
 * Fix for D2e and D18: input levels are kept apart from the edge latch, as on the
 * 82093AA. An edge pin latches only a rising edge, and when an RTE changes, `irr` follows
 * the input for the entry's trigger mode: a switch to edge does not invent an edge from a
 * line that is merely high, and a switch to level does not forget a line asserted while
 * the pin was edge-triggered and masked (semantics.md §1.6, D2 variant paragraph, D15).
 */
export const latchedInputs: Patch = {
  name: "input levels apart from the edge latch",
  mirrors: "82093AA datasheet §3.2.4 (QEMU keeps only irr)",
  ioapic: (Base) =>
    class extends Base {
      override ioapic_set_irq(pin: number, level: boolean): void {
        if (level && !this.level(pin) && this.lineAsserted(pin)) return this.traceSetIrq(pin, level);
        super.ioapic_set_irq(pin, level);
      }

      protected override ioapic_store_rte(pin: number, high: boolean, val: number): void {
        super.ioapic_store_rte(pin, high, val);
        this.setIrrBit(pin, this.level(pin) && this.lineAsserted(pin));
      }
    },
};
