/**
 * The `# vmemmap:` header line `dax-refsim record` writes: where the recording kernel
 * keeps its struct pages (VMEMMAP_START, which KASLR and 5-level paging move) and the
 * struct page / folio offsets it read from the kernel's BTF, e.g.
 *
 * ```
 * # vmemmap: base=0xffffc8d340000000 base_from=kprobe layout_from=btf struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=88 pincount=92 …
 * ```
 *
 * `base_from` says how the base was learnt (`kprobe`: a probe fetching `@vmemmap_base`;
 * `default`: assumed, the line after it says why), `layout_from` the offsets (`btf`, or
 * `default-<version>`: the layout recorded for that version). An offset of -1 is a field
 * the kernel does not have.
 */
import { makeIssue, type IssueSite, type ParseIssue } from './issues.ts';

/** A struct page / folio field offset (bytes) the line names; null where the kernel has none. */
export type VmemmapOffsets = Readonly<Record<string, number | null>>;

/** The parsed `# vmemmap:` line. */
export interface VmemmapInfo {
  readonly line: number;
  /** VMEMMAP_START of the recording kernel, or null when the line names none. */
  readonly base: bigint | null;
  readonly baseFrom: string | null;
  /** sizeof(struct page), or null when the line names none. */
  readonly structPage: number | null;
  readonly layoutFrom: string | null;
  /** `refcount`, `mapcount`, `word1`, `order`, `large`, `entire`, `pincount`, `pgmap_*`. */
  readonly offsets: VmemmapOffsets;
}

const TEXT_KEYS = new Set(['base_from', 'layout_from']);

/** Parses the value of a `# vmemmap:` line; a malformed token is reported and skipped. */
export function parseVmemmap(value: string, site: IssueSite, at: number, report: (issue: ParseIssue) => void): VmemmapInfo {
  let base: bigint | null = null;
  let structPage: number | null = null;
  const text: Record<string, string> = {};
  const offsets: Record<string, number | null> = {};
  for (const m of value.matchAll(/\S+/g)) {
    const kv = /^(\w+)=(\S+)$/.exec(m[0]);
    const col = at + m.index;
    if (!kv) {
      report(makeIssue(site, 'BAD_HEADER', col, `expected KEY=VALUE, got '${m[0]}'`));
      continue;
    }
    const key = kv[1] ?? '';
    const v = kv[2] ?? '';
    if (key === 'base') {
      if (/^0x[0-9a-f]{1,16}$/i.test(v)) base = BigInt(v);
      else report(makeIssue(site, 'BAD_HEADER', col, `base=${v}: expected a hex address (0xffffea0000000000)`));
    } else if (TEXT_KEYS.has(key)) text[key] = v;
    else if (/^-?\d+$/.test(v)) {
      const n = Number(v);
      if (key === 'struct_page') structPage = n;
      else offsets[key] = n < 0 ? null : n;
    } else report(makeIssue(site, 'BAD_HEADER', col, `${key}=${v}: expected a byte offset`));
  }
  return { line: site.line, base, baseFrom: text['base_from'] ?? null, structPage, layoutFrom: text['layout_from'] ?? null, offsets };
}

/**
 * The vmemmap base to read a trace's struct page pointers with: `override` (the
 * `--vmemmap-base` flag), else the header's `# vmemmap: base=`, else `fallback`
 * (VMEMMAP_START with 4-level paging and no KASLR).
 */
export function vmemmapBaseOf(header: { readonly vmemmap: VmemmapInfo | null }, override: bigint | undefined, fallback: bigint): bigint {
  return override ?? header.vmemmap?.base ?? fallback;
}
