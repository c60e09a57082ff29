/**
 * Local APIC interrupt acceptance, dispatch and EOI (SDM vol. 3 §10.8; semantics.md §7.3).
 * IRR, ISR and TMR are 256-bit registers held as eight 32-bit words.
 */
import type { Topology } from "./topology.ts";
import { logicalId } from "./topology.ts";

export interface LapicState {
  irr: number[];
  isr: number[];
  tmr: number[];
}

export function lapicReset(): LapicState {
  return {
    irr: new Array<number>(8).fill(0),
    isr: new Array<number>(8).fill(0),
    tmr: new Array<number>(8).fill(0),
  };
}

export function cloneLapic(l: LapicState): LapicState {
  return { irr: l.irr.slice(), isr: l.isr.slice(), tmr: l.tmr.slice() };
}

export function testVector(words: readonly number[], vector: number): boolean {
  return (((words[vector >>> 5] ?? 0) >>> (vector & 31)) & 1) === 1;
}

export function setVector(words: number[], vector: number, value: boolean): void {
  const w = words[vector >>> 5] ?? 0;
  const m = 1 << (vector & 31);
  words[vector >>> 5] = (value ? w | m : w & ~m) >>> 0;
}

/** Highest set vector, or -1. */
export function highestVector(words: readonly number[]): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i] ?? 0;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

/** Vectors 0x00-0x0F are reserved: a LAPIC does not accept them (SDM vol. 3 §10.5.2). */
export const FIRST_LEGAL_VECTOR = 0x10;

/**
 * Accept a fixed or lowest-priority interrupt (SDM §10.8.4): the TMR bit follows the
 * trigger mode, the IRR bit is set. A vector already pending in IRR coalesces. An illegal
 * vector is rejected and recorded as "Received Illegal Vector" in the ESR (§10.5.3; the
 * ESR is not modelled: the guest harness never reads it).
 */
export function acceptInterrupt(l: LapicState, vector: number, level: boolean): void {
  if (vector >= FIRST_LEGAL_VECTOR) latchInterrupt(l, vector, level);
}

/** Set TMR (per trigger mode) and IRR for a vector, legal or not. */
export function latchInterrupt(l: LapicState, vector: number, level: boolean): void {
  setVector(l.tmr, vector, level);
  setVector(l.irr, vector, true);
}

/**
 * The vCPU takes an interrupt (SDM §10.8.3.1): the highest IRR vector whose priority
 * class (vector[7:4]) is above the processor priority class PPR[7:4] (the highest
 * in-service class, 0 when none; TPR is 0) moves from IRR to ISR. Returns the vector, or
 * null if none is deliverable. A class-0 vector in IRR (only KVM puts one there) is
 * therefore never taken.
 */
export function dispatch(l: LapicState): number | null {
  const v = highestVector(l.irr);
  if (v < 0) return null;
  const inService = highestVector(l.isr);
  const processorPriorityClass = inService >= 0 ? inService >>> 4 : 0;
  if (v >>> 4 <= processorPriorityClass) return null;
  setVector(l.irr, v, false);
  setVector(l.isr, v, true);
  return v;
}

/**
 * EOI (SDM §10.8.5): clears the highest ISR bit. Returns that vector and whether its TMR
 * bit is set (then the LAPIC broadcasts an EOI message to the IOAPICs), or null.
 */
export function endOfInterrupt(l: LapicState): { vector: number; level: boolean } | null {
  const v = highestVector(l.isr);
  if (v < 0) return null;
  setVector(l.isr, v, false);
  return { vector: v, level: testVector(l.tmr, v) };
}

export interface Destination {
  readonly dest: number;
  readonly destMode: 0 | 1;
}

/** Physical broadcast ID: 0xFF in xAPIC mode, 0xFFFFFFFF in x2APIC mode (SDM §10.6.2.1, §10.12.9). */
export function broadcastId(topology: Topology): number {
  return topology.apicMode === "x2apic" ? 0xffffffff : 0xff;
}

/**
 * Does CPU `cpuIndex` match the destination (SDM §10.6.2)? Physical: the APIC ID or the
 * broadcast ID. Logical flat: any common bit with LDR[31:24]; cluster: same cluster
 * (bits 7:4) and a common bit in 3:0; x2APIC: same cluster (31:16), a common bit in 15:0.
 */
export function matchesDestination(topology: Topology, cpuIndex: number, d: Destination): boolean {
  const cpu = topology.cpus[cpuIndex];
  if (cpu === undefined) return false;
  if (d.destMode === 0) return d.dest === cpu.apicId || d.dest === broadcastId(topology);
  const ldr = logicalId(topology, cpuIndex);
  switch (topology.apicMode) {
    case "xapic-flat":
      return (d.dest & ldr & 0xff) !== 0;
    case "xapic-cluster":
      return d.dest >>> 4 === ldr >>> 4 && (d.dest & ldr & 0xf) !== 0;
    case "x2apic":
      return d.dest >>> 16 === ldr >>> 16 && (d.dest & ldr & 0xffff) !== 0;
  }
}

/**
 * The CPUs that accept an interrupt (SDM §10.6.2.4; semantics.md §5.3): the destination
 * set, or, for lowest priority or RH = 1 to more than one CPU (a physical broadcast
 * excepted), one CPU of it, the one `arbitrate(n)` picks. The reference lets any CPU win
 * (a choice); KVM picks by vector (`kvm_vector_to_index`).
 */
export function deliveryTargets(
  topology: Topology,
  irq: Destination & { readonly redirectionHint: 0 | 1 },
  lowestPriority: boolean,
  arbitrate: (candidates: number) => number,
): number[] {
  const targets = destinationSet(topology, irq);
  const broadcast = irq.destMode === 0 && irq.dest === broadcastId(topology);
  if (!(lowestPriority || irq.redirectionHint === 1) || broadcast || targets.length <= 1) return targets;
  const pick = targets[arbitrate(targets.length)];
  return pick === undefined ? [] : [pick];
}

/** Indices of the CPUs a destination selects, in topology order. */
export function destinationSet(topology: Topology, d: Destination): number[] {
  const out: number[] = [];
  for (let i = 0; i < topology.cpus.length; i++) if (matchesDestination(topology, i, d)) out.push(i);
  return out;
}
