/**
 * MSI-X table entries and pending bits (PCI Local Bus 3.0 §6.8.2): a vector fired while
 * masked sets its pending bit; clearing the mask with the pending bit set sends the
 * message and clears the bit. Entries reset masked with address and data 0.
 *
 * The state is persistent: an update returns a new state that shares every device it
 * did not change, so a reference step copies only the vector a command touches.
 */
import type { MsiMessage } from "./msi.ts";
import type { Topology } from "./topology.ts";

export interface MsixEntry {
  readonly address: number;
  readonly data: number;
  readonly masked: boolean;
  readonly pending: boolean;
}

export interface MsixState {
  /** Per device, its MSI-X table. */
  readonly tables: readonly (readonly MsixEntry[])[];
  /** Per device, its PBA as a bitmap over its vectors (kept with the table's pending bits). */
  readonly pba: readonly number[];
}

const RESET_ENTRY: MsixEntry = Object.freeze({ address: 0, data: 0, masked: true, pending: false });

export function msixReset(topology: Topology): MsixState {
  return {
    tables: topology.msiDevices.map((d) => new Array<MsixEntry>(d.vectors).fill(RESET_ENTRY)),
    pba: topology.msiDevices.map(() => 0),
  };
}

export function entry(s: MsixState, dev: number, vec: number): MsixEntry {
  const e = s.tables[dev]?.[vec];
  if (e === undefined) throw new Error(`no MSI-X vector ${dev}.${vec}`);
  return e;
}

/** `s` with vector `vec` of device `dev` replaced by `e` (its PBA bit follows `e.pending`). */
function withEntry(s: MsixState, dev: number, vec: number, e: MsixEntry): MsixState {
  const table = (s.tables[dev] ?? []).slice();
  table[vec] = e;
  const tables = s.tables.slice();
  tables[dev] = table;
  const pba = s.pba.slice();
  const bit = 1 << vec;
  const word = pba[dev] ?? 0;
  pba[dev] = (e.pending ? word | bit : word & ~bit) >>> 0;
  return { tables, pba };
}

/** The guest writes a table entry's address and data. */
export function program(s: MsixState, dev: number, vec: number, address: number, data: number): MsixState {
  return withEntry(s, dev, vec, { ...entry(s, dev, vec), address: address >>> 0, data: data >>> 0 });
}

export interface MsixUpdate {
  readonly state: MsixState;
  /** The message the device sends now, or null. */
  readonly message: MsiMessage | null;
}

/** Fire: the message to send now, or null if the vector is masked (then it is pending). */
export function fire(s: MsixState, dev: number, vec: number): MsixUpdate {
  const e = entry(s, dev, vec);
  if (e.masked) return { state: e.pending ? s : withEntry(s, dev, vec, { ...e, pending: true }), message: null };
  return { state: s, message: { address: e.address, data: e.data } };
}

/** Set the mask bit: the message to send now if unmasking releases a pending vector. */
export function setMask(s: MsixState, dev: number, vec: number, masked: boolean): MsixUpdate {
  const e = entry(s, dev, vec);
  if (masked || !e.pending) {
    return { state: e.masked === masked ? s : withEntry(s, dev, vec, { ...e, masked }), message: null };
  }
  return {
    state: withEntry(s, dev, vec, { ...e, masked, pending: false }),
    message: { address: e.address, data: e.data },
  };
}
