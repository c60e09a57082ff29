//! The in-kernel side (what KVM is to a VMM): interrupt messages are translated when they
//! are delivered (interrupt remapping, then the LAPICs' destination decoding). Everything
//! the guest could see happen is recorded as an observation.

use crate::lapic::{broadcast_id, destination_set, Lapic};
use crate::msi::{decode_compat, Interrupt, MsiMessage};
use crate::remapping::{FaultRecord, RemappingUnit, Translation, SOURCE_ID_NONE};
use crate::topology::Topology;

pub const DELIVERY_MODES: [&str; 8] = ["fixed", "lowest", "smi", "reserved", "nmi", "init", "startup", "extint"];

pub enum Observation {
    Deliver { apic_id: u32, vector: u32, level: bool, mode: &'static str },
    Fault(FaultRecord),
    Read { reg: u32, value: u32 },
}

pub struct Irqchip {
    pub topology: Topology,
    pub remapping: RemappingUnit,
    pub lapics: Vec<Lapic>,
    pub observations: Vec<Observation>,
    pub trace: Vec<String>,
}

impl Irqchip {
    pub fn new(topology: Topology) -> Self {
        Irqchip {
            remapping: RemappingUnit::new(topology.irt_entries, topology.fault_records),
            lapics: vec![Lapic::default(); topology.apic_ids.len()],
            topology,
            observations: Vec::new(),
            trace: Vec::new(),
        }
    }

    /// An interrupt message written to the interrupt window. Outside 0xFEExxxxx it is an
    /// ordinary memory write.
    pub fn send_msi(&mut self, msg: MsiMessage, source_id: Option<u32>) {
        if !msg.in_interrupt_window() {
            return;
        }
        let ext = self.topology.ext_dest_id;
        if !self.remapping.ire {
            return self.deliver(decode_compat(msg, ext));
        }
        match self.remapping.translate(msg, source_id) {
            Translation::PassThrough => self.deliver(decode_compat(msg, ext)),
            Translation::Interrupt(irq) => self.deliver(irq),
            Translation::Fault { suppressed: true, .. } => {}
            Translation::Fault { reason, index, suppressed: false } => {
                let record = FaultRecord { reason, index, source_id: source_id.unwrap_or(SOURCE_ID_NONE) };
                if self.remapping.record_fault(record) {
                    self.observations.push(Observation::Fault(record));
                }
            }
        }
    }

    /// Deliver to the destination set (SDM §10.6.2). Lowest priority, or RH = 1, takes one
    /// CPU of the set (this one picks the first); a physical broadcast goes to all.
    fn deliver(&mut self, irq: Interrupt) {
        let mode = DELIVERY_MODES[irq.delivery_mode as usize & 7];
        let mut targets = destination_set(&self.topology, irq.dest, irq.logical);
        let broadcast = !irq.logical && irq.dest == broadcast_id(&self.topology);
        if (mode == "lowest" || irq.redirection_hint) && !broadcast && targets.len() > 1 {
            targets.truncate(1);
        }
        for cpu in targets {
            if mode == "fixed" || mode == "lowest" {
                self.lapics[cpu].accept(irq.vector, irq.level);
            }
            let apic_id = self.topology.apic_ids[cpu];
            self.trace.push(format!("kvm_apic_accept_irq apicid {apic_id:x} vec {} ({mode})", irq.vector));
            self.observations.push(Observation::Deliver { apic_id, vector: irq.vector, level: irq.level, mode });
        }
    }
}
