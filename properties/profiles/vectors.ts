/**
 * Vector ownership: every interrupt source owns its vectors, as the Linux vector
 * allocator guarantees per CPU. Two vectors per source, so a vector change (D2) is
 * always possible.
 *
 * Why the generators keep this discipline: in split-irqchip mode KVM decides whether an
 * EOI is forwarded to the IOAPIC from the level routes' vectors (its EOI-exit bitmap),
 * not from the TMR (semantics.md §5.4). When one vector on one CPU is used by a level
 * IOAPIC pin and by an edge source, the two rules differ. That is a real KVM property
 * (documented as D17 in the manifest), but it would mask every other finding.
 */
export const PIN_VECTOR_BASE = 0x20; // pins: 0x20..0x4f
export const MSI_VECTOR_BASE = 0x80; // MSI-X vectors: 0x80..0xbf
export const IRTE_VECTOR_BASE = 0xc0; // IRTEs: 0xc0..0xff

export function pinVectors(pin: number): readonly [number, number] {
  return [PIN_VECTOR_BASE + 2 * pin, PIN_VECTOR_BASE + 2 * pin + 1];
}

export function msiVectors(ordinal: number): readonly [number, number] {
  return [MSI_VECTOR_BASE + 2 * ordinal, MSI_VECTOR_BASE + 2 * ordinal + 1];
}

export function irteVectors(index: number): readonly [number, number] {
  return [IRTE_VECTOR_BASE + ((2 * index) & 0x3f), IRTE_VECTOR_BASE + ((2 * index + 1) & 0x3f)];
}
