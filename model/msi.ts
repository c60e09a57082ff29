/**
 * MSI address/data (SDM vol. 3 §10.11; VT-d §5.1.2 for the remappable format;
 * semantics.md §7.1-7.2, and §6.6 for KVM's extended destination ID).
 *
 *   address  31:20 0xFEE   19:12 dest[7:0] / handle[14:7]   11:5 ext dest[14:8] / handle[6:0]
 *            4 format (1 = remappable)   3 RH / SHV   2 DM / handle[15]   1:0 ignored
 *   data     7:0 vector   10:8 delivery mode   14 level (assert)   15 trigger (1 = level)
 */
import { bit, bits, get32, set32 } from "./bits.ts";

export const MSI_ADDRESS_BASE = 0xfee00000;

export const MsiAddr = {
  window: bits(31, 20),
  destId: bits(19, 12),
  extDestId: bits(11, 5),
  format: bit(4),
  redirectionHint: bit(3),
  destMode: bit(2),
  /** Remappable format: handle[14:0] spans bits 19:5. */
  handleLow: bits(19, 5),
  subhandleValid: bit(3),
  handle15: bit(2),
} as const;

export const MsiData = {
  vector: bits(7, 0),
  deliveryMode: bits(10, 8),
  level: bit(14),
  trigger: bit(15),
  /** Remappable format with SHV = 1: subhandle in 15:0, 31:16 must be 0. */
  subhandle: bits(15, 0),
  high: bits(31, 16),
} as const;

export interface MsiMessage {
  readonly address: number;
  readonly data: number;
}

/** A compatibility-format interrupt as the LAPICs receive it. */
export interface CompatInterrupt {
  readonly dest: number;
  readonly destMode: 0 | 1;
  readonly redirectionHint: 0 | 1;
  readonly deliveryMode: number;
  readonly vector: number;
  readonly trigger: 0 | 1;
}

export function isInterruptWindow(address: number): boolean {
  return get32(address, MsiAddr.window) === 0xfee;
}

export function isRemappable(address: number): boolean {
  return get32(address, MsiAddr.format) === 1;
}

/**
 * Decode a message as a compatibility-format interrupt. With KVM's extended destination
 * ID, address bits 11:5 are destination bits 14:8, but only in a message whose format
 * bit 4 is 0 (semantics.md §3.3, §6.6); otherwise they are ignored. (With remapping
 * disabled a remappable-format message is decoded this way too.)
 */
export function decodeCompat(msg: MsiMessage, extDestId: boolean): CompatInterrupt {
  const ext = extDestId && !isRemappable(msg.address) ? get32(msg.address, MsiAddr.extDestId) << 8 : 0;
  return {
    dest: get32(msg.address, MsiAddr.destId) | ext,
    destMode: get32(msg.address, MsiAddr.destMode) as 0 | 1,
    redirectionHint: get32(msg.address, MsiAddr.redirectionHint) as 0 | 1,
    deliveryMode: get32(msg.data, MsiData.deliveryMode),
    vector: get32(msg.data, MsiData.vector),
    trigger: get32(msg.data, MsiData.trigger) as 0 | 1,
  };
}

/** Encode a compatibility-format message; destinations above 0xFF use the extended ID bits. */
export function encodeCompat(irq: CompatInterrupt): MsiMessage {
  let address = MSI_ADDRESS_BASE;
  address = set32(address, MsiAddr.destId, irq.dest & 0xff);
  address = set32(address, MsiAddr.extDestId, (irq.dest >>> 8) & 0x7f);
  address = set32(address, MsiAddr.redirectionHint, irq.redirectionHint);
  address = set32(address, MsiAddr.destMode, irq.destMode);
  let data = set32(0, MsiData.vector, irq.vector);
  data = set32(data, MsiData.deliveryMode, irq.deliveryMode);
  data = set32(data, MsiData.trigger, irq.trigger);
  data = set32(data, MsiData.level, 1);
  return { address, data };
}

export interface RemappableRequest {
  readonly handle: number;
  readonly subhandleValid: boolean;
}

/** Handle of a remappable-format address: handle[15] is bit 2, handle[14:0] bits 19:5. */
export function decodeRemappable(address: number): RemappableRequest {
  return {
    handle: (get32(address, MsiAddr.handle15) << 15) | get32(address, MsiAddr.handleLow),
    subhandleValid: get32(address, MsiAddr.subhandleValid) === 1,
  };
}

export function encodeRemappable(req: RemappableRequest): number {
  let address = set32(MSI_ADDRESS_BASE, MsiAddr.format, 1);
  address = set32(address, MsiAddr.handleLow, req.handle & 0x7fff);
  address = set32(address, MsiAddr.handle15, (req.handle >>> 15) & 1);
  return set32(address, MsiAddr.subhandleValid, req.subhandleValid ? 1 : 0);
}
