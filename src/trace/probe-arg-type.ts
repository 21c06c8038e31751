/**
 * Probe fetch-argument types and how tracefs prints each one (kernel/trace/trace_probe.c
 * `PRINT_TYPE_FUNC_NAME`): `s*` as `%d`, `u*` as `%u`, `x*` as `0x%x`, strings quoted,
 * `char` as `'c'`, `symbol` as `%pS`, arrays as `{a,b,c}`, and a failed fetch as
 * `(fault)`.
 */

/** The base type of a fetch argument. */
export type ProbeBaseType =
  | 's8' | 's16' | 's32' | 's64'
  | 'u8' | 'u16' | 'u32' | 'u64'
  | 'x8' | 'x16' | 'x32' | 'x64'
  | 'char' | 'string' | 'ustring' | 'symbol' | 'symstr' | 'bitfield';

/** A fetch argument's declared type. */
export interface ProbeArgType {
  /** The type as written after `:` (`s32`, `x64`, `u8[4]`, `b4@2/32`). */
  readonly text: string;
  readonly base: ProbeBaseType;
  /** Element count of an array type, `null` for a scalar. */
  readonly arrayLength: number | null;
  /** Width in bits of a numeric value (container width for bitfields); 0 for text types. */
  readonly bits: number;
}

/** A converted probe value: 64-bit integers are bigints, narrower ones numbers. */
export type ProbeScalar = number | bigint | string;

/** A probe field's value; `null` when the fetch faulted or the field is absent. */
export type ProbeValue = ProbeScalar | readonly ProbeScalar[] | null;

const TYPE = /^(?:([sux])(8|16|32|64)|(char|string|ustring|symbol|symstr)|b(\d+)@(\d+)\/(8|16|32|64))(?:\[(\d+)\])?$/;

/** Parses a type name, or returns `null` for one the kernel does not define. */
export function parseProbeArgType(text: string): ProbeArgType | null {
  const m = TYPE.exec(text);
  if (!m) return null;
  const arrayLength = m[7] === undefined ? null : Number(m[7]);
  if (m[1] !== undefined) {
    const base = `${m[1]}${m[2]}` as ProbeBaseType;
    return { text, base, arrayLength, bits: Number(m[2]) };
  }
  if (m[3] !== undefined) return { text, base: m[3] as ProbeBaseType, arrayLength, bits: m[3] === 'char' ? 8 : 0 };
  return { text, base: 'bitfield', arrayLength, bits: Number(m[6]) };
}

/** True for the types printed as quoted text. */
export function isStringType(type: ProbeArgType): boolean {
  return type.base === 'string' || type.base === 'ustring' || type.base === 'symstr';
}

const DECIMAL = /^-?\d+$/;
const HEX = /^0x[0-9a-f]+$/i;

/**
 * Converts one printed value by its declared type, or returns `undefined` when the text
 * does not fit the type. `(fault)` converts to `null` for every type.
 */
export function convertProbeValue(text: string, type: ProbeArgType): ProbeValue | undefined {
  if (text === '(fault)') return null;
  if (type.arrayLength !== null) {
    if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
    const scalarType: ProbeArgType = { ...type, arrayLength: null };
    const items = splitArray(text.slice(1, -1));
    const out: ProbeScalar[] = [];
    for (const item of items) {
      const v = convertProbeValue(item, scalarType);
      if (v === undefined || v === null || Array.isArray(v)) return undefined;
      out.push(v as ProbeScalar);
    }
    return out;
  }
  return convertScalar(text, type);
}

function convertScalar(text: string, type: ProbeArgType): ProbeScalar | undefined {
  switch (type.base) {
    case 'string':
    case 'ustring':
    case 'symstr':
      return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : undefined;
    case 'char':
      return text.length >= 2 && text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1) : undefined;
    case 'symbol':
      return text;
    default:
      return convertInteger(text, type.bits, type.base.startsWith('s'));
  }
}

/**
 * Decimal or `0x` hex integer: a bigint when wider than 32 bits, else a number. The
 * value must fit the declared width (tracefs prints a fetched `s32` with `%d`, so a
 * larger number is damage, not a kernel value): `s*` from -2^(b-1) to 2^(b-1)-1
 * (a hex `s*`, never printed by tracefs, is read as its two's-complement bits), `u*`
 * and `x*` from 0 to 2^b-1.
 */
function convertInteger(text: string, bits: number, signed: boolean): number | bigint | undefined {
  if (!isIntegerText(text)) return undefined;
  const hex = text.length > 2 && (text.charCodeAt(1) | 0x20) === 0x78;
  let v = BigInt(text);
  const span = 1n << BigInt(bits);
  if (hex && signed && v < span && v >= span >> 1n) v -= span;
  const min = signed ? -(span >> 1n) : 0n;
  const max = signed ? (span >> 1n) - 1n : span - 1n;
  if (v < min || v > max) return undefined;
  return bits > 32 ? v : Number(v);
}

/** `-?[0-9]+` or `0x[0-9a-f]+`, checked without a regex (this runs for every field). */
function isIntegerText(text: string): boolean {
  const n = text.length;
  if (n > 2 && text.charCodeAt(0) === 0x30 && (text.charCodeAt(1) | 0x20) === 0x78) {
    for (let i = 2; i < n; i++) {
      const c = text.charCodeAt(i);
      // only letters are folded to lower case: `| 0x20` on 0x10-0x19 made control bytes digits
      if (c >= 0x30 && c <= 0x39) continue;
      const l = c | 0x20;
      if (c < 0x41 || l < 0x61 || l > 0x66) return false;
    }
    return true;
  }
  let i = text.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i >= n) return false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Splits `a,b,"c,d"` on commas outside quotes. */
function splitArray(inner: string): string[] {
  if (inner === '') return [];
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  out.push(inner.slice(start));
  return out;
}

/**
 * Infers a value's type from its text when no definition is available: quoted text is
 * a string, `0x` hex a bigint, a decimal a number (a bigint beyond 2^53), `(fault)`
 * null, anything else the text itself.
 */
export function inferProbeValue(text: string): ProbeValue {
  if (text === '(fault)') return null;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1);
  if (HEX.test(text)) return BigInt(text);
  if (DECIMAL.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return text;
}
