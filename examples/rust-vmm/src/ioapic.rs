//! An I/O APIC (Intel 82093AA datasheet §3, IOxAPIC version 0x20; semantics.md §1) as a
//! device that signals through an interrupt source group, one source per pin.
//!
//! RTE low word: 7:0 vector, 10:8 delivery mode, 11 destination mode, 12 delivery status
//! (RO), 13 polarity, 14 remote IRR (RO), 15 trigger (1 = level), 16 mask. High word:
//! 31:24 destination, 23:17 extended destination / remappable index, 16 format.

use crate::interrupt::InterruptSourceGroup;
use crate::msi::{bit, bits, MsiMessage, MSI_ADDRESS_BASE};

pub const NUM_PINS: usize = 24;
const REG_ID: u32 = 0x00;
const REG_VER: u32 = 0x01;
const REG_ARB: u32 = 0x02;
const REDTBL_BASE: u32 = 0x10;
const REMOTE_IRR: u32 = 1 << 14;
const MASK: u32 = 1 << 16;
/// Delivery status and remote IRR: preserved across guest writes.
const LOW_READ_ONLY: u32 = (1 << 12) | REMOTE_IRR;

/// When an RTE write reprograms the pin's interrupt source, relative to servicing it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UpdateOrder {
    /// Reprogram, then service: an unmasking write delivers the new message.
    BeforeService,
    /// Service, then reprogram: the seed bug's order (QEMU up to 7.2, fixed by 54ad31fb0a);
    /// an unmasking write of a pending level pin delivers through the old message.
    AfterService,
}

pub struct Ioapic {
    version: u32,
    order: UpdateOrder,
    sel: u32,
    pub id: u32,
    pub low: [u32; NUM_PINS],
    pub high: [u32; NUM_PINS],
    /// Input levels, one bit per pin.
    pub lines: u32,
}

impl Ioapic {
    pub fn new(version: u32, order: UpdateOrder) -> Self {
        Ioapic { version, order, sel: 0, id: 0, low: [MASK; NUM_PINS], high: [0; NUM_PINS], lines: 0 }
    }

    fn masked(&self, pin: usize) -> bool {
        self.low[pin] & MASK != 0
    }

    fn level_triggered(&self, pin: usize) -> bool {
        bit(self.low[pin], 15)
    }

    /// The message an entry sends (VT-d §5.1.5 for the remappable format): RTE 63:48 become
    /// address 19:4, the destination mode bit 2; data carries vector, delivery mode, trigger.
    pub fn message(&self, pin: usize) -> MsiMessage {
        let (low, high) = (self.low[pin], self.high[pin]);
        MsiMessage {
            address: MSI_ADDRESS_BASE | (bits(high, 31, 16) << 4) | (bits(low, 11, 11) << 2),
            data: bits(low, 7, 0) | (bits(low, 10, 8) << 8) | (bits(low, 15, 15) << 15),
        }
    }

    fn rte_of(reg: u32) -> Option<(usize, bool)> {
        let pin = (reg.wrapping_sub(REDTBL_BASE) >> 1) as usize;
        if reg < REDTBL_BASE || pin >= NUM_PINS {
            None
        } else {
            Some((pin, reg & 1 == 1))
        }
    }

    /// IOREGSEL := reg, then an IOWIN read.
    pub fn read(&mut self, reg: u32) -> u32 {
        self.sel = reg & 0xff;
        match self.sel {
            REG_ID | REG_ARB => self.id << 24,
            REG_VER => ((NUM_PINS as u32 - 1) << 16) | self.version,
            r => match Ioapic::rte_of(r) {
                Some((pin, true)) => self.high[pin],
                Some((pin, false)) => self.low[pin],
                None => 0,
            },
        }
    }

    /// IOREGSEL := reg, then an IOWIN write.
    pub fn write(&mut self, reg: u32, value: u32, group: &mut dyn InterruptSourceGroup) {
        self.sel = reg & 0xff;
        if self.sel == REG_ID {
            self.id = (value >> 24) & 0xf;
            return self.service(group);
        }
        let (pin, high) = match Ioapic::rte_of(self.sel) {
            Some(rte) => rte,
            None => return self.service(group),
        };
        if high {
            self.high[pin] = value;
        } else {
            self.low[pin] = (value & !LOW_READ_ONLY) | (self.low[pin] & LOW_READ_ONLY);
        }
        // An edge entry has no remote IRR (semantics.md §1.8 step 5).
        if !self.level_triggered(pin) {
            self.low[pin] &= !REMOTE_IRR;
        }
        match self.order {
            UpdateOrder::BeforeService => {
                group.update(pin, self.message(pin), self.masked(pin));
                self.service(group);
            }
            UpdateOrder::AfterService => {
                self.service(group);
                group.update(pin, self.message(pin), self.masked(pin));
            }
        }
    }

    /// An EOI for `vector` (LAPIC broadcast or the EOI register): clears remote IRR of each
    /// level entry with that vector (semantics.md §1.9), then services.
    pub fn end_of_interrupt(&mut self, vector: u32, group: &mut dyn InterruptSourceGroup) {
        for pin in 0..NUM_PINS {
            if self.level_triggered(pin) && bits(self.low[pin], 7, 0) == vector & 0xff {
                self.low[pin] &= !REMOTE_IRR;
            }
        }
        self.service(group);
    }

    /// The EOI register at offset 0x40 exists on version 0x20 only.
    pub fn eoi_register(&mut self, vector: u32, group: &mut dyn InterruptSourceGroup) {
        if self.version == 0x20 {
            self.end_of_interrupt(vector, group);
        }
    }

    /// An input changes: an unmasked edge entry signals on a rising transition.
    pub fn set_line(&mut self, pin: usize, level: bool, group: &mut dyn InterruptSourceGroup) {
        let rising = level && self.lines & (1 << pin) == 0;
        if level {
            self.lines |= 1 << pin;
        } else {
            self.lines &= !(1 << pin);
        }
        if rising && !self.level_triggered(pin) && !self.masked(pin) {
            group.trigger(pin);
        }
        self.service(group);
    }

    /// Every level entry whose input is asserted, unmasked and without remote IRR signals
    /// and sets remote IRR (82093AA §3.2.4), in pin order.
    fn service(&mut self, group: &mut dyn InterruptSourceGroup) {
        for pin in 0..NUM_PINS {
            let asserted = self.lines & (1 << pin) != 0;
            if self.level_triggered(pin) && !self.masked(pin) && asserted && self.low[pin] & REMOTE_IRR == 0 {
                self.low[pin] |= REMOTE_IRR;
                group.trigger(pin);
            }
        }
    }

    /// State the guest cannot read back: IOREGSEL and the input levels.
    pub fn hidden_state(&self) -> String {
        format!("{} {:x}", self.sel, self.lines)
    }
}
