/**
 * MSI-X table entries and pending bits (PCI Local Bus 3.0 §6.8.2): a vector fired while
 * masked sets its pending bit; clearing the mask with the pending bit set sends the
 * message and clears the bit. Entries reset masked with address and data 0.
 */
import type { MsiMessage } from "./msi.ts";
import type { Topology } from "./topology.ts";

export interface MsixEntry {
  address: number;
  data: number;
  masked: boolean;
  pending: boolean;
}

export type MsixState = MsixEntry[][];

export function msixReset(topology: Topology): MsixState {
  return topology.msiDevices.map((d) =>
    Array.from({ length: d.vectors }, () => ({ address: 0, data: 0, masked: true, pending: false })),
  );
}

export function cloneMsix(s: MsixState): MsixState {
  return s.map((dev) => dev.map((e) => ({ ...e })));
}

export function entry(s: MsixState, dev: number, vec: number): MsixEntry {
  const e = s[dev]?.[vec];
  if (e === undefined) throw new Error(`no MSI-X vector ${dev}.${vec}`);
  return e;
}

/** Fire: the message to send now, or null if the vector is masked (then it is pending). */
export function fire(e: MsixEntry): MsiMessage | null {
  if (e.masked) {
    e.pending = true;
    return null;
  }
  return { address: e.address, data: e.data };
}

/** Set the mask bit: the message to send now if unmasking releases a pending vector. */
export function setMask(e: MsixEntry, masked: boolean): MsiMessage | null {
  e.masked = masked;
  if (masked || !e.pending) return null;
  e.pending = false;
  return { address: e.address, data: e.data };
}

/** PBA bitmap of one device. */
export function pendingBits(dev: readonly MsixEntry[]): number {
  let bitsSet = 0;
  dev.forEach((e, i) => {
    if (e.pending) bitsSet |= 1 << i;
  });
  return bitsSet >>> 0;
}
