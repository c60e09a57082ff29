/**
 * The pin-state columns: which IOAPIC pins a sequence touches, and each one's RTE after
 * a step, decoded the way `info ioapic` and the ioapic trace events show it, next to the
 * input line level.
 */
import { formatHexWords, get32, hex } from "../../model/bits.ts";
import type { Command } from "../../model/commands.ts";
import { RteLow, rteMessage, rteOfRegister } from "../../model/ioapic.ts";
import { decodeCompat, decodeRemappable, isRemappable } from "../../model/msi.ts";
import { DELIVERY_MODES } from "../../model/observations.ts";
import type { GuestVisible } from "../../model/visible.ts";
import { type Child, h } from "./markup.ts";

/** Pins named by an RTE register access or a line command, ascending. */
export function touchedPins(commands: readonly Command[]): number[] {
  const pins = new Set<number>();
  for (const c of commands) {
    if (c.op === "ioapic.write" || c.op === "ioapic.read") {
      const rte = rteOfRegister(c.reg);
      if (rte !== null) pins.add(rte.pin);
    } else if (c.op === "line.set" || c.op === "line.pulse") {
      pins.add(c.pin);
    }
  }
  return [...pins].sort((a, b) => a - b);
}

/** The RTE of `pin` as IOWIN reads return it: [low, high]. */
function rteWords(v: GuestVisible, pin: number): [number, number] {
  return [v.rtes[2 * pin] ?? 0, v.rtes[2 * pin + 1] ?? 0];
}

/** Destination of an RTE: an APIC ID (physical), a logical mask, or an IRTE index. */
function destination(low: number, high: number, extDestId: boolean): string {
  const msg = rteMessage(low, high);
  if (isRemappable(msg.address)) return `IRTE index ${decodeRemappable(msg.address).handle}`;
  const irq = decodeCompat(msg, extDestId);
  return `dest ${hex(irq.dest)} ${irq.destMode === 1 ? "logical" : "phys"}`;
}

/** The RTE's fields as short labels: vector, destination, trigger, mask, remote IRR. */
export function decodeRte(low: number, high: number, extDestId: boolean): string[] {
  const mode = DELIVERY_MODES[get32(low, RteLow.deliveryMode)] ?? "reserved";
  const level = get32(low, RteLow.trigger) === 1;
  return [
    `vec ${hex(get32(low, RteLow.vector), 2)}`,
    destination(low, high, extDestId),
    ...(mode === "fixed" ? [] : [mode]),
    level ? "level" : "edge",
    get32(low, RteLow.mask) === 1 ? "masked" : "unmasked",
    ...(level ? [`remote IRR ${get32(low, RteLow.remoteIrr)}`] : []),
  ];
}

/** What the pin columns read from one point of the run. */
export interface PinSnapshot {
  readonly visible: GuestVisible;
  /** Input line levels, one bit per pin. */
  readonly lines: number;
}

/** The RTE words and line level of `pin`, as one comparable string. */
function pinKey(s: PinSnapshot, pin: number): string {
  return `${rteWords(s.visible, pin).join()}/${(s.lines >>> pin) & 1}`;
}

/** One pin's cell after a step: the 64-bit RTE in hex, its decoded fields, the line level. */
export function pinCell(pin: number, after: PinSnapshot, before: PinSnapshot, extDestId: boolean): Child {
  const [low, high] = rteWords(after.visible, pin);
  const changed = pinKey(after, pin) !== pinKey(before, pin);
  const level = (after.lines >>> pin) & 1;
  return h(
    "td",
    { class: changed ? "pin changed" : "pin", "data-label": `pin ${pin}`, "data-pin": pin },
    h("code", { title: changed ? "changed by this step" : undefined }, formatHexWords([low, high], 16)),
    h("span", { class: "fields" }, decodeRte(low, high, extDestId).join(" · ")),
    h("span", { class: level === 1 ? "line asserted" : "line" }, `line ${level}`),
  );
}
