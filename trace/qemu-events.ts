/**
 * The events irqcheck reads, one parser per format string of QEMU's hw/intc/trace-events
 * (ioapic.c and apic.c sections). A parser takes a line's body (prefix removed) and returns
 * the event or null. Fields keep the words of the format string, even where QEMU's word is
 * misleading; the importer, not the parser, says what they mean. Integers are range-checked
 * against the C argument types, as printf could not have printed anything else.
 */
/** One recognised event. Integers as printed; ranges checked against the C argument types. */
export type TraceEvent =
  /** `ioapic_set_irq(int vector, int level)`: "vector: %d level: %d". `vector` is the input line. */
  | { readonly name: "ioapic_set_irq"; readonly vector: number; readonly level: number }
  /** `ioapic_mem_write(uint8_t addr, uint8_t regsel, uint8_t size, uint32_t val)`. */
  | {
      readonly name: "ioapic_mem_write";
      readonly addr: number;
      readonly regsel: number;
      readonly size: number;
      readonly val: number;
    }
  /** `ioapic_mem_read(uint8_t addr, uint8_t regsel, uint8_t size, uint32_t val)`: "... retval 0x%x". */
  | {
      readonly name: "ioapic_mem_read";
      readonly addr: number;
      readonly regsel: number;
      readonly size: number;
      readonly retval: number;
    }
  /** `ioapic_eoi_broadcast(int vector)`. */
  | { readonly name: "ioapic_eoi_broadcast"; readonly vector: number }
  /** `ioapic_set_remote_irr(int n)`: "set remote irr for pin %d". */
  | { readonly name: "ioapic_set_remote_irr"; readonly pin: number }
  /** `ioapic_clear_remote_irr(int n, int vector)`. */
  | { readonly name: "ioapic_clear_remote_irr"; readonly pin: number; readonly vector: number }
  /** `ioapic_eoi_delayed_reassert(int vector)`; ioapic_eoi_broadcast passes the pin number here. */
  | { readonly name: "ioapic_eoi_delayed_reassert"; readonly vector: number }
  /**
   * `apic_deliver_irq(uint8_t dest, uint8_t dest_mode, uint8_t delivery_mode, uint8_t vector_num,
   * uint8_t trigger_mode)`; QEMU before ~2.0 also printed `polarity %d` before trigger_mode.
   */
  | {
      readonly name: "apic_deliver_irq";
      readonly dest: number;
      readonly destMode: number;
      readonly deliveryMode: number;
      readonly vector: number;
      readonly triggerMode: number;
      readonly polarity: number | null;
    };

export type EventName = TraceEvent["name"];

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
const U8_MAX = 0xff;
const U32_MAX = 0xffffffff;

/** `%d` of an argument whose C type holds min..max; null if not a number in range. */
function dec(text: string | undefined, min: number, max: number): number | null {
  if (text === undefined || !/^-?\d{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** `0x%x` (PRIx8 / PRIx32) digits, without the `0x`; null if not hex or above max. */
function hexArg(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[0-9a-fA-F]{1,8}$/.test(text)) return null;
  const n = Number.parseInt(text, 16);
  return n <= max ? n : null;
}

const D = "(-?\\d+)";
const X = "0x([0-9a-fA-F]+)";

function format(name: string, fmt: string): RegExp {
  return new RegExp(`^${name} ${fmt}$`);
}

const SET_IRQ = format("ioapic_set_irq", `vector: ${D} level: ${D}`);
const MEM_WRITE = format("ioapic_mem_write", `ioapic mem write addr ${X} regsel: ${X} size ${X} val ${X}`);
const MEM_READ = format("ioapic_mem_read", `ioapic mem read addr ${X} regsel: ${X} size ${X} retval ${X}`);
const EOI_BROADCAST = format("ioapic_eoi_broadcast", `EOI broadcast for vector ${D}`);
const SET_REMOTE_IRR = format("ioapic_set_remote_irr", `set remote irr for pin ${D}`);
const CLEAR_REMOTE_IRR = format("ioapic_clear_remote_irr", `clear remote irr for pin ${D} vector ${D}`);
const DELAYED_REASSERT = format("ioapic_eoi_delayed_reassert", `delayed reassert on EOI broadcast for vector ${D}`);
const DELIVER_IRQ = format(
  "apic_deliver_irq",
  `dest ${D} dest_mode ${D} delivery_mode ${D} vector ${D}(?: polarity ${D})? trigger_mode ${D}`,
);

export function parseIoapicSetIrq(body: string): TraceEvent | null {
  const m = SET_IRQ.exec(body);
  const vector = dec(m?.[1], INT_MIN, INT_MAX);
  const level = dec(m?.[2], INT_MIN, INT_MAX);
  return vector === null || level === null ? null : { name: "ioapic_set_irq", vector, level };
}

/**
 * ioapic_mem_write masks the offset with 0xFF before tracing, and the uint8_t argument could
 * not print more; a wider `addr` (a hand-edited trace) is accepted here and masked the same way.
 */
export function parseIoapicMemWrite(body: string): TraceEvent | null {
  const m = MEM_WRITE.exec(body);
  const addr = hexArg(m?.[1], U32_MAX);
  const regsel = hexArg(m?.[2], U8_MAX);
  const size = hexArg(m?.[3], U8_MAX);
  const val = hexArg(m?.[4], U32_MAX);
  if (addr === null || regsel === null || size === null || val === null) return null;
  return { name: "ioapic_mem_write", addr: addr & 0xff, regsel, size, val };
}

export function parseIoapicMemRead(body: string): TraceEvent | null {
  const m = MEM_READ.exec(body);
  const addr = hexArg(m?.[1], U32_MAX);
  const regsel = hexArg(m?.[2], U8_MAX);
  const size = hexArg(m?.[3], U8_MAX);
  const retval = hexArg(m?.[4], U32_MAX);
  if (addr === null || regsel === null || size === null || retval === null) return null;
  return { name: "ioapic_mem_read", addr: addr & 0xff, regsel, size, retval };
}

export function parseIoapicEoiBroadcast(body: string): TraceEvent | null {
  const vector = dec(EOI_BROADCAST.exec(body)?.[1], INT_MIN, INT_MAX);
  return vector === null ? null : { name: "ioapic_eoi_broadcast", vector };
}

export function parseIoapicSetRemoteIrr(body: string): TraceEvent | null {
  const pin = dec(SET_REMOTE_IRR.exec(body)?.[1], INT_MIN, INT_MAX);
  return pin === null ? null : { name: "ioapic_set_remote_irr", pin };
}

export function parseIoapicClearRemoteIrr(body: string): TraceEvent | null {
  const m = CLEAR_REMOTE_IRR.exec(body);
  const pin = dec(m?.[1], INT_MIN, INT_MAX);
  const vector = dec(m?.[2], INT_MIN, INT_MAX);
  return pin === null || vector === null ? null : { name: "ioapic_clear_remote_irr", pin, vector };
}

export function parseIoapicEoiDelayedReassert(body: string): TraceEvent | null {
  const vector = dec(DELAYED_REASSERT.exec(body)?.[1], INT_MIN, INT_MAX);
  return vector === null ? null : { name: "ioapic_eoi_delayed_reassert", vector };
}

export function parseApicDeliverIrq(body: string): TraceEvent | null {
  const m = DELIVER_IRQ.exec(body);
  const dest = dec(m?.[1], 0, U8_MAX);
  const destMode = dec(m?.[2], 0, U8_MAX);
  const deliveryMode = dec(m?.[3], 0, U8_MAX);
  const vector = dec(m?.[4], 0, U8_MAX);
  const polarity = m?.[5] === undefined ? null : dec(m[5], 0, U8_MAX);
  const triggerMode = dec(m?.[6], 0, U8_MAX);
  if (dest === null || destMode === null || deliveryMode === null || vector === null) return null;
  if (triggerMode === null || (m?.[5] !== undefined && polarity === null)) return null;
  return { name: "apic_deliver_irq", dest, destMode, deliveryMode, vector, triggerMode, polarity };
}

/** The parser for each recognised event name, and the format it expects (for messages). */
export const EVENT_FORMATS: Readonly<
  Record<EventName, { readonly parse: (body: string) => TraceEvent | null; readonly format: string }>
> = {
  ioapic_set_irq: { parse: parseIoapicSetIrq, format: "vector: %d level: %d" },
  ioapic_mem_write: {
    parse: parseIoapicMemWrite,
    format: "ioapic mem write addr 0x%x regsel: 0x%x size 0x%x val 0x%x",
  },
  ioapic_mem_read: {
    parse: parseIoapicMemRead,
    format: "ioapic mem read addr 0x%x regsel: 0x%x size 0x%x retval 0x%x",
  },
  ioapic_eoi_broadcast: { parse: parseIoapicEoiBroadcast, format: "EOI broadcast for vector %d" },
  ioapic_set_remote_irr: { parse: parseIoapicSetRemoteIrr, format: "set remote irr for pin %d" },
  ioapic_clear_remote_irr: {
    parse: parseIoapicClearRemoteIrr,
    format: "clear remote irr for pin %d vector %d",
  },
  ioapic_eoi_delayed_reassert: {
    parse: parseIoapicEoiDelayedReassert,
    format: "delayed reassert on EOI broadcast for vector %d",
  },
  apic_deliver_irq: {
    parse: parseApicDeliverIrq,
    format: "dest %d dest_mode %d delivery_mode %d vector %d trigger_mode %d",
  },
};

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENT_FORMATS, name);
}
