/**
 * The `devices` profile: MSI-X vectors programmed and moved as Linux does it (compat
 * format, or remappable with SHV and one IRTE per vector when IR is on:
 * `fill_msi_msg`, semantics.md §6.5), masked and unmasked (disable_irq/enable_irq),
 * fired, handled, interleaved with IRTE rewrites and invalidations (D3, D5, D7).
 */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { bool, elements, type Gen, int, map, oneof, record } from "../gen.ts";
import { irteHex, linuxEnableIr, msiCompatAddress, msiData, msiRemappableAddress } from "./encode.ts";
import { invalidateGen, irteGen, msiOrdinal, msiVectorGen } from "./uniform.ts";
import { irteVectors, msiVectors } from "./vectors.ts";

export type DeviceStep =
  | { readonly k: "ir-on" }
  | { readonly k: "setup"; readonly dev: number; readonly vec: number; readonly cpu: number; readonly v: number }
  | { readonly k: "move"; readonly dev: number; readonly vec: number; readonly cpu: number; readonly v: number }
  | { readonly k: "mask"; readonly dev: number; readonly vec: number; readonly masked: boolean }
  | { readonly k: "fire"; readonly dev: number; readonly vec: number }
  | { readonly k: "handle"; readonly cpu: number }
  | { readonly k: "raw"; readonly command: Command };

export function deviceSteps(topology: Topology): Gen<DeviceStep> {
  const mv = msiVectorGen(topology);
  const cpu = int(0, topology.cpus.length - 1);
  const v = int(0, 1);
  return oneof<DeviceStep>(
    [3, map(record({ mv, cpu, v }), (f) => ({ k: "setup" as const, ...f.mv, cpu: f.cpu, v: f.v }))],
    [3, map(record({ mv, cpu, v }), (f) => ({ k: "move" as const, ...f.mv, cpu: f.cpu, v: f.v }))],
    [3, map(record({ mv, masked: bool }), (f) => ({ k: "mask" as const, ...f.mv, masked: f.masked }))],
    [5, map(mv, (f) => ({ k: "fire" as const, ...f }))],
    [3, map(cpu, (c) => ({ k: "handle" as const, cpu: c }))],
    [1, elements<DeviceStep>([{ k: "ir-on" }])],
    [1, map(irteGen(topology), (c) => ({ k: "raw" as const, command: c }))],
    [1, map(invalidateGen(topology), (c) => ({ k: "raw" as const, command: c }))],
  );
}

/** IRTE index of an MSI-X vector under IR (indices 0 and 1 belong to the linux profile's pins). */
export function msiIrteIndex(topology: Topology, ordinal: number): number {
  return (2 + ordinal) % topology.irtEntries;
}

export function deviceDriver(topology: Topology): (step: DeviceStep) => readonly Command[] {
  let ir = false;
  const setUp = new Set<number>();
  const apicId = (cpu: number) => topology.cpus[cpu]?.apicId ?? 0;
  return (step) => {
    switch (step.k) {
      case "ir-on": {
        if (ir || setUp.size > 0) return [];
        ir = true;
        return linuxEnableIr(topology);
      }
      case "setup":
      case "move": {
        const ordinal = msiOrdinal(topology, step.dev, step.vec);
        if (step.k === "move" && !setUp.has(ordinal)) return [];
        const out = program(step.dev, step.vec, ordinal, step.cpu, step.v, step.k === "setup");
        if (step.k === "setup") {
          setUp.add(ordinal);
          out.push({ op: "msi.mask", dev: step.dev, vec: step.vec, masked: false });
        }
        return out;
      }
      case "mask":
        // Linux never unmasks a vector it has not programmed.
        if (!setUp.has(msiOrdinal(topology, step.dev, step.vec))) return [];
        return [{ op: "msi.mask", dev: step.dev, vec: step.vec, masked: step.masked }];
      case "fire":
        return [{ op: "msi.fire", dev: step.dev, vec: step.vec }];
      case "handle":
        return [
          { op: "cpu.accept", cpu: step.cpu },
          { op: "cpu.eoi", cpu: step.cpu },
        ];
      case "raw":
        return [step.command];
    }
  };

  /** Program a vector; with IR only the IRTE changes after setup (a move never rewrites the MSI-X entry). */
  function program(dev: number, vec: number, ordinal: number, cpu: number, v: number, setup: boolean): Command[] {
    if (!ir) {
      const vector = msiVectors(ordinal, false)[v] ?? 0;
      return [{ op: "msi.program", dev, vec, address: msiCompatAddress(apicId(cpu)), data: msiData(vector) }];
    }
    const index = msiIrteIndex(topology, ordinal);
    const requesterId = topology.msiDevices[dev]?.requesterId ?? 0;
    const out: Command[] = [
      {
        op: "irte.write",
        index,
        irte: irteHex({
          vector: irteVectors(index, false)[v] ?? 0,
          dest: apicId(cpu),
          x2apic: topology.apicMode === "x2apic",
          svt: 1,
          sid: requesterId,
        }),
      },
      { op: "iec.invalidate", global: false, index, mask: 0 },
    ];
    if (setup) out.push({ op: "msi.program", dev, vec, address: msiRemappableAddress(index, true), data: 0 });
    return out;
  }
}
