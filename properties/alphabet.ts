/**
 * The explorer's finite command alphabet, derived from a topology. Every command sequence
 * over it up to the bound is tried, so it holds as few values as still reach the known
 * bugs; each value is the one the generators would use (vectors.ts ownership rule, the
 * encoders of profiles/encode.ts), so a finding reads like a fuzz finding.
 *
 * `ioapic` (16 commands on the small topology) — one busy pin P (profiles/uniform.ts):
 * - RTE low word of P: {the 2 vectors of P's pool for that trigger} × {masked, unmasked}
 *   × {edge, level}, fixed delivery, physical destination (8). Two vectors per trigger
 *   make a vector change in the unmasking write possible (D2); level and mask make a
 *   pending level IRQ that an unmask releases (D1). One trigger per vector keeps KVM's
 *   EOI-exit rule out of the way (D17, properties/profiles/vectors.ts).
 * - RTE high word of P: physical destination, one per vCPU (2): the stale route of D1
 *   sends to the old one.
 * - line.set P 0/1 (2): a held level (pulse = set 1, set 0 adds no state).
 * - cpu.accept and cpu.eoi per vCPU (2 × 2): Remote IRR is cleared by the EOI broadcast.
 * D1 (qemu-7.2) is four commands: high word to cpu1, low word level masked, line 1,
 * low word level unmasked.
 *
 * `full` (37 on the small topology) adds VT-d IR, the MSI-X device and the choice points:
 * - irte.write per index 0, 1: present → cpu0, present → cpu1, not present (3 × 2); edge,
 *   fixed, the index's edge vector, SVT 0. A destination change is D7's misroute; the
 *   not-present entry is D3's stale translation.
 * - iec.invalidate: global, and index 0 and 1 with mask 0 (3).
 * - ir.control: on with CFI set (compatibility-format IOAPIC messages still pass, so the
 *   `ioapic` bugs stay reachable with IR on), and off (2).
 * - msi.program of vector 0 of device 0: remappable, handle 0 or 1, no SHV, the data of
 *   the vector's own edge vector (2): fired with remapping off it is read as a compatibility
 *   message, and a data of 0 would be the illegal vector 0 (SDM §10.5.2, D23);
 *   msi.mask masked / unmasked (2); msi.fire (1). Entries reset masked.
 * - logical and lowest-priority destinations (5), the model's choice points: P's low word
 *   level, unmasked, logical, lowest priority; P's high word with the logical bitmap of
 *   both vCPUs; IRTE 0 logical lowest priority to both vCPUs; and the source-ID check:
 *   IRTE 0 with SVT = 01b and a SID that differs from the device's requester ID in bit 2,
 *   with SQ = 0 (the check fails: fault 0x26) and SQ = 01b (bit 2 ignored: it passes).
 * Left out, with the reason: ioapic.read and line.pulse (no state a read-back or a
 * set-then-clear adds), the IOAPIC EOI register (EOI reaches the IOAPIC by cpu.eoi),
 * ir.table and ir.fault-clear, SVT = 10b bus ranges (the ir and devices profiles cover
 * them), other pins and MSI vectors.
 */
import { type Command, rteHighReg, rteLowReg } from "../model/commands.ts";
import { logicalId, type Topology } from "../model/topology.ts";
import { irteHex, msiData, msiRemappableAddress, rteHighCompat, rteLow } from "./profiles/encode.ts";
import { BUSY_PINS } from "./profiles/uniform.ts";
import { irteVectors, msiVectors, pinVectors } from "./profiles/vectors.ts";

export type AlphabetName = "ioapic" | "msi" | "full";

export const ALPHABETS: readonly AlphabetName[] = ["ioapic", "msi", "full"];

/** The pin every IOAPIC command of the alphabet uses. */
export const ALPHABET_PIN = BUSY_PINS[0];

function ioapicCommands(topology: Topology): Command[] {
  const pin = ALPHABET_PIN;
  const out: Command[] = [];
  for (const level of [false, true]) {
    for (const vector of pinVectors(pin, level)) {
      for (const masked of [true, false]) {
        out.push({ op: "ioapic.write", reg: rteLowReg(pin), value: rteLow({ vector, level, masked }) });
      }
    }
  }
  for (const cpu of topology.cpus) {
    out.push({ op: "ioapic.write", reg: rteHighReg(pin), value: rteHighCompat(cpu.apicId) });
  }
  out.push({ op: "line.set", pin, level: 1 }, { op: "line.set", pin, level: 0 });
  topology.cpus.forEach((_, cpu) => {
    out.push({ op: "cpu.accept", cpu }, { op: "cpu.eoi", cpu });
  });
  return out;
}

/** The first `count` IRTE indices (fewer if the table is smaller). */
function irteIndices(topology: Topology, count: number): number[] {
  return [0, 1].slice(0, count).filter((i) => i < topology.irtEntries);
}

function remappingCommands(topology: Topology, indices: readonly number[]): Command[] {
  const out: Command[] = [];
  const x2apic = topology.apicMode === "x2apic";
  for (const index of indices) {
    const vector = irteVectors(index, false)[0];
    for (const cpu of topology.cpus) {
      out.push({ op: "irte.write", index, irte: irteHex({ vector, dest: cpu.apicId, x2apic }) });
    }
    out.push({ op: "irte.write", index, irte: irteHex({ vector, dest: 0, present: false, x2apic }) });
  }
  out.push({ op: "iec.invalidate", global: true });
  for (const index of indices) out.push({ op: "iec.invalidate", global: false, index, mask: 0 });
  out.push({ op: "ir.control", ire: true, cfi: true }, { op: "ir.control", ire: false, cfi: false });
  return out;
}

function msiCommands(topology: Topology, handles: readonly number[]): Command[] {
  if (topology.msiDevices[0] === undefined) return [];
  const out: Command[] = handles.map((handle) => ({
    op: "msi.program",
    dev: 0,
    vec: 0,
    address: msiRemappableAddress(handle, false),
    data: msiData(msiVectors(0, false)[0]), // device 0 vector 0 is MSI ordinal 0
  }));
  out.push(
    { op: "msi.mask", dev: 0, vec: 0, masked: true },
    { op: "msi.mask", dev: 0, vec: 0, masked: false },
    { op: "msi.fire", dev: 0, vec: 0 },
  );
  return out;
}

/** Logical and lowest-priority destinations, and an IRTE whose source-ID check SQ decides. */
function choiceCommands(topology: Topology): Command[] {
  const pin = ALPHABET_PIN;
  const all = topology.cpus.reduce((bits, _, i) => bits | logicalId(topology, i), 0);
  const x2apic = topology.apicMode === "x2apic";
  const vector = irteVectors(0, false)[0];
  const out: Command[] = [
    {
      op: "ioapic.write",
      reg: rteLowReg(pin),
      value: rteLow({ vector: pinVectors(pin, true)[0], level: true, destMode: 1, deliveryMode: 1 }),
    },
    { op: "ioapic.write", reg: rteHighReg(pin), value: rteHighCompat(all) },
  ];
  if (topology.irtEntries === 0) return out;
  out.push({ op: "irte.write", index: 0, irte: irteHex({ vector, dest: all, destMode: 1, deliveryMode: 1, x2apic }) });
  const device = topology.msiDevices[0];
  if (device === undefined) return out;
  for (const sq of [0, 1]) {
    const sid = device.requesterId ^ 4;
    out.push({
      op: "irte.write",
      index: 0,
      irte: irteHex({ vector, dest: topology.cpus[0]?.apicId ?? 0, x2apic, svt: 1, sq, sid }),
    });
  }
  return out;
}

/** The commands of an alphabet, in a fixed order (BFS order, so findings are stable). */
export function alphabet(name: AlphabetName, topology: Topology): readonly Command[] {
  switch (name) {
    case "ioapic":
      return ioapicCommands(topology);
    case "msi": {
      const indices = irteIndices(topology, 1);
      return [...remappingCommands(topology, indices), ...msiCommands(topology, indices)];
    }
    case "full": {
      const indices = irteIndices(topology, 2);
      return [
        ...ioapicCommands(topology),
        ...remappingCommands(topology, indices),
        ...msiCommands(topology, indices),
        ...choiceCommands(topology),
      ];
    }
  }
}
