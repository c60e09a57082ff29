//! MSI address/data (SDM vol. 3 §10.11; VT-d §5.1.2 remappable format; semantics.md §7.1-7.2,
//! §6.6 for KVM's extended destination ID).
//!
//!   address  31:20 0xFEE   19:12 dest[7:0] / handle[14:7]   11:5 ext dest[14:8] / handle[6:0]
//!            4 format (1 = remappable)   3 RH / SHV   2 DM / handle[15]
//!   data     7:0 vector   10:8 delivery mode   15 trigger (1 = level)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsiMessage {
    pub address: u32,
    pub data: u32,
}

pub const MSI_ADDRESS_BASE: u32 = 0xfee0_0000;

fn field(word: u32, hi: u32, lo: u32) -> u32 {
    let width = hi - lo + 1;
    let mask = if width >= 32 { u32::MAX } else { (1u32 << width) - 1 };
    (word >> lo) & mask
}

/// Bits `hi:lo` of a 32-bit register.
pub fn bits(word: u32, hi: u32, lo: u32) -> u32 {
    field(word, hi, lo)
}

pub fn bit(word: u32, n: u32) -> bool {
    (word >> n) & 1 == 1
}

impl MsiMessage {
    pub fn in_interrupt_window(&self) -> bool {
        bits(self.address, 31, 20) == 0xfee
    }

    pub fn remappable(&self) -> bool {
        bit(self.address, 4)
    }
}

/// A compatibility-format interrupt as the LAPICs receive it.
#[derive(Clone, Copy, Debug)]
pub struct Interrupt {
    pub dest: u32,
    pub logical: bool,
    pub redirection_hint: bool,
    pub delivery_mode: u32,
    pub vector: u32,
    pub level: bool,
}

/// Decode a message as a compatibility-format interrupt. With KVM's extended destination
/// ID, address bits 11:5 are destination bits 14:8, only when the format bit is 0.
pub fn decode_compat(msg: MsiMessage, ext_dest_id: bool) -> Interrupt {
    let ext = if ext_dest_id && !msg.remappable() { bits(msg.address, 11, 5) << 8 } else { 0 };
    Interrupt {
        dest: bits(msg.address, 19, 12) | ext,
        logical: bit(msg.address, 2),
        redirection_hint: bit(msg.address, 3),
        delivery_mode: bits(msg.data, 10, 8),
        vector: bits(msg.data, 7, 0),
        level: bit(msg.data, 15),
    }
}
