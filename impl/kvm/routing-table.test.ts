/**
 * KVM_SET_GSI_ROUTING installs only the entries that are not the last table's own objects
 * (kvm.ts `changedRoutes`); the kernel it stands for rebuilds from scratch. Whatever the
 * sequence of tables, a Kvm that received them all must equal one that received only the
 * last, irqfd caches and EOI-exit bitmaps included, and reject the same invalid entries.
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { defaultTopology } from "../../model/topology.ts";
import { Recorder } from "../recorder.ts";
import { Kvm } from "./kvm.ts";
import type { KvmMsiRoute } from "./routing.ts";

const topology = defaultTopology();
/** GSIs on both sides of the IOAPIC's 24, few enough that edits often hit the same one. */
const gsi = fc.integer({ min: 20, max: 28 });
const route = fc.record({
  gsi,
  // Level routes to APIC 0-3, and now and then address_hi bits 7:0 set (-EINVAL).
  addressLo: fc.constantFrom(0, 0xfee00000, 0xfee01000, 0xfee03000),
  addressHi: fc.constantFrom(0, 0, 0, 0x100, 0x1),
  data: fc.constantFrom(0, 0x8031, 0x41),
});
/** How the next table comes from the last: the way KvmAccel changes it, or any other way. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant("same" as const) }),
  fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), route }),
  fc.record({ kind: fc.constant("append" as const), route }),
  fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("fresh" as const), table: fc.array(route, { maxLength: 6 }) }),
);
type Edit = typeof edit extends fc.Arbitrary<infer E> ? E : never;

function next(last: readonly KvmMsiRoute[], e: Edit): readonly KvmMsiRoute[] {
  const t = [...last];
  if (e.kind === "same") return last;
  if (e.kind === "fresh") return e.table;
  if (e.kind === "append") t.push(e.route);
  else if (t.length > 0) {
    const at = e.at % t.length;
    if (e.kind === "remove") t.splice(at, 1);
    else t[at] = { ...e.route, gsi: (t[at] as KvmMsiRoute).gsi };
  }
  return Object.freeze(t);
}

/** The table's outcome on `kvm`: its state, or the error it was refused with. */
function install(kvm: Kvm, table: readonly KvmMsiRoute[]): string {
  try {
    kvm.kvm_set_irq_routing(table);
  } catch (e) {
    return (e as Error).message;
  }
  return kvm.digest();
}

function withIrqfds(): Kvm {
  const kvm = new Kvm(topology, new Recorder());
  for (let g = 20; g <= 28; g++) kvm.kvm_irqfd_assign(100 + g, g);
  return kvm;
}

test.prop([fc.array(edit, { minLength: 1, maxLength: 12 })], { numRuns: 500 })(
  "a table installed after others leaves the state it leaves installed on a fresh kernel, or the same -EINVAL",
  (edits) => {
    const incremental = withIrqfds();
    let installed: readonly KvmMsiRoute[] = [];
    for (const e of edits) {
      const table = next(installed, e);
      const outcome = install(incremental, table);
      expect(outcome).toBe(install(withIrqfds(), table));
      if (!outcome.startsWith("KVM_SET_GSI_ROUTING")) installed = table;
    }
  },
);
