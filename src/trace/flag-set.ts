/**
 * Flag words as tracepoints print them with `__print_flags()`: names joined by `|` in
 * the table's order, with any bits the table does not name appended as one hex number
 * (`ALLOW_RETRY|KILLABLE|USER|0x800`), or — when the reader (trace-cmd's libtraceevent)
 * cannot resolve the table — the bare hex value (`0x1254`).
 */

/** One named bit (or bit group) of a flag table. */
export interface FlagTableEntry {
  readonly name: string;
  readonly value: number;
}

/** A `__print_flags()` table: entries in the kernel's print order. */
export type FlagTable = readonly FlagTableEntry[];

/** A flag word as printed, decoded both ways where possible. */
export interface FlagSet {
  /** The field exactly as printed. */
  readonly text: string;
  /**
   * The set flags by name, in the table's print order, without the unnamed-bits hex
   * part; `null` when the text is hex and no table was available to decode it.
   */
  readonly names: readonly string[] | null;
  /** Bits printed (or left) as hex because no table entry names them. */
  readonly unnamed: number;
  /**
   * The numeric flag word; `null` when the text holds a name the table does not know
   * (or no table was given for a named form).
   */
  readonly value: number | null;
}

const HEX = /^0x[0-9a-f]+$/i;

/**
 * Parses a printed flag word. `table` decodes a bare hex value into names and a named
 * form into a value; without it only the form that was printed is filled in.
 */
export function parseFlagText(text: string, table: FlagTable | null): FlagSet {
  // Flag words repeat on almost every line of a trace: memoise per table.
  const cache = cacheFor(table);
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const parsed = parseUncached(text, table);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, parsed);
  return parsed;
}

const CACHE_LIMIT = 4096;
const tableCaches = new WeakMap<FlagTable, Map<string, FlagSet>>();
const noTableCache = new Map<string, FlagSet>();

function cacheFor(table: FlagTable | null): Map<string, FlagSet> {
  if (table === null) return noTableCache;
  let cache = tableCaches.get(table);
  if (cache === undefined) {
    cache = new Map();
    tableCaches.set(table, cache);
  }
  return cache;
}

function parseUncached(text: string, table: FlagTable | null): FlagSet {
  const trimmed = text.trim();
  if (trimmed === '') return { text, names: [], unnamed: 0, value: 0 };
  if (HEX.test(trimmed)) return decodeFlagValue(Number.parseInt(trimmed, 16), table, text);
  let unnamed = 0;
  let value: number | null = 0;
  const names: string[] = [];
  for (const part of trimmed.split('|')) {
    if (HEX.test(part)) {
      unnamed = orBits(unnamed, Number.parseInt(part, 16));
      continue;
    }
    names.push(part);
    const entry = table?.find((e) => e.name === part);
    value = entry === undefined || value === null ? null : orBits(value, entry.value);
  }
  return { text, names, unnamed, value: value === null ? null : orBits(value, unnamed) };
}

/**
 * Decodes a numeric flag word with `table` the way the kernel's
 * `trace_print_flags_seq()` does: every entry whose bits are all set is named, in table
 * order, and the remaining bits are `unnamed`. Without a table, `names` is `null`.
 */
export function decodeFlagValue(value: number, table: FlagTable | null, text = `0x${value.toString(16)}`): FlagSet {
  if (table === null) return { text, names: null, unnamed: value, value };
  let rest = BigInt(value);
  const names: string[] = [];
  for (const entry of table) {
    const bits = BigInt(entry.value);
    if (bits !== 0n && (rest & bits) === bits) {
      names.push(entry.name);
      rest &= ~bits;
    }
  }
  return { text, names, unnamed: Number(rest), value };
}

/** Bitwise OR of two non-negative flag words that may exceed 31 bits. */
function orBits(a: number, b: number): number {
  return Number(BigInt(a) | BigInt(b));
}

/** True when `flags` names `name` (for a decoded or named flag word). */
export function hasFlag(flags: FlagSet, name: string): boolean {
  return flags.names?.includes(name) ?? false;
}
