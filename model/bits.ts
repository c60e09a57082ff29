/**
 * Bit-field accessors. The only place in model/ that shifts and masks.
 *
 * Registers wider than 32 bits (RTE: 64, IRTE: 128, MSI address: 64) are held as
 * arrays of 32-bit words, least significant word first, so the hot path never touches
 * bigint. A field never straddles a word boundary in the layouts irqcheck uses, so a
 * field names its word and its bit range inside that word.
 */

export interface Field {
  /** Index of the 32-bit word that holds the field (0 = bits 31:0). */
  readonly word: number;
  /** Lowest bit of the field inside that word. */
  readonly lo: number;
  readonly width: number;
}

/** A field covering bits `hi:lo` of a wide register (bit numbers as in the spec's tables). */
export function bits(hi: number, lo: number): Field {
  const word = lo >>> 5;
  if (hi >>> 5 !== word || hi < lo) throw new Error(`field ${hi}:${lo} straddles a 32-bit word`);
  return { word, lo: lo & 31, width: hi - lo + 1 };
}

/** A one-bit field. */
export function bit(n: number): Field {
  return bits(n, n);
}

function mask(width: number): number {
  return width >= 32 ? 0xffffffff : (1 << width) - 1;
}

/** Value of `f` in a 32-bit word (the field's word index is ignored). */
export function get32(word: number, f: Field): number {
  return ((word >>> f.lo) & mask(f.width)) >>> 0;
}

/** `word` with field `f` replaced by `value` (truncated to the field's width). */
export function set32(word: number, f: Field, value: number): number {
  const m = mask(f.width);
  return ((word & ~((m << f.lo) >>> 0)) | ((value & m) << f.lo)) >>> 0;
}

/** Value of `f` in a wide register held as words. */
export function getField(words: readonly number[], f: Field): number {
  return get32(words[f.word] ?? 0, f);
}

export const U32_MAX = 0xffffffff;

export function isU32(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= U32_MAX;
}

/** `0x`-prefixed lowercase hex, as QEMU's trace events print values. */
export function hex(x: number, digits = 0): string {
  return `0x${(x >>> 0).toString(16).padStart(digits, "0")}`;
}

/**
 * Parse a `0x` hex string of at most `nWords * 32` bits into words, least significant first.
 * Returns null if the string is not hex or is wider than that.
 */
export function parseHexWords(text: string, nWords: number): number[] | null {
  const m = /^0x([0-9a-fA-F]+)$/.exec(text);
  if (m === null) return null;
  const digits = (m[1] ?? "").replace(/^0+(?=.)/, "");
  if (digits.length > nWords * 8) return null;
  const words: number[] = [];
  for (let i = 0; i < nWords; i++) {
    const end = digits.length - i * 8;
    const start = Math.max(0, end - 8);
    words.push(end > 0 ? Number.parseInt(digits.slice(start, end), 16) >>> 0 : 0);
  }
  return words;
}

/** Inverse of parseHexWords: minimal-width `0x` hex of a wide value. */
export function formatHexWords(words: readonly number[], minDigits = 1): string {
  let s = "";
  for (let i = words.length - 1; i >= 0; i--) s += (words[i] ?? 0).toString(16).padStart(8, "0");
  s = s.replace(/^0+/, "");
  return `0x${s.padStart(minDigits, "0")}`;
}
