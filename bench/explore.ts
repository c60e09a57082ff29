/**
 * The explorer on the small topology: depth completed and states/s within a time budget,
 * per variant, and the shortest counterexample of each signature it finds on the way
 * (set beside the campaign's shrunk lengths).
 */

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findVariant } from "../impl/variants/index.ts";
import { TOPOLOGIES } from "../model/topology.ts";
import { alphabet } from "../properties/alphabet.ts";
import { check } from "../properties/checker.ts";
import { explore } from "../properties/explore.ts";
import type { Bug } from "./hunt.ts";

export interface ExploreBench {
  readonly variant: string;
  readonly depthCompleted: number;
  readonly seconds: number;
  readonly states: number;
  readonly statesPerSecond: number;
  /** Over CPU time of this process (user and system), the measure of the explorer's goal. */
  readonly statesPerCpuSecond: number;
  /** Shortest length per `op/difference` signature. */
  readonly shortest: ReadonlyMap<string, number>;
}

export function exploreBench(variantName: string, timeMs: number, depth = 12): ExploreBench {
  const topology = TOPOLOGIES.small;
  const v = findVariant(variantName);
  if (topology === undefined || v === undefined) throw new Error(variantName);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const r = explore({
    topology,
    alphabet: alphabet("ioapic", topology),
    create: v.create,
    variant: v.name,
    property: "delivery-log",
    depth,
    allSignatures: true,
    stop: () => performance.now() - started >= timeMs,
  });
  const seconds = r.elapsedMs / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const shortest = new Map(r.findings.map((f) => [`${f.signature.op}/${f.signature.difference}`, f.commands.length]));
  return {
    variant: v.name,
    depthCompleted: r.depthCompleted,
    seconds,
    states: r.states,
    statesPerSecond: r.states / seconds,
    statesPerCpuSecond: r.states / ((cpu.user + cpu.system) / 1e6),
    shortest,
  };
}

/** `exploreBench` in a fresh process (explore-child.ts), after a search to `warmDepth` there if given. */
export function exploreBenchFresh(
  variantName: string,
  timeMs: number,
  depth: number,
  warmDepth?: number,
): ExploreBench {
  const args = [variantName, Number.isFinite(timeMs) ? String(timeMs) : "inf", String(depth)];
  if (warmDepth !== undefined) args.push(String(warmDepth));
  const out = execFileSync(process.execPath, [BUNDLE, CHILD, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  const r = JSON.parse(out) as Omit<ExploreBench, "shortest"> & { shortest: [string, number][] };
  return { ...r, shortest: new Map(r.shortest) };
}

const BUNDLE = fileURLToPath(new URL("../bin/bundle.js", import.meta.url));
const CHILD = fileURLToPath(new URL("./explore-child.ts", import.meta.url));

/**
 * The shortest counterexample of each of a bug's `op/difference` signatures on the small
 * topology's ioapic alphabet, up to `depth`, counting only sequences its fixing variant
 * passes, as the hunt's triage does (D20 apart from its D8 look-alikes, which share its
 * signatures and which irqfd-cache does not fix).
 */
export function shortestOfBug(bug: Bug, depth: number): ReadonlyMap<string, number> {
  const topology = TOPOLOGIES.small;
  const v = findVariant(bug.variant);
  const fix = bug.fixedBy === undefined ? undefined : findVariant(bug.fixedBy);
  if (topology === undefined || v === undefined) throw new Error(bug.variant);
  const r = explore({
    topology,
    alphabet: alphabet("ioapic", topology),
    create: v.create,
    variant: v.name,
    property: bug.property,
    depth,
    allSignatures: true,
    accept: (commands) => fix === undefined || check(topology, fix.create(), commands, bug.property).ok,
  });
  return new Map(r.findings.map((f) => [`${f.signature.op}/${f.signature.difference}`, f.commands.length]));
}
