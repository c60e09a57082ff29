/** Topologies as JSON: `--topology FILE` and the copy inside every counterexample file. */
import { z } from "zod";
import type { Topology } from "../model/topology.ts";
import { issuesFromZod, type Parsed } from "./language.ts";

export const topologySchema = z.strictObject({
  name: z.string().min(1),
  cpus: z
    .array(z.strictObject({ apicId: z.number().int().min(0).max(0xfffffffe) }))
    .min(1)
    .max(32),
  apicMode: z.enum(["xapic-flat", "xapic-cluster", "x2apic"]),
  ioapicVersion: z.union([z.literal(0x11), z.literal(0x20)]),
  msiDevices: z
    .array(
      z.strictObject({
        requesterId: z.number().int().min(0).max(0xffff),
        vectors: z.number().int().min(1).max(32),
        qemuModel: z.enum(["virtio-pci", "vfio-pci"]).optional(),
      }),
    )
    // The devices profile, the uniform profile and the MSI-X models all address device 0.
    .min(1, { message: "expected at least one MSI-X device (the generators and the QEMU models use device 0)" })
    .max(8),
  irtEntries: z.number().int().min(1).max(65536),
  faultRecords: z.number().int().min(1).max(256),
  extDestId: z.boolean(),
  intxPins: z.array(z.number().int().min(0).max(23)).max(24).optional(),
});

export function parseTopology(input: unknown, path = "$"): Parsed<Topology> {
  const r = topologySchema.safeParse(input);
  if (!r.success) return { ok: false, issues: issuesFromZod(path, r.error) };
  const t = r.data;
  const ids = new Set(t.cpus.map((c) => c.apicId));
  if (ids.size !== t.cpus.length) {
    return {
      ok: false,
      issues: [{ path: `${path}.cpus`, code: "duplicate-apic-id", message: "APIC IDs must be distinct" }],
    };
  }
  if (new Set(t.msiDevices.map((d) => d.requesterId)).size !== t.msiDevices.length) {
    return {
      ok: false,
      issues: [
        {
          path: `${path}.msiDevices`,
          code: "duplicate-requester-id",
          message: "requester IDs must be distinct (VT-d checks a source ID per device)",
        },
      ],
    };
  }
  if (t.intxPins !== undefined && new Set(t.intxPins).size !== t.intxPins.length) {
    return {
      ok: false,
      issues: [{ path: `${path}.intxPins`, code: "duplicate-intx-pin", message: "each pin carries one device's INTx" }],
    };
  }
  if (t.apicMode !== "x2apic" && t.cpus.some((c) => c.apicId > 0xfe)) {
    return {
      ok: false,
      issues: [
        { path: `${path}.apicMode`, code: "needs-x2apic", message: 'APIC IDs above 254 need apicMode "x2apic"' },
      ],
    };
  }
  const msiDevices = t.msiDevices.map((d) =>
    d.qemuModel === undefined ? { requesterId: d.requesterId, vectors: d.vectors } : { ...d, qemuModel: d.qemuModel },
  );
  const { intxPins, ...rest } = t;
  return { ok: true, value: intxPins === undefined ? { ...rest, msiDevices } : { ...rest, msiDevices, intxPins } };
}
