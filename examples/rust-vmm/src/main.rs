//! An IOAPIC + KVM-routing-style interrupt path that speaks irqcheck's exec protocol
//! (docs/protocol.md): JSON requests on stdin, one JSON answer per line on stdout.
//!
//!   rust-vmm-irq              routes reprogrammed before the pin is serviced (correct)
//!   rust-vmm-irq --seed-bug   serviced first, reprogrammed after (the QEMU 7.2 seed bug)

mod interrupt;
mod ioapic;
mod irqchip;
mod json;
mod lapic;
mod msi;
mod msix;
mod remapping;
mod routing;
mod topology;
mod vmm;

use std::io::{BufRead, BufWriter, Write};

use ioapic::UpdateOrder;
use json::{quote, Value};
use vmm::Vmm;

const PROTOCOL_VERSION: u32 = 1;

fn error(message: &str) -> String {
    format!("{{\"type\":\"error\",\"message\":{}}}", quote(message))
}

struct Server {
    name: &'static str,
    order: UpdateOrder,
    vmm: Option<Vmm>,
}

impl Server {
    /// The answer lines to one request line: one per command of a `run`, else one.
    fn handle(&mut self, line: &str, out: &mut Vec<String>) {
        let request = match json::parse(line) {
            Ok(v) => v,
            Err(e) => return out.push(error(&format!("not JSON: {e}"))),
        };
        match request.get("type").and_then(Value::as_str) {
            Some("hello") => {
                let version = request.get("protocol").and_then(Value::as_u32);
                if version != Some(PROTOCOL_VERSION) {
                    return out.push(error(&format!("protocol {PROTOCOL_VERSION} only")));
                }
                out.push(format!(
                    "{{\"type\":\"hello\",\"protocol\":{PROTOCOL_VERSION},\"name\":{},\"capabilities\":[\"describe\",\"digest\"]}}",
                    quote(self.name)
                ));
            }
            Some("reset") => match request.get("topology").map(topology::parse_topology) {
                Some(Ok(t)) => {
                    self.vmm = Some(Vmm::new(t, self.order));
                    out.push("{\"type\":\"ready\"}".to_string());
                }
                Some(Err(e)) => out.push(error(&e)),
                None => out.push(error("reset without a topology")),
            },
            Some("apply") => match request.get("command") {
                Some(c) => self.run(std::slice::from_ref(c), out),
                None => out.push(error("apply without a command")),
            },
            Some("run") => match request.get("commands").and_then(Value::as_array) {
                Some(commands) => self.run(commands, out),
                None => out.push(error("run without commands")),
            },
            Some("describe") => {
                let lines: Vec<String> = self.vmm.iter().flat_map(|v| v.describe()).map(|l| quote(&l)).collect();
                out.push(format!("{{\"type\":\"describe\",\"lines\":[{}]}}", lines.join(",")));
            }
            Some("digest") => {
                let digest = self.vmm.as_ref().map(Vmm::digest).unwrap_or_default();
                out.push(format!("{{\"type\":\"digest\",\"digest\":{}}}", quote(&digest)));
            }
            _ => out.push(error("unknown request type")),
        }
    }

    /// One step answer per command; once a command fails, an error for each of the rest.
    fn run(&mut self, commands: &[Value], out: &mut Vec<String>) {
        let mut failed: Option<String> = None;
        for c in commands {
            if let Some(e) = &failed {
                out.push(error(&format!("not run: an earlier command failed ({e})")));
                continue;
            }
            let answer = match self.vmm.as_mut() {
                Some(vmm) => vmm.apply(c),
                None => Err("no reset yet".to_string()),
            };
            match answer {
                Ok(line) => out.push(line),
                Err(e) => {
                    out.push(error(&e));
                    failed = Some(e);
                }
            }
        }
    }
}

fn main() {
    let seed_bug = std::env::args().skip(1).any(|a| a == "--seed-bug");
    let mut server = Server {
        name: if seed_bug { "rust-vmm-seed-bug" } else { "rust-vmm" },
        order: if seed_bug { UpdateOrder::AfterService } else { UpdateOrder::BeforeService },
        vmm: None,
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut writer = BufWriter::new(stdout.lock());
    let mut answers = Vec::new();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(_) => break,
        };
        if line.trim().is_empty() {
            continue;
        }
        answers.clear();
        server.handle(&line, &mut answers);
        for a in &answers {
            if writeln!(writer, "{a}").is_err() {
                return;
            }
        }
        // Answers must reach irqcheck before it waits for them.
        if writer.flush().is_err() {
            return;
        }
    }
}
