/**
 * An interrupt message on its way from its source to the LAPICs: translated through
 * interrupt remapping at the moment it is delivered (semantics.md §9.3), faults recorded,
 * the destination decoded and the interrupt accepted.
 */
import type { Choose } from "./choice.ts";
import * as ir from "./interrupt-remapping.ts";
import * as lapic from "./lapic.ts";
import type { MachineState, StateDraft } from "./machine-state.ts";
import { type CompatInterrupt, decodeCompat, isInterruptWindow, type MsiMessage } from "./msi.ts";
import { DELIVERY_MODES, type Observation } from "./observations.ts";
import type { Topology } from "./topology.ts";

/**
 * One run of a step: the state being built (read `s`; change a component only through
 * `draft`, which copies it first), the observations, the choice oracle.
 */
export interface StepContext {
  readonly topology: Topology;
  readonly s: MachineState;
  readonly draft: StateDraft;
  readonly out: Observation[];
  readonly choose: Choose;
}

/**
 * An interrupt message is written to the interrupt window: translate it now through
 * interrupt remapping (when enabled), then deliver it to the LAPICs.
 * A write outside 0xFEExxxxx is an ordinary memory write, not an interrupt.
 */
export function send(ctx: StepContext, msg: MsiMessage, sourceId: number | null): void {
  if (!isInterruptWindow(msg.address)) return;
  const r = ctx.s.ir;
  if (!r.ire) return deliver(ctx, decodeCompat(msg, ctx.topology.extDestId));
  const first = ir.remapIndex(r, msg);
  if (first.kind === "fault") return fault(ctx, first.reason, first.index, sourceId, false);
  if (first.kind === "compat") return deliver(ctx, decodeCompat(msg, ctx.topology.extDestId));
  const forms = ir.irteForms(r, first.index);
  const form = forms[ctx.choose(forms.length)] ?? forms[0];
  if (form === undefined) throw new Error("no IRTE form");
  const result = ir.remapThrough(form, first.index, msg, first.subhandleValid, sourceId, r.eime);
  if (result.kind === "fault") return fault(ctx, result.reason, result.index, sourceId, result.suppressed);
  deliver(ctx, result.irq);
}

function fault(ctx: StepContext, reason: number, index: number, sourceId: number | null, suppressed: boolean): void {
  if (suppressed) return;
  const record = { reason, index, sourceId: sourceId ?? ir.SOURCE_ID_NONE };
  if (ir.recordFault(ctx.draft.ir(), record)) ctx.out.push({ kind: "fault", ...record });
}

/**
 * Deliver to the destination set (SDM §10.6.2). Lowest priority, or RH = 1, picks any one
 * CPU of the set; a physical broadcast is delivered to all (semantics.md §5.3). Fixed and
 * lowest-priority interrupts enter IRR; other delivery modes are observed only.
 */
function deliver(ctx: StepContext, irq: CompatInterrupt): void {
  const mode = DELIVERY_MODES[irq.deliveryMode] ?? "reserved";
  const targets = lapic.deliveryTargets(ctx.topology, irq, mode === "lowest", (n) => ctx.choose(n));
  const trigger = irq.trigger === 1 ? "level" : "edge";
  for (const cpu of targets) {
    if (mode === "fixed" || mode === "lowest")
      lapic.acceptInterrupt(ctx.draft.lapic(cpu), irq.vector, irq.trigger === 1);
    const apicId = ctx.topology.cpus[cpu]?.apicId ?? -1;
    ctx.out.push({ kind: "deliver", apicId, vector: irq.vector, trigger, mode });
  }
}
