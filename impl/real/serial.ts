/**
 * Parse the guest's COM1 output (format: guest/README.md) into one StepResult per command.
 * The guest prints only what changed; every sequence starts from the reset state below.
 */
import type { Observation } from "../../model/observations.ts";
import type { Topology } from "../../model/topology.ts";
import type { FaultRecord, GuestVisible } from "../../model/visible.ts";
import type { StepResult } from "../../properties/implementation.ts";

/** Trace note for a step whose state dump had to write IOREGSEL while routes were stale. */
export const PERTURBED_NOTE =
  "note: the state dump wrote IOREGSEL after irte.write/ir.control; QEMU 7.2 refreshes KVM routes on every IOAPIC write";

export interface SerialParse {
  /** Sequence index -> its steps; only sequences that started. */
  readonly results: Map<number, StepResult[]>;
  /** `W n`: sequence n needs a fresh machine (state the guest could not clear). */
  readonly restartAt: number | null;
  /** `X …`: the guest stopped on an error. */
  readonly error: string | null;
  /** `Z`: all sequences ran. */
  readonly complete: boolean;
  readonly header: string | null;
}

interface Live {
  rtes: number[];
  ioapicId: number;
  lapics: { irr: number[]; isr: number[]; tmr: number[] }[];
  frcd: number[][];
  fsts: number;
  /** PBA dword per MSI-X device. */
  pba: number[];
}

function resetLive(topology: Topology): Live {
  const rtes: number[] = [];
  for (let p = 0; p < 24; p++) rtes.push(0x10000, 0);
  const zero = (): number[] => new Array<number>(8).fill(0);
  return {
    rtes,
    ioapicId: 0,
    lapics: topology.cpus.map(() => ({ irr: zero(), isr: zero(), tmr: zero() })),
    frcd: [],
    fsts: 0,
    pba: topology.msiDevices.map(() => 0),
  };
}

/** A fault recording register as 4 dwords (VT-d §10.4.14): FI[63:48], SID, FR, F = bit 127. */
function faultOf(words: readonly number[] | undefined): FaultRecord | null {
  if (words === undefined || ((words[3] ?? 0) & 0x80000000) === 0) return null;
  return {
    index: ((words[1] ?? 0) >>> 16) & 0xffff,
    sourceId: (words[2] ?? 0) & 0xffff,
    reason: (words[3] ?? 0) & 0xff,
  };
}

function snapshot(live: Live, topology: Topology): GuestVisible {
  const faultRecords: (FaultRecord | null)[] = [];
  for (let i = 0; i < topology.faultRecords; i++) faultRecords.push(faultOf(live.frcd[i]));
  return {
    ioapicId: live.ioapicId,
    rtes: live.rtes.slice(),
    lapics: live.lapics.map((l) => ({ irr: l.irr.slice(), isr: l.isr.slice(), tmr: l.tmr.slice() })),
    faultRecords,
    faultOverflow: (live.fsts & 1) !== 0,
    msiPending: live.pba.slice(),
  };
}

const hex = (s: string | undefined): number => {
  const v = Number.parseInt(s ?? "", 16);
  if (Number.isNaN(v)) throw new Error(`bad hex field ${JSON.stringify(s)}`);
  return v >>> 0;
};
const words = (s: string | undefined): number[] => (s ?? "").split(",").map(hex);

export function parseSerial(text: string, topology: Topology): SerialParse {
  const results = new Map<number, StepResult[]>();
  let live = resetLive(topology);
  let steps: StepResult[] | null = null;
  let trace: string[] = [];
  let observations: Observation[] = [];
  let restartAt: number | null = null;
  let error: string | null = null;
  let complete = false;
  let header: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "") continue;
    const f = line.split(" ");
    switch (f[0]) {
      case "H":
        header = line;
        continue;
      case "S":
        live = resetLive(topology);
        steps = [];
        results.set(hex(f[1]), steps);
        trace = [];
        observations = [];
        continue;
      case ".":
      case ".!":
        if (f[0] === ".!") trace.push(PERTURBED_NOTE);
        steps?.push({ observations, visible: snapshot(live, topology), trace });
        trace = [];
        observations = [];
        continue;
      case "W":
        restartAt = hex(f[1]);
        continue;
      case "X":
        error = line.slice(2);
        continue;
      case "Z":
        complete = true;
        continue;
    }
    trace.push(line);
    switch (f[0]) {
      case "R":
        observations.push({ kind: "read", reg: hex(f[1]), value: hex(f[2]) });
        break;
      case "T": {
        const pin = hex(f[1]);
        const [lo, hi] = words(f[2]);
        live.rtes[2 * pin] = lo ?? 0;
        live.rtes[2 * pin + 1] = hi ?? 0;
        break;
      }
      case "D":
        live.ioapicId = hex(f[1]);
        break;
      case "L": {
        const l = live.lapics[hex(f[1])];
        if (l === undefined) throw new Error(`serial: LAPIC line for a vCPU the topology lacks: ${line}`);
        l.irr = words(f[2]);
        l.isr = words(f[3]);
        l.tmr = words(f[4]);
        break;
      }
      case "F":
        live.frcd[hex(f[1])] = words(f[2]);
        break;
      case "P":
        live.fsts = hex(f[1]);
        break;
      case "M": {
        const dev = hex(f[1]);
        if (dev >= live.pba.length) throw new Error(`serial: PBA line for an MSI-X device the topology lacks: ${line}`);
        live.pba[dev] = hex(f[2]);
        break;
      }
      case "A":
      case "E":
        break;
      default:
        throw new Error(`serial: unknown line ${JSON.stringify(line)}`);
    }
  }
  return { results, restartAt, error, complete, header };
}
