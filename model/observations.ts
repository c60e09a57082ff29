/** What the guest can see happen during one step. */

export type DeliveryMode = "fixed" | "lowest" | "smi" | "nmi" | "init" | "startup" | "reserved" | "extint";

/** MSI data / RTE / IRTE delivery-mode encodings (SDM §10.11.2, 82093AA §3.2.4). */
export const DELIVERY_MODES: readonly DeliveryMode[] = [
  "fixed",
  "lowest",
  "smi",
  "reserved",
  "nmi",
  "init",
  "startup",
  "extint",
];

export type Trigger = "edge" | "level";

export type Observation =
  /** An interrupt accepted by the LAPIC with this APIC ID. */
  | {
      readonly kind: "deliver";
      readonly apicId: number;
      readonly vector: number;
      readonly trigger: Trigger;
      readonly mode: DeliveryMode;
    }
  /** A VT-d interrupt-remapping fault written to a fault recording register. */
  | { readonly kind: "fault"; readonly reason: number; readonly index: number; readonly sourceId: number }
  /** The value an IOWIN read returned. */
  | { readonly kind: "read"; readonly reg: number; readonly value: number };

/** Stable one-line rendering, used for sorting, digests and reports. */
export function formatObservation(o: Observation): string {
  switch (o.kind) {
    case "deliver":
      return `deliver apic_id=${o.apicId} vector=0x${o.vector.toString(16)} ${o.trigger} ${o.mode}`;
    case "fault":
      return `fault reason=0x${o.reason.toString(16)} index=${o.index} sid=0x${o.sourceId.toString(16).padStart(4, "0")}`;
    case "read":
      return `read reg=0x${o.reg.toString(16)} value=0x${o.value.toString(16)}`;
  }
}
