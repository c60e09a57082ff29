//! Local APIC acceptance, dispatch and EOI (SDM vol. 3 §10.8; semantics.md §7.3), and
//! destination matching (SDM §10.6.2). IRR, ISR and TMR are 256 bits as eight words.

use crate::topology::{ApicMode, Topology};

#[derive(Clone, Default)]
pub struct Lapic {
    pub irr: [u32; 8],
    pub isr: [u32; 8],
    pub tmr: [u32; 8],
}

fn test(words: &[u32; 8], v: u32) -> bool {
    (words[(v >> 5) as usize] >> (v & 31)) & 1 == 1
}

fn set(words: &mut [u32; 8], v: u32, on: bool) {
    let w = &mut words[(v >> 5) as usize];
    if on {
        *w |= 1 << (v & 31);
    } else {
        *w &= !(1 << (v & 31));
    }
}

fn highest(words: &[u32; 8]) -> Option<u32> {
    (0..8).rev().find(|&i| words[i] != 0).map(|i| i as u32 * 32 + 31 - words[i].leading_zeros())
}

impl Lapic {
    /// A fixed or lowest-priority interrupt arrives (SDM §10.8.4): TMR follows the trigger
    /// mode, IRR is set (a vector already pending coalesces). Vectors 0x00-0x0F are
    /// illegal and rejected (SDM §10.5.2; the ESR is not kept).
    pub fn accept(&mut self, vector: u32, level: bool) {
        if vector < 0x10 {
            return;
        }
        set(&mut self.tmr, vector, level);
        set(&mut self.irr, vector, true);
    }

    /// The vCPU takes the highest IRR vector whose class is above the processor priority
    /// class (the highest in service, 0 when none; SDM §10.8.3.1).
    pub fn dispatch(&mut self) {
        if let Some(v) = highest(&self.irr) {
            let priority = highest(&self.isr).map_or(0, |s| s >> 4);
            if v >> 4 <= priority {
                return;
            }
            set(&mut self.irr, v, false);
            set(&mut self.isr, v, true);
        }
    }

    /// EOI (SDM §10.8.5): ends the highest in-service vector. Returns it when its TMR bit
    /// is set: then an EOI message goes to the IOAPIC.
    pub fn end_of_interrupt(&mut self) -> Option<u32> {
        let v = highest(&self.isr)?;
        set(&mut self.isr, v, false);
        if test(&self.tmr, v) {
            Some(v)
        } else {
            None
        }
    }
}

pub fn broadcast_id(t: &Topology) -> u32 {
    if t.apic_mode == ApicMode::X2apic {
        0xffff_ffff
    } else {
        0xff
    }
}

/// Logical destination register as Linux programs it (SDM §10.6.2.2).
fn logical_id(t: &Topology, index: usize) -> u32 {
    let i = index as u32;
    match t.apic_mode {
        ApicMode::XapicFlat => {
            if i < 8 {
                1 << i
            } else {
                0
            }
        }
        ApicMode::XapicCluster => (((i >> 2) & 0xf) << 4) | (1 << (i & 3)),
        ApicMode::X2apic => {
            let id = t.apic_ids[index];
            ((id >> 4) << 16) | (1 << (id & 0xf))
        }
    }
}

/// Indices of the CPUs a destination selects, in topology order.
pub fn destination_set(t: &Topology, dest: u32, logical: bool) -> Vec<usize> {
    (0..t.apic_ids.len())
        .filter(|&i| {
            if !logical {
                return dest == t.apic_ids[i] || dest == broadcast_id(t);
            }
            let ldr = logical_id(t, i);
            match t.apic_mode {
                ApicMode::XapicFlat => dest & ldr & 0xff != 0,
                ApicMode::XapicCluster => dest >> 4 == ldr >> 4 && dest & ldr & 0xf != 0,
                ApicMode::X2apic => dest >> 16 == ldr >> 16 && dest & ldr & 0xffff != 0,
            }
        })
        .collect()
}
