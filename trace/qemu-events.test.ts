import { describe, expect, it } from "vitest";
import {
  EVENT_FORMATS,
  parseApicDeliverIrq,
  parseIoapicClearRemoteIrr,
  parseIoapicEoiBroadcast,
  parseIoapicEoiDelayedReassert,
  parseIoapicMemRead,
  parseIoapicMemWrite,
  parseIoapicSetIrq,
  parseIoapicSetRemoteIrr,
} from "./qemu-events.ts";

describe("one parser per hw/intc/trace-events format", () => {
  it("ioapic_set_irq", () => {
    expect(parseIoapicSetIrq("ioapic_set_irq vector: 5 level: 1")).toEqual({
      name: "ioapic_set_irq",
      vector: 5,
      level: 1,
    });
    expect(parseIoapicSetIrq("ioapic_set_irq vector: 5 level:1")).toBeNull();
    expect(parseIoapicSetIrq("ioapic_set_irq vector: 99999999999 level: 1")).toBeNull();
  });

  it("ioapic_mem_write, with uint8_t and uint32_t ranges", () => {
    expect(parseIoapicMemWrite("ioapic_mem_write ioapic mem write addr 0x10 regsel: 0x1a size 0x4 val 0x8031")).toEqual(
      { name: "ioapic_mem_write", addr: 0x10, regsel: 0x1a, size: 4, val: 0x8031 },
    );
    expect(
      parseIoapicMemWrite("ioapic_mem_write ioapic mem write addr 0x0 regsel: 0x1A size 0x4 val 0xFFFFFFFF"),
    ).toEqual({ name: "ioapic_mem_write", addr: 0, regsel: 0x1a, size: 4, val: 0xffffffff });
    expect(parseIoapicMemWrite("ioapic_mem_write ioapic mem write addr 0x0 regsel: 0x100 size 0x4 val 0x1")).toBeNull();
    expect(
      parseIoapicMemWrite("ioapic_mem_write ioapic mem write addr 0x0 regsel: 0x1 size 0x4 val 0x100000000"),
    ).toBeNull();
  });

  it("masks a wider MMIO offset with 0xFF, as ioapic_mem_write does before tracing", () => {
    expect(
      parseIoapicMemWrite("ioapic_mem_write ioapic mem write addr 0x110 regsel: 0x1a size 0x4 val 0x1"),
    ).toMatchObject({ addr: 0x10 });
    expect(
      parseIoapicMemRead("ioapic_mem_read ioapic mem read addr 0xf10 regsel: 0x1 size 0x4 retval 0x0"),
    ).toMatchObject({ addr: 0x10 });
  });

  it("ioapic_mem_read", () => {
    expect(
      parseIoapicMemRead("ioapic_mem_read ioapic mem read addr 0x10 regsel: 0x1a size 0x4 retval 0x1c031"),
    ).toEqual({
      name: "ioapic_mem_read",
      addr: 0x10,
      regsel: 0x1a,
      size: 4,
      retval: 0x1c031,
    });
    expect(parseIoapicMemRead("ioapic_mem_read ioapic mem read addr 0x10 regsel: 0x1a size 0x4 val 0x1")).toBeNull();
  });

  it("the EOI and remote IRR events", () => {
    expect(parseIoapicEoiBroadcast("ioapic_eoi_broadcast EOI broadcast for vector 49")).toEqual({
      name: "ioapic_eoi_broadcast",
      vector: 49,
    });
    expect(parseIoapicSetRemoteIrr("ioapic_set_remote_irr set remote irr for pin 5")).toEqual({
      name: "ioapic_set_remote_irr",
      pin: 5,
    });
    expect(parseIoapicClearRemoteIrr("ioapic_clear_remote_irr clear remote irr for pin 5 vector 49")).toEqual({
      name: "ioapic_clear_remote_irr",
      pin: 5,
      vector: 49,
    });
    expect(
      parseIoapicEoiDelayedReassert("ioapic_eoi_delayed_reassert delayed reassert on EOI broadcast for vector 7"),
    ).toEqual({ name: "ioapic_eoi_delayed_reassert", vector: 7 });
    expect(parseIoapicEoiBroadcast("ioapic_eoi_broadcast EOI broadcast for vector 0x31")).toBeNull();
  });

  it("apic_deliver_irq, current format and the old one with polarity", () => {
    expect(parseApicDeliverIrq("apic_deliver_irq dest 3 dest_mode 0 delivery_mode 0 vector 49 trigger_mode 1")).toEqual(
      {
        name: "apic_deliver_irq",
        dest: 3,
        destMode: 0,
        deliveryMode: 0,
        vector: 49,
        triggerMode: 1,
        polarity: null,
      },
    );
    expect(
      parseApicDeliverIrq("apic_deliver_irq dest 3 dest_mode 0 delivery_mode 0 vector 49 polarity 0 trigger_mode 1"),
    ).toMatchObject({ polarity: 0, triggerMode: 1 });
    expect(
      parseApicDeliverIrq("apic_deliver_irq dest 256 dest_mode 0 delivery_mode 0 vector 49 trigger_mode 1"),
    ).toBeNull();
  });

  it("has a parser for each of the eight events", () => {
    expect(Object.keys(EVENT_FORMATS).sort()).toEqual([
      "apic_deliver_irq",
      "ioapic_clear_remote_irr",
      "ioapic_eoi_broadcast",
      "ioapic_eoi_delayed_reassert",
      "ioapic_mem_read",
      "ioapic_mem_write",
      "ioapic_set_irq",
      "ioapic_set_remote_irr",
    ]);
  });
});
