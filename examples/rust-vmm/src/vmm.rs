//! The VMM: devices, the routing backend and the irqchip, driven by irqcheck's command
//! language (model/commands.ts), one command at a time.

use crate::ioapic::{Ioapic, UpdateOrder, NUM_PINS};
use crate::irqchip::{Irqchip, Observation};
use crate::json::{numbers, quote, Value};
use crate::msix::MsixDevice;
use crate::routing::{GsiRoutes, KvmRouting};
use crate::topology::Topology;

pub struct Vmm {
    ioapic: Ioapic,
    routes: GsiRoutes,
    irqchip: Irqchip,
    msix: Vec<MsixDevice>,
}

fn u32_field(c: &Value, key: &str) -> Result<u32, String> {
    c.get(key).and_then(Value::as_u32).ok_or_else(|| format!("{key}: expected an unsigned 32-bit number"))
}

fn bool_field(c: &Value, key: &str) -> Result<bool, String> {
    c.get(key).and_then(Value::as_bool).ok_or_else(|| format!("{key}: expected true or false"))
}

/// A 128-bit IRTE from a `0x` hex string, least significant word first.
fn irte_words(c: &Value) -> Result<[u32; 4], String> {
    let text = c.get("irte").and_then(Value::as_str).ok_or("irte: expected a 0x hex string")?;
    let digits = text.strip_prefix("0x").ok_or("irte: expected a 0x hex string")?;
    let digits = digits.trim_start_matches('0');
    if digits.len() > 32 {
        return Err("irte: wider than 128 bits".to_string());
    }
    let mut words = [0u32; 4];
    for (i, w) in words.iter_mut().enumerate() {
        let end = digits.len().saturating_sub(i * 8);
        let start = end.saturating_sub(8);
        if end > 0 {
            *w = u32::from_str_radix(&digits[start..end], 16).map_err(|_| "irte: not hex".to_string())?;
        }
    }
    Ok(words)
}

impl Vmm {
    pub fn new(topology: Topology, order: UpdateOrder) -> Self {
        let msix = topology.msi_devices.iter().map(|&(rid, n)| MsixDevice::new(rid, n)).collect();
        Vmm {
            ioapic: Ioapic::new(topology.ioapic_version, order),
            routes: GsiRoutes::new(NUM_PINS),
            irqchip: Irqchip::new(topology),
            msix,
        }
    }

    /// Runs one command; returns the step answer line.
    pub fn apply(&mut self, c: &Value) -> Result<String, String> {
        self.irqchip.observations.clear();
        self.irqchip.trace.clear();
        let op = c.get("op").and_then(Value::as_str).ok_or("op: expected a string")?;
        let mut group = KvmRouting { routes: &mut self.routes, irqchip: &mut self.irqchip };
        match op {
            "ioapic.write" => self.ioapic.write(u32_field(c, "reg")? & 0xff, u32_field(c, "value")?, &mut group),
            "ioapic.read" => {
                let reg = u32_field(c, "reg")? & 0xff;
                let value = self.ioapic.read(reg);
                group.irqchip.observations.push(Observation::Read { reg, value });
            }
            "ioapic.eoi" => self.ioapic.eoi_register(u32_field(c, "vector")?, &mut group),
            "eoi.broadcast" => self.ioapic.end_of_interrupt(u32_field(c, "vector")?, &mut group),
            "line.set" => {
                let pin = pin_field(c)?;
                self.ioapic.set_line(pin, u32_field(c, "level")? == 1, &mut group);
            }
            "line.pulse" => {
                let pin = pin_field(c)?;
                self.ioapic.set_line(pin, true, &mut group);
                self.ioapic.set_line(pin, false, &mut group);
            }
            "cpu.accept" => {
                let cpu = self.cpu_field(c)?;
                self.irqchip.lapics[cpu].dispatch();
            }
            "cpu.eoi" => {
                let cpu = self.cpu_field(c)?;
                // A level-triggered vector (TMR set) is broadcast to the IOAPIC (SDM §10.8.5).
                if let Some(vector) = self.irqchip.lapics[cpu].end_of_interrupt() {
                    let mut group = KvmRouting { routes: &mut self.routes, irqchip: &mut self.irqchip };
                    self.ioapic.end_of_interrupt(vector, &mut group);
                }
            }
            "irte.write" => {
                let index = u32_field(c, "index")? as usize;
                self.irqchip.remapping.write_irte(index, irte_words(c)?);
            }
            // Nothing cached, nothing to invalidate (remapping.rs).
            "iec.invalidate" => {}
            "ir.table" => {
                self.irqchip.remapping.size_log2 = u32_field(c, "sizeLog2")?;
                self.irqchip.remapping.eime = bool_field(c, "eime")?;
            }
            "ir.control" => {
                self.irqchip.remapping.ire = bool_field(c, "ire")?;
                self.irqchip.remapping.cfi = bool_field(c, "cfi")?;
            }
            "ir.fault-clear" => self.irqchip.remapping.clear_faults(),
            "msi.program" => {
                let (dev, vec) = self.vector_field(c)?;
                let e = &mut self.msix[dev].entries[vec];
                e.msg.address = u32_field(c, "address")?;
                e.msg.data = u32_field(c, "data")?;
            }
            "msi.mask" => {
                let (dev, vec) = self.vector_field(c)?;
                let msg = self.msix[dev].set_mask(vec, bool_field(c, "masked")?);
                self.send_from_device(dev, msg);
            }
            "msi.fire" => {
                let (dev, vec) = self.vector_field(c)?;
                let msg = self.msix[dev].fire(vec);
                self.send_from_device(dev, msg);
            }
            other => return Err(format!("unknown op {other:?}")),
        }
        Ok(self.step_answer())
    }

    /// MSI-X messages go straight to the irqchip, translated at delivery like the IOAPIC's.
    fn send_from_device(&mut self, dev: usize, msg: Option<crate::msi::MsiMessage>) {
        if let Some(m) = msg {
            let rid = self.msix[dev].requester_id;
            self.irqchip.send_msi(m, Some(rid));
        }
    }

    fn cpu_field(&self, c: &Value) -> Result<usize, String> {
        let cpu = u32_field(c, "cpu")? as usize;
        if cpu < self.irqchip.lapics.len() {
            Ok(cpu)
        } else {
            Err(format!("cpu {cpu} does not exist"))
        }
    }

    fn vector_field(&self, c: &Value) -> Result<(usize, usize), String> {
        let dev = u32_field(c, "dev")? as usize;
        let vec = u32_field(c, "vec")? as usize;
        match self.msix.get(dev) {
            Some(d) if vec < d.entries.len() => Ok((dev, vec)),
            _ => Err(format!("MSI-X vector {dev}.{vec} does not exist")),
        }
    }

    fn step_answer(&self) -> String {
        let observations: Vec<String> = self
            .irqchip
            .observations
            .iter()
            .map(|o| match o {
                Observation::Deliver { apic_id, vector, level, mode } => format!(
                    "{{\"kind\":\"deliver\",\"apicId\":{apic_id},\"vector\":{vector},\"trigger\":\"{}\",\"mode\":\"{mode}\"}}",
                    if *level { "level" } else { "edge" }
                ),
                Observation::Fault(f) => format!(
                    "{{\"kind\":\"fault\",\"reason\":{},\"index\":{},\"sourceId\":{}}}",
                    f.reason, f.index, f.source_id
                ),
                Observation::Read { reg, value } => format!("{{\"kind\":\"read\",\"reg\":{reg},\"value\":{value}}}"),
            })
            .collect();
        let trace: Vec<String> = self.irqchip.trace.iter().map(|t| quote(t)).collect();
        format!(
            "{{\"type\":\"step\",\"observations\":[{}],\"visible\":{},\"trace\":[{}]}}",
            observations.join(","),
            self.visible(),
            trace.join(",")
        )
    }

    /// What the guest can read back (irqcheck's model/visible.ts).
    fn visible(&self) -> String {
        let mut rtes = Vec::with_capacity(2 * NUM_PINS);
        for pin in 0..NUM_PINS {
            rtes.push(self.ioapic.low[pin]);
            rtes.push(self.ioapic.high[pin]);
        }
        let lapics: Vec<String> = self
            .irqchip
            .lapics
            .iter()
            .map(|l| format!("{{\"irr\":{},\"isr\":{},\"tmr\":{}}}", numbers(&l.irr), numbers(&l.isr), numbers(&l.tmr)))
            .collect();
        let faults: Vec<String> = self
            .irqchip
            .remapping
            .faults
            .iter()
            .map(|f| match f {
                Some(f) => format!("{{\"reason\":{},\"index\":{},\"sourceId\":{}}}", f.reason, f.index, f.source_id),
                None => "null".to_string(),
            })
            .collect();
        let pending: Vec<u32> = self.msix.iter().map(MsixDevice::pending_bits).collect();
        format!(
            "{{\"ioapicId\":{},\"rtes\":{},\"lapics\":[{}],\"faultRecords\":[{}],\"faultOverflow\":{},\"msiPending\":{}}}",
            self.ioapic.id,
            numbers(&rtes),
            lapics.join(","),
            faults.join(","),
            self.irqchip.remapping.overflow,
            numbers(&pending)
        )
    }

    /// The routing table, for counterexample reports.
    pub fn describe(&self) -> Vec<String> {
        self.routes
            .routes
            .iter()
            .enumerate()
            .map(|(gsi, m)| format!("gsi {gsi}: route addr {:#x} data {:#x}", m.address, m.data))
            .collect()
    }

    /// Everything that decides the future: what the guest sees, and what it does not
    /// (IOREGSEL, input levels, routes, IR registers and table, MSI-X entries).
    pub fn digest(&self) -> String {
        let r = &self.irqchip.remapping;
        let routes: Vec<String> = self.routes.routes.iter().map(|m| format!("{:x}.{:x}", m.address, m.data)).collect();
        let msix: Vec<String> = self
            .msix
            .iter()
            .flat_map(|d| {
                d.entries.iter().map(|e| format!("{:x}.{:x}.{}{}", e.msg.address, e.msg.data, e.masked, e.pending))
            })
            .collect();
        format!(
            "{}|{}|{}|{} {} {} {} {}|{:?}|{}",
            self.visible(),
            self.ioapic.hidden_state(),
            routes.join(","),
            r.ire,
            r.cfi,
            r.eime,
            r.size_log2,
            r.next_fault,
            r.memory,
            msix.join(",")
        )
    }
}

fn pin_field(c: &Value) -> Result<usize, String> {
    let pin = u32_field(c, "pin")? as usize;
    if pin < NUM_PINS {
        Ok(pin)
    } else {
        Err(format!("pin {pin} does not exist"))
    }
}
