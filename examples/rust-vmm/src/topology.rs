//! The machine description a `reset` carries (irqcheck's model/topology.ts).

use crate::json::Value;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ApicMode {
    XapicFlat,
    XapicCluster,
    X2apic,
}

pub struct Topology {
    pub apic_ids: Vec<u32>,
    pub apic_mode: ApicMode,
    pub ioapic_version: u32,
    /// Requester ID and vector count of each MSI-X device.
    pub msi_devices: Vec<(u32, usize)>,
    pub irt_entries: usize,
    pub fault_records: usize,
    pub ext_dest_id: bool,
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, String> {
    v.get(key).ok_or_else(|| format!("topology: missing {key}"))
}

fn number(v: &Value, key: &str) -> Result<u32, String> {
    field(v, key)?.as_u32().ok_or_else(|| format!("topology: {key} is not a number"))
}

pub fn parse_topology(v: &Value) -> Result<Topology, String> {
    let cpus = field(v, "cpus")?.as_array().ok_or("topology: cpus is not an array")?;
    let apic_ids = cpus.iter().map(|c| number(c, "apicId")).collect::<Result<Vec<_>, _>>()?;
    let apic_mode = match field(v, "apicMode")?.as_str() {
        Some("xapic-flat") => ApicMode::XapicFlat,
        Some("xapic-cluster") => ApicMode::XapicCluster,
        Some("x2apic") => ApicMode::X2apic,
        _ => return Err("topology: unknown apicMode".to_string()),
    };
    let devices = field(v, "msiDevices")?.as_array().ok_or("topology: msiDevices is not an array")?;
    let msi_devices = devices
        .iter()
        .map(|d| Ok((number(d, "requesterId")?, number(d, "vectors")? as usize)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Topology {
        apic_ids,
        apic_mode,
        ioapic_version: number(v, "ioapicVersion")?,
        msi_devices,
        irt_entries: number(v, "irtEntries")? as usize,
        fault_records: number(v, "faultRecords")? as usize,
        ext_dest_id: field(v, "extDestId")?.as_bool().ok_or("topology: extDestId is not a boolean")?,
    })
}
