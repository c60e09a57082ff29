/**
 * The `ir` profile: interrupt remapping switched on first, IOAPIC pins and MSI-X vectors
 * set up the Linux way, then IRTE churn: rewrites that leave entries invalid (P = 0,
 * reserved bits, a source-ID that does not match), FPD, index / range / global
 * invalidations, IRTA resizes (now and then with EIME against the APIC mode), EIME and
 * CFI switched together, fault-record clears, and stray requests (reserved data bits,
 * compatibility format, through an IRTE with a reserved bit), with interrupts in between.
 */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { bool, elements, type Gen, map, oneof, record } from "../gen.ts";
import { type DeviceStep, deviceDriver, deviceSteps } from "./devices.ts";
import { linuxIrtaSize } from "./encode.ts";
import { type LinuxStep, linuxDriver, linuxSteps } from "./linux.ts";
import { invalidateGen, irTableGen, irteGen, msiVectorGen } from "./uniform.ts";

export type IrStep =
  | { readonly k: "pin"; readonly step: LinuxStep }
  | { readonly k: "msi"; readonly step: DeviceStep }
  | { readonly k: "raw"; readonly command: Command }
  | { readonly k: "format"; readonly eime: boolean; readonly cfi: boolean };

export function irSteps(topology: Topology): Gen<IrStep> {
  const raw = (g: Gen<Command>) => map(g, (command) => ({ k: "raw" as const, command }));
  return oneof<IrStep>(
    [18, map(linuxSteps(topology), (step) => ({ k: "pin" as const, step }))],
    [12, map(deviceSteps(topology, msiVectorGen(topology)), (step) => ({ k: "msi" as const, step }))],
    // Stray requests are few: each reaches new fault and trace states, and a guided
    // campaign that keeps every such run spends its mutations on them.
    [
      1,
      map(
        record({
          mv: msiVectorGen(topology),
          form: elements(["reserved-shv", "reserved", "compatibility", "reserved-irte"] as const),
          high: elements([1, 0x8000, 0xffff]),
        }),
        (f) => ({ k: "msi" as const, step: { k: "stray-request" as const, ...f.mv, form: f.form, high: f.high } }),
      ),
    ],
    [12, raw(irteGen(topology))],
    [9, raw(invalidateGen(topology))],
    [3, raw(irTableGen(topology))],
    [3, raw(elements<Command>([{ op: "ir.fault-clear" }]))],
    // CFI lets compatibility-format requests through only while EIME is clear (VT-d §5.1.2.1):
    // the two switched together, an IRTA rewrite at Linux's size and IRE with CFI.
    [1, map(record({ eime: bool, cfi: bool }), (f) => ({ k: "format" as const, ...f }))],
  );
}

export function irDriver(topology: Topology): (step: IrStep) => readonly Command[] {
  const pins = linuxDriver(topology);
  const devices = deviceDriver(topology);
  // Both drivers learn that IR is on before anything else; the pin driver's commands enable it.
  const start = pins({ k: "ir-on" });
  devices({ k: "ir-on" });
  let started = false;
  const body = (step: IrStep): readonly Command[] => {
    switch (step.k) {
      case "pin":
        return pins(step.step);
      case "msi":
        return devices(step.step);
      case "raw":
        return [step.command];
      case "format":
        return [
          { op: "ir.table", sizeLog2: linuxIrtaSize(topology), eime: step.eime },
          { op: "ir.control", ire: true, cfi: step.cfi },
        ];
    }
  };
  return (step) => {
    const prefix = started ? [] : start;
    started = true;
    return [...prefix, ...body(step)];
  };
}
