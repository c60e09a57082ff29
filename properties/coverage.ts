/**
 * What a generated sequence exercises, measured on the reference model: the labels a
 * sequence earns, for fc.statistics and for the generator-coverage tests. A property
 * whose generator never reaches its interesting case is hollow; these labels say how
 * often each case is reached.
 */
import { get32, getField } from "../model/bits.ts";
import { type Command, IOREGSEL } from "../model/commands.ts";
import { FaultReason, Irte, irteAt, remapIndex } from "../model/interrupt-remapping.ts";
import { initialState, type MachineState, step } from "../model/machine.ts";
import { decodeCompat, decodeRemappable, isRemappable, MsiData } from "../model/msi.ts";
import type { Topology } from "../model/topology.ts";
import { sourceIdCase } from "./source-id-case.ts";

/**
 * What an MSI-X message about to be sent exercises: the fields VT-d's source-ID check
 * decides on (SVT, and SQ where the IRTE's SID differs from the requester only in the
 * function bits it masks, VT-d §9.10), the redirection hint and lowest priority in the
 * IRTE or in the compatibility-format message, destinations above APIC ID 255, the
 * subhandle and the reserved data bits of a remappable message (VT-d §5.1.2.2).
 */
function messageLabels(topology: Topology, state: MachineState, dev: number, vec: number, labels: Set<string>): void {
  const e = state.msix.tables[dev]?.[vec];
  const requesterId = topology.msiDevices[dev]?.requesterId ?? 0;
  if (e === undefined) return;
  if (state.ir.ire && isRemappable(e.address)) {
    const shv = decodeRemappable(e.address).subhandleValid;
    if (shv && get32(e.data, MsiData.subhandle) !== 0) labels.add("remapped MSI with a subhandle");
    if (get32(e.data, MsiData.high) !== 0) labels.add(`remapped MSI with data[31:16] set, SHV=${shv ? 1 : 0}`);
    const irte = irteAt(state.ir, decodeRemappable(e.address).handle);
    if (getField(irte, Irte.present) === 0) return;
    const svt = getField(irte, Irte.svt);
    const diff = getField(irte, Irte.sid) ^ requesterId;
    if (svt === 1 && diff !== 0 && (diff & ~7) === 0) {
      labels.add("SQ decides a source-ID check");
      const sq = getField(irte, Irte.sq);
      // 01b and 10b mask different function bits (bit 2; bits 2:1) than 11b and 00b.
      if (sq === 1 || sq === 2) labels.add("SQ 01b or 10b decides a source-ID check");
    }
    if (svt === 2) labels.add("bus-range source-ID check");
    labels.add(`source-ID check: ${sourceIdCase(irte, requesterId)}`);
    if (getField(irte, Irte.redirectionHint) === 1) labels.add("remapped MSI with RH=1");
    if (getField(irte, Irte.deliveryMode) === 1) labels.add("remapped lowest-priority MSI");
    return;
  }
  const m = decodeCompat(e, topology.extDestId);
  if (m.dest > 0xff && m.destMode === 0) labels.add("compatibility MSI with an extended destination ID");
  if (m.redirectionHint === 1) labels.add("compatibility MSI with RH=1");
  if (m.deliveryMode === 1) labels.add("compatibility lowest-priority MSI");
}

/**
 * The IRTEs an index-selective IEC invalidation retired through its range (2^mask
 * entries, VT-d §6.5.2.7) but not its own index: entries changed since their last
 * invalidation that a cache comparing indices instead of ranges would keep. A later
 * invalidation naming the entry itself, or a global one, takes it off the set.
 */
function noteRetired(state: MachineState, c: Extract<Command, { op: "iec.invalidate" }>, retired: Set<number>): void {
  if (c.global) {
    retired.clear();
    return;
  }
  retired.delete(c.index);
  for (const i of state.ir.stale.keys()) if (i !== c.index && i >>> c.mask === c.index >>> c.mask) retired.add(i);
}

/** The IRTE index an MSI-X vector's message names, if IR is on and the message is remappable and unmasked. */
function remappedIndex(state: MachineState, dev: number, vec: number): number | undefined {
  const e = state.msix.tables[dev]?.[vec];
  if (e === undefined || e.masked || !state.ir.ire) return undefined;
  const r = remapIndex(state.ir, e);
  return r.kind === "index" ? r.index : undefined;
}

export function coverageLabels(topology: Topology, commands: readonly Command[]): string[] {
  const labels = new Set<string>();
  const retiredByRange = new Set<number>();
  let state = initialState(topology);
  for (const c of commands) {
    if (c.op === "msi.fire" && state.msix.tables[c.dev]?.[c.vec]?.masked === false)
      messageLabels(topology, state, c.dev, c.vec, labels);
    if (c.op === "msi.fire" && retiredByRange.has(remappedIndex(state, c.dev, c.vec) ?? -1)) {
      labels.add("MSI-X through an IRTE that a range invalidation at another index retired");
    }
    if (c.op === "iec.invalidate") noteRetired(state, c, retiredByRange);
    if (c.op === "ioapic.read" && c.reg < IOREGSEL.REDTBL_BASE) labels.add("read of a register other than an RTE");
    const outcomes = step(topology, state, c);
    const first = outcomes[0];
    if (first === undefined) break;
    if (outcomes.length > 1) labels.add("nondeterministic step");
    const delivered = first.observations.some((o) => o.kind === "deliver");
    for (const o of first.observations) {
      if (o.kind !== "deliver") continue;
      if (o.vector < 0x10) labels.add("delivery of an illegal vector (0x00-0x0f)");
      if (o.mode === "lowest") labels.add("lowest-priority delivery");
      if (o.mode === "smi" || o.mode === "nmi") labels.add("SMI or NMI delivery");
      if (o.mode === "extint") labels.add("ExtINT delivery");
      if (o.apicId > 0xff) labels.add("delivery to an APIC ID above 255");
    }
    for (const o of first.observations) if (o.kind === "fault") labels.add(`fault 0x${o.reason.toString(16)}`);
    const { ire, cfi, eime } = state.ir;
    if (ire && cfi && eime) labels.add("IR on with CFI and EIME both set");
    if (
      ire &&
      cfi &&
      eime &&
      first.observations.some((o) => o.kind === "fault" && o.reason === FaultReason.COMPAT_BLOCKED)
    ) {
      labels.add("compatibility format blocked with CFI set, as EIME is set");
    }
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
