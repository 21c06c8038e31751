/**
 * Decoding of DAX page-cache (xarray) entries as traces print them: fs_dax
 * `radix_entry %#lx` and kprobe `entry=` arguments of `dax_*_entry` functions.
 *
 * fs/dax.c stores `xa_mk_value(pfn << DAX_SHIFT | flags)`, and `xa_mk_value(v)` is
 * `(v << 1) | 1`; so `pfn = entry >> 5` and `flags = (entry >> 1) & 0xf`
 * (spec §0 item 14; recorded: `entry=0x900a01` is pfn 0x48050).
 */

/** `DAX_SHIFT` in fs/dax.c: the number of flag bits below the pfn. */
export const DAX_SHIFT = 4;

/** The DAX entry flag bits, in fs/dax.c order. */
export const DAX_ENTRY_FLAGS = [
  { name: 'LOCKED', bit: 1 },
  { name: 'PMD', bit: 2 },
  { name: 'ZERO_PAGE', bit: 4 },
  { name: 'EMPTY', bit: 8 },
] as const;

/** One of the DAX entry flag names (`DAX_LOCKED`, `DAX_PMD`, … without the prefix). */
export type DaxEntryFlag = (typeof DAX_ENTRY_FLAGS)[number]['name'];

/** A decoded DAX xarray value entry. */
export interface DaxEntry {
  /** The raw entry word as printed. */
  readonly raw: bigint;
  /** `dax_to_pfn()`: meaningless (usually 0) for `EMPTY` and zero-page placeholder entries. */
  readonly pfn: number;
  /** The 4 flag bits as a number (`(entry >> 1) & 0xf`). */
  readonly flagBits: number;
  /** The set flags by name, in fs/dax.c order. */
  readonly flags: readonly DaxEntryFlag[];
  readonly locked: boolean;
  readonly pmd: boolean;
  readonly zeroPage: boolean;
  readonly empty: boolean;
}

/**
 * Decodes a DAX xarray entry (fs/dax.c `dax_to_pfn()` / `dax_is_*_entry()`), or returns
 * `null` when `entry` is not an xarray value entry (bit 0 clear: a pointer or NULL).
 */
export function decodeDaxEntry(entry: bigint): DaxEntry | null {
  if (entry < 0n || (entry & 1n) === 0n) return null;
  const value = entry >> 1n;
  const flagBits = Number(value & 0xfn);
  const flags = DAX_ENTRY_FLAGS.filter((f) => (flagBits & f.bit) !== 0).map((f) => f.name);
  return {
    raw: entry,
    pfn: Number(value >> BigInt(DAX_SHIFT)),
    flagBits,
    flags,
    locked: (flagBits & 1) !== 0,
    pmd: (flagBits & 2) !== 0,
    zeroPage: (flagBits & 4) !== 0,
    empty: (flagBits & 8) !== 0,
  };
}

/**
 * Builds the entry word the kernel would store for `pfn` with `flags`
 * (`dax_make_entry()`), the inverse of {@link decodeDaxEntry}.
 */
export function encodeDaxEntry(pfn: number | bigint, flags: readonly DaxEntryFlag[] = []): bigint {
  let bits = 0;
  for (const f of DAX_ENTRY_FLAGS) if (flags.includes(f.name)) bits |= f.bit;
  return (((BigInt(pfn) << BigInt(DAX_SHIFT)) | BigInt(bits)) << 1n) | 1n;
}
