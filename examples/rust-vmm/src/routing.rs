//! A KVM-style backend for an interrupt source group: each source is a GSI whose routing
//! entry caches the MSI message it sends (KVM_SET_GSI_ROUTING), and a trigger delivers
//! through that entry (KVM_IRQ_LINE / irqfd). Masked sources are not reprogrammed, as
//! QEMU's `ioapic_update_kvm_routes` skips masked pins: the cache is only as fresh as the
//! last update of an unmasked source.

use crate::interrupt::InterruptSourceGroup;
use crate::irqchip::Irqchip;
use crate::msi::MsiMessage;

pub struct GsiRoutes {
    pub routes: Vec<MsiMessage>,
}

impl GsiRoutes {
    /// Every route starts as what a reset (all-zero, masked) entry would send.
    pub fn new(count: usize) -> Self {
        GsiRoutes { routes: vec![MsiMessage { address: crate::msi::MSI_ADDRESS_BASE, data: 0 }; count] }
    }
}

/// The routes together with the irqchip they deliver to, for the duration of one call.
pub struct KvmRouting<'a> {
    pub routes: &'a mut GsiRoutes,
    pub irqchip: &'a mut Irqchip,
}

impl<'a> InterruptSourceGroup for KvmRouting<'a> {
    fn update(&mut self, index: usize, msi: MsiMessage, masked: bool) {
        if masked || self.routes.routes[index] == msi {
            return;
        }
        self.routes.routes[index] = msi;
        self.irqchip
            .trace
            .push(format!("kvm_irqchip_update_msi_route gsi {index}: addr {:#x} data {:#x}", msi.address, msi.data));
    }

    fn trigger(&mut self, index: usize) {
        let msi = self.routes.routes[index];
        self.irqchip
            .trace
            .push(format!("kvm_set_irq gsi={index} via route addr {:#x} data {:#x}", msi.address, msi.data));
        self.irqchip.send_msi(msi, None);
    }
}
