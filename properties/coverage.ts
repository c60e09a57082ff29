/**
 * What a generated sequence exercises, measured on the reference model: the labels a
 * sequence earns, for fc.statistics and for the generator-coverage tests. A property
 * whose generator never reaches its interesting case is hollow; these labels say how
 * often each case is reached.
 */
import type { Command } from "../model/commands.ts";
import { initialState, step } from "../model/machine.ts";
import type { Topology } from "../model/topology.ts";

export function coverageLabels(topology: Topology, commands: readonly Command[]): string[] {
  const labels = new Set<string>();
  let state = initialState(topology);
  for (const c of commands) {
    const outcomes = step(topology, state, c);
    const first = outcomes[0];
    if (first === undefined) break;
    if (outcomes.length > 1) labels.add("nondeterministic step");
    const delivered = first.observations.some((o) => o.kind === "deliver");
    for (const o of first.observations) if (o.kind === "fault") labels.add(`fault 0x${o.reason.toString(16)}`);
    if (delivered) {
      labels.add("delivery");
      if (state.ir.ire) labels.add("delivery with IR on");
      if (c.op === "ioapic.write" && (c.reg & 1) === 0 && c.reg >= 0x10) labels.add("delivery on RTE low-word write");
      if (c.op === "ioapic.write" && (c.reg & 1) === 1 && c.reg >= 0x10) labels.add("delivery on RTE high-word write");
      if (c.op === "cpu.eoi" || c.op === "ioapic.eoi") labels.add("re-delivery on EOI");
      if (c.op === "msi.mask") labels.add("pending MSI-X released on unmask");
      if (c.op === "msi.fire") labels.add("MSI-X delivery");
    }
    if (c.op === "cpu.eoi" && first.next.ioapic.rteLow.some((w, i) => w !== state.ioapic.rteLow[i])) {
      labels.add("EOI broadcast cleared remote IRR");
    }
    state = first.next;
  }
  labels.add(
    `length ${Math.min(40, Math.floor(commands.length / 10) * 10)}-${Math.floor(commands.length / 10) * 10 + 9}`,
  );
  return [...labels].sort();
}
