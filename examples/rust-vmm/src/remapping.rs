//! VT-d interrupt remapping, translated at delivery (VT-d ch. 5, §9.10; semantics.md §4).
//! This unit keeps no interrupt-entry cache: every request reads the IRTE in memory, which
//! is always one of the forms the architecture allows, so IEC invalidations have nothing
//! to do.
//!
//! IRTE words: 0: 0 P, 1 FPD, 2 DM, 3 RH, 4 TM, 7:5 DLM, 14:12 rsvd, 23:16 V, 31:24 rsvd;
//! 1: DST (xAPIC: 15:8); 2: 15:0 SID, 17:16 SQ, 19:18 SVT, 31:20 rsvd; 3: rsvd.

use crate::msi::{bit, bits, Interrupt, MsiMessage};

/// Fault reasons (VT-d §7.1.3; semantics.md §4.3).
pub const FAULT_REQUEST_RESERVED: u32 = 0x20;
pub const FAULT_INDEX_OVERFLOW: u32 = 0x21;
pub const FAULT_NOT_PRESENT: u32 = 0x22;
pub const FAULT_IRTE_RESERVED: u32 = 0x24;
pub const FAULT_COMPAT_BLOCKED: u32 = 0x25;
pub const FAULT_SOURCE_ID: u32 = 0x26;

/// The source ID of requests that carry none (the IOAPIC's).
pub const SOURCE_ID_NONE: u32 = 0xffff;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FaultRecord {
    pub reason: u32,
    pub index: u32,
    pub source_id: u32,
}

pub enum Translation {
    Interrupt(Interrupt),
    /// Blocked; recorded unless `suppressed` (a qualified fault of an IRTE with FPD = 1).
    Fault {
        reason: u32,
        index: u32,
        suppressed: bool,
    },
    /// Compatibility format passed through (CFI set, EIME clear).
    PassThrough,
}

pub struct RemappingUnit {
    pub ire: bool,
    pub cfi: bool,
    pub size_log2: u32,
    pub eime: bool,
    pub memory: Vec<[u32; 4]>,
    pub faults: Vec<Option<FaultRecord>>,
    pub next_fault: usize,
    pub overflow: bool,
}

impl RemappingUnit {
    pub fn new(entries: usize, fault_records: usize) -> Self {
        RemappingUnit {
            ire: false,
            cfi: false,
            size_log2: 0,
            eime: false,
            memory: vec![[0; 4]; entries],
            faults: vec![None; fault_records],
            next_fault: 0,
            overflow: false,
        }
    }

    pub fn write_irte(&mut self, index: usize, irte: [u32; 4]) {
        if let Some(slot) = self.memory.get_mut(index) {
            *slot = irte;
        }
    }

    /// Translate a remappable or compatibility request (semantics.md §9.3, §4.2-4.3).
    pub fn translate(&self, msg: MsiMessage, source_id: Option<u32>) -> Translation {
        if !msg.remappable() {
            return if self.cfi && !self.eime {
                Translation::PassThrough
            } else {
                Translation::Fault { reason: FAULT_COMPAT_BLOCKED, index: 0, suppressed: false }
            };
        }
        let handle = ((bit(msg.address, 2) as u32) << 15) | bits(msg.address, 19, 5);
        let shv = bit(msg.address, 3);
        let index = if shv { (handle + bits(msg.data, 15, 0)) & 0xffff } else { handle };
        if u64::from(index) >= 1u64 << (self.size_log2 + 1) {
            return Translation::Fault { reason: FAULT_INDEX_OVERFLOW, index, suppressed: false };
        }
        let irte = self.memory.get(index as usize).copied().unwrap_or([0; 4]);
        let fpd = bit(irte[0], 1);
        let qualified = |reason| Translation::Fault { reason, index, suppressed: fpd };
        if !bit(irte[0], 0) {
            return qualified(FAULT_NOT_PRESENT);
        }
        let reserved =
            bits(irte[0], 14, 12) != 0 || bits(irte[0], 31, 24) != 0 || bits(irte[2], 31, 20) != 0 || irte[3] != 0;
        if reserved {
            return qualified(FAULT_IRTE_RESERVED);
        }
        if let Some(sid) = source_id {
            if !source_id_matches(irte[2], sid) {
                return qualified(FAULT_SOURCE_ID);
            }
        }
        if shv && bits(msg.data, 31, 16) != 0 {
            return Translation::Fault { reason: FAULT_REQUEST_RESERVED, index, suppressed: false };
        }
        Translation::Interrupt(Interrupt {
            dest: if self.eime { irte[1] } else { bits(irte[1], 15, 8) },
            logical: bit(irte[0], 2),
            redirection_hint: bit(irte[0], 3),
            delivery_mode: bits(irte[0], 7, 5),
            vector: bits(irte[0], 23, 16),
            level: bit(irte[0], 4),
        })
    }

    /// Primary fault logging (VT-d §7.3.1): returns whether the fault was recorded.
    pub fn record_fault(&mut self, record: FaultRecord) -> bool {
        if self.overflow || self.faults.iter().flatten().any(|f| f.source_id == record.source_id) {
            return false;
        }
        if self.faults[self.next_fault].is_some() {
            self.overflow = true;
            return false;
        }
        self.faults[self.next_fault] = Some(record);
        self.next_fault = (self.next_fault + 1) % self.faults.len();
        true
    }

    pub fn clear_faults(&mut self) {
        for f in self.faults.iter_mut() {
            *f = None;
        }
        self.overflow = false;
    }
}

/// IRTE source validation (VT-d §9.10: SVT, SQ, SID).
fn source_id_matches(word2: u32, source_id: u32) -> bool {
    let sid = bits(word2, 15, 0);
    match bits(word2, 19, 18) {
        0 => true,
        1 => {
            let ignore = [0, 0b100, 0b110, 0b111][bits(word2, 17, 16) as usize];
            (sid ^ source_id) & !ignore & 0xffff == 0
        }
        2 => {
            let bus = source_id >> 8;
            bus >= sid >> 8 && bus <= (sid & 0xff)
        }
        _ => false,
    }
}
