/**
 * A counterexample as text, step by step in QEMU trace-event style: the command, what
 * the implementation did (its recorded calls), what the guest saw, and at the diverging
 * step what the reference allowed next to what happened.
 */
import { hex } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { formatObservation, type Observation } from "../model/observations.ts";
import type { GuestVisible } from "../model/visible.ts";
import type { Divergence, HistoryEntry } from "./checker.ts";
import { closestAllowed, differenceKind } from "./signature.ts";

export function formatCommand(c: Command): string {
  switch (c.op) {
    case "ioapic.write":
      return `ioapic.write reg=${hex(c.reg, 2)} value=${hex(c.value)}`;
    case "ioapic.read":
      return `ioapic.read reg=${hex(c.reg, 2)}`;
    case "ioapic.eoi":
    case "eoi.broadcast":
      return `${c.op} vector=${hex(c.vector, 2)}`;
    case "msi.program":
      return `msi.program dev=${c.dev} vec=${c.vec} address=${hex(c.address, 8)} data=${hex(c.data)}`;
    default: {
      const { op, ...rest } = c;
      return [op, ...Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`)].join(" ");
    }
  }
}

function observations(obs: readonly Observation[]): string {
  return obs.length === 0 ? "(nothing)" : obs.map(formatObservation).join("; ");
}

/** The guest-visible fields that differ, as short lines. */
export function visibleDiff(expected: GuestVisible, actual: GuestVisible, cpuApicIds: readonly number[]): string[] {
  const out: string[] = [];
  expected.rtes.forEach((w, i) => {
    const a = actual.rtes[i];
    if (a !== w) out.push(`RTE ${i >> 1} ${i & 1 ? "high" : "low"}: expected ${hex(w)}, actual ${hex(a ?? 0)}`);
  });
  expected.lapics.forEach((l, cpu) => {
    const a = actual.lapics[cpu];
    if (a === undefined) return;
    for (const reg of ["irr", "isr", "tmr"] as const) {
      const e = vectors(l[reg]);
      const b = vectors(a[reg]);
      if (e !== b) out.push(`APIC ID ${cpuApicIds[cpu]} ${reg.toUpperCase()}: expected {${e}}, actual {${b}}`);
    }
  });
  if (JSON.stringify(expected.faultRecords) !== JSON.stringify(actual.faultRecords)) {
    out.push(
      `fault records: expected ${JSON.stringify(expected.faultRecords)}, actual ${JSON.stringify(actual.faultRecords)}`,
    );
  }
  if (expected.msiPending.join() !== actual.msiPending.join()) {
    out.push(`MSI-X pending: expected [${expected.msiPending}], actual [${actual.msiPending}]`);
  }
  return out;
}

function vectors(words: readonly number[]): string {
  const v: string[] = [];
  for (let i = 0; i < 256; i++) if ((((words[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1) v.push(hex(i, 2));
  return v.join(",");
}

export function formatStep(index: number, entry: HistoryEntry, marker = " "): string[] {
  return [
    `${marker}#${index} ${formatCommand(entry.command)}`,
    ...entry.result.trace.map((t) => `      ${t}`),
    `      => ${observations(entry.result.observations)}`,
  ];
}

export function formatDivergence(d: Divergence, cpuApicIds: readonly number[]): string[] {
  const lines: string[] = [];
  d.history.forEach((h, i) => {
    lines.push(...formatStep(i, h));
  });
  lines.push(...formatStep(d.step, { command: d.command, result: d.actual }, ">"));
  lines.push(`  DIVERGES at step #${d.step} (${d.property}):`);
  const allowed = d.allowed.length > 0 ? d.allowed : [];
  allowed.forEach((a, i) => {
    lines.push(`    reference ${allowed.length > 1 ? `outcome ${i + 1}` : "expects"}: ${observations(a.observations)}`);
  });
  lines.push(`    implementation did: ${observations(d.actual.observations)}`);
  const first = closestAllowed(d);
  if (first !== undefined) {
    lines.push(`    difference: ${differenceKind(first, d.actual)}`);
    for (const l of visibleDiff(first.visible, d.actual.visible, cpuApicIds)) lines.push(`    ${l}`);
  }
  return lines;
}
