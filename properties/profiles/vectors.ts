/**
 * Vector ownership: every interrupt source owns its vectors, and each vector is used
 * with one trigger mode only, as Linux's vector allocator guarantees (a vector belongs to
 * one IRQ, an IRQ has one trigger mode). Two vectors per source and trigger mode, so a
 * vector change (D2) is always possible.
 *
 * Why the generators keep this discipline: in split-irqchip mode KVM decides whether an
 * EOI is forwarded to the IOAPIC from the level routes' vectors (its EOI-exit bitmap,
 * with the pending-EOI clause), not from the TMR (semantics.md §5.4). When one vector on
 * one CPU is in service as an edge interrupt while a level route uses it, the two rules
 * differ. That is a real KVM property (D17 in the manifest, with its own scenario), but
 * no userspace design can change it and it would mask every other finding.
 */
const PIN_VECTOR_BASE = 0x20; // pins: 0x20..0x7f
const MSI_VECTOR_BASE = 0x80; // MSI-X vectors: 0x80..0xbf
const IRTE_VECTOR_BASE = 0xc0; // IRTEs: 0xc0..0xff

function owned(base: number, slot: number, span: number, level: boolean): readonly [number, number] {
  const first = base + ((4 * slot + (level ? 0 : 2)) % span);
  return [first, first + 1];
}

export function pinVectors(pin: number, level: boolean): readonly [number, number] {
  return owned(PIN_VECTOR_BASE, pin, 0x60, level);
}

export function msiVectors(ordinal: number, level: boolean): readonly [number, number] {
  return owned(MSI_VECTOR_BASE, ordinal, 0x40, level);
}

export function irteVectors(index: number, level: boolean): readonly [number, number] {
  return owned(IRTE_VECTOR_BASE, index, 0x40, level);
}

/**
 * Vectors 0x00-0x0F are illegal for the LAPIC (SDM vol. 3 §10.5.2: a message with one is
 * rejected and sets "received illegal vector" in the ESR). Generators use one rarely (about
 * one vector field in 50), so the model's and the implementations' handling is exercised
 * without every shrunk counterexample ending on vector 0. Edge and level sources draw from
 * different halves, so even illegal vectors keep one trigger mode each (D17 above).
 */
export function illegalVectors(level: boolean): readonly number[] {
  return Array.from({ length: 8 }, (_, i) => (level ? 0 : 8) + i);
}
