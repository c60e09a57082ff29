//! MSI-X table entries and pending bits (PCI Local Bus 3.0 §6.8.2): a vector fired while
//! masked sets its pending bit; unmasking a pending vector sends it. Entries reset masked.

use crate::msi::MsiMessage;

#[derive(Clone, Copy)]
pub struct MsixEntry {
    pub msg: MsiMessage,
    pub masked: bool,
    pub pending: bool,
}

pub struct MsixDevice {
    pub requester_id: u32,
    pub entries: Vec<MsixEntry>,
}

impl MsixDevice {
    pub fn new(requester_id: u32, vectors: usize) -> Self {
        let reset = MsixEntry { msg: MsiMessage { address: 0, data: 0 }, masked: true, pending: false };
        MsixDevice { requester_id, entries: vec![reset; vectors] }
    }

    /// The message to send now, if any.
    pub fn fire(&mut self, vec: usize) -> Option<MsiMessage> {
        let e = &mut self.entries[vec];
        if e.masked {
            e.pending = true;
            return None;
        }
        Some(e.msg)
    }

    pub fn set_mask(&mut self, vec: usize, masked: bool) -> Option<MsiMessage> {
        let e = &mut self.entries[vec];
        e.masked = masked;
        if masked || !e.pending {
            return None;
        }
        e.pending = false;
        Some(e.msg)
    }

    pub fn pending_bits(&self) -> u32 {
        self.entries.iter().enumerate().filter(|(_, e)| e.pending).fold(0, |b, (i, _)| b | 1 << i)
    }
}
