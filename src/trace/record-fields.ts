/**
 * Typed access to kprobe record fields, whose value type depends on the probe's
 * definition (`s32` → number, `x64` → bigint, `ustring` → string): the helpers return
 * the value in the asked-for type, or `null` when absent, faulted or not convertible.
 */
import type { ProbeValue } from './probe-arg-type.ts';
import type { KprobeRecord } from './record-types.ts';

/** A field as a number (a bigint only when it is a safe integer), else `null`. */
export function probeNumber(record: KprobeRecord, name: string): number | null {
  const v = record.fields[name];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

/** A field as a bigint (numbers converted), else `null`. */
export function probeBigint(record: KprobeRecord, name: string): bigint | null {
  const v = record.fields[name];
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return null;
}

/** A string field (`string`, `ustring`, `symstr`, `symbol`, `char`), else `null`. */
export function probeString(record: KprobeRecord, name: string): string | null {
  const v = record.fields[name];
  return typeof v === 'string' ? v : null;
}

/**
 * The fields named `<prefix><suffix>`, keyed by suffix, in definition order: for the
 * snap probe, `prefixedFields(r, 'r_')` maps each pfn (hex, as named) to its refcount.
 */
export function prefixedFields(record: KprobeRecord, prefix: string): Map<string, ProbeValue> {
  const out = new Map<string, ProbeValue>();
  for (const [name, value] of Object.entries(record.fields)) {
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), value);
  }
  return out;
}
