/**
 * What one real QEMU boot of the guest produced, and how the boots of one scenario add up
 * to one StepResult[] per sequence: a guest that stops with `W n` (state it cannot clear)
 * continues in a fresh machine from sequence n. Shared by the host and the nested runner.
 */
import type { Topology } from "../../model/topology.ts";
import type { StepResult } from "../../properties/implementation.ts";
import { parseSerial } from "./serial.ts";

export interface BootOutput {
  /** The first sequence this boot ran (the scenario header's). */
  readonly first: number;
  /** QEMU's exit status (124 or 137: killed by timeout), null if killed by a signal. */
  readonly code: number | null;
  /** The guest's COM1 output. */
  readonly serial: string;
  /** The last lines QEMU wrote to stderr. */
  readonly stderr: string;
  readonly seconds: number;
}

/** QEMU died in the middle of a sequence: the steps before it, then no more. */
export interface QemuAbort {
  readonly sequence: number;
  /** The step during which QEMU ended (results hold the steps before it). */
  readonly step: number;
  readonly code: number | null;
  /** QEMU's last stderr lines, joined with " | ". */
  readonly stderr: string;
}

export class BootCollector {
  readonly results: StepResult[][] = [];
  readonly bootSeconds: number[] = [];
  readonly aborts: QemuAbort[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly sequences: readonly (readonly unknown[])[],
  ) {}

  /** Take one boot's output; the first sequence of the next boot, or null when all ran. */
  absorb(boot: BootOutput): number | null {
    this.bootSeconds.push(boot.seconds);
    const parsed = parseSerial(boot.serial, this.topology);
    for (const [i, steps] of parsed.results) {
      if (i >= boot.first && steps.length === this.sequences[i]?.length) this.results[i] = steps;
    }
    if (parsed.error !== null)
      throw new Error(`guest stopped at sequence ${this.results.length}: ${parsed.error} (qemu exit ${boot.code})`);
    if (parsed.complete) return null;
    if (parsed.restartAt !== null && parsed.restartAt > boot.first) return parsed.restartAt;
    const last = boot.stderr.trim().split("\n").slice(-3).join(" | ");
    const killed = boot.code === 124 || boot.code === 137 ? ", timeout" : "";
    // QEMU ended inside a sequence it had started - it died, or hung and was killed (the
    // nested watchdog: no guest output for a while; the time limit): that sequence is a
    // finding, the next boot goes on with the one after it.
    const started = Math.max(-1, ...parsed.results.keys());
    const partial = parsed.results.get(started);
    const length = this.sequences[started]?.length ?? 0;
    if (partial !== undefined && started >= boot.first && partial.length < length) {
      this.results[started] = partial;
      const hung = `QEMU killed after ${boot.seconds.toFixed(0)} s: no guest output for too long, or out of time`;
      const stderr = killed === "" ? last : last === "" ? hung : `${hung} | ${last}`;
      this.aborts.push({ sequence: started, step: partial.length, code: boot.code, stderr });
      return started + 1 < this.sequences.length ? started + 1 : null;
    }
    throw new Error(
      `QEMU ended before the scenario did (exit ${boot.code}${killed}; first sequence ${boot.first}): ${last}`,
    );
  }

  /** Every sequence's results (an aborted one's up to the abort); throws if one is missing. */
  finish(): StepResult[][] {
    for (let i = 0; i < this.sequences.length; i++) {
      if (this.aborts.some((a) => a.sequence === i)) continue;
      if (this.results[i]?.length !== this.sequences[i]?.length)
        throw new Error(`sequence ${i}: the guest reported no result`);
    }
    return this.results;
  }
}
