//! What a device sees of interrupt delivery: a group of interrupt sources it can
//! reprogram and trigger (the shape of rust-vmm's vm-device `InterruptSourceGroup`). The
//! device knows nothing of KVM, GSIs or routing tables.

use crate::msi::MsiMessage;

pub trait InterruptSourceGroup {
    /// Source `index` now sends `msi`. A masked source will not be triggered, so a
    /// backend may leave it as it was.
    fn update(&mut self, index: usize, msi: MsiMessage, masked: bool);
    /// Source `index` signals: deliver what it is programmed to send.
    fn trigger(&mut self, index: usize);
}
