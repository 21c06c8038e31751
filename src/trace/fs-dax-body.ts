/**
 * fs_dax tracepoint bodies (include/trace/events/fs_dax.h, spec §9.3). The formats are
 * positional, keyword-led and space-separated:
 *
 * ```
 * dev %d:%d ino %#lx %s %s address %#lx vm_start %#lx vm_end %#lx pgoff %#lx max_pgoff %#lx %s   pmd fault
 * dev %d:%d ino %#lx %s address %#lx zero_page %p radix_entry %#lx                              pmd load hole
 * dev %d:%d ino %#lx %s %s address %#lx pgoff %#lx %s                                            pte fault, hole, mkwrite
 * dev %d:%d ino %#lx %s %s address %#lx length %#llx pfn %#llx %s radix_entry %#lx               pmd insert mapping
 * dev %d:%d ino %#lx %s %s address %#lx radix_entry %#lx                                         insert mapping
 * dev %d:%d ino %#lx pgoff %#lx-%#lx | pgoff %#lx pglen %#lx                                     writeback
 * ```
 *
 * So the body is read keyword by keyword; the unkeyed words are placed by what precedes
 * them: after `ino` come `shared|private` and the fault flags (or `write|read`), after
 * `pfn` its pfn_t flags, and at the end the VM_FAULT result. An empty flag word prints
 * as an empty string, which the single-space split keeps. trace-cmd prints `%#lx` of 0
 * as `0`, flag words as hex, and a result of 0 as `OOM` (unresolved enum table).
 */
import { reportAt, type BodyInput } from './body-context.ts';
import { parseFlagText, type FlagSet } from './flag-set.ts';
import { FAULT_FLAG_TABLE, VM_FAULT_TABLE } from './flag-tables.ts';
import { fsDaxRecord } from './record-build.ts';
import type { FsDaxRecord } from './record-types.ts';
import { decodeDaxEntry } from './xarray-entry.ts';

/** fs_dax events of v4.12–v7.x (dax_pmd_insert_mapping / dax_insert_mapping were removed in v6.16). */
export const FS_DAX_EVENTS: ReadonlySet<string> = new Set([
  'dax_pmd_fault', 'dax_pmd_fault_done', 'dax_pmd_load_hole', 'dax_pmd_load_hole_fallback',
  'dax_pmd_insert_mapping', 'dax_pmd_insert_mapping_fallback', 'dax_pte_fault', 'dax_pte_fault_done',
  'dax_load_hole', 'dax_insert_pfn_mkwrite_no_entry', 'dax_insert_pfn_mkwrite', 'dax_insert_mapping',
  'dax_writeback_range', 'dax_writeback_range_done', 'dax_writeback_one',
]);

/** True for a known fs_dax event, or a `dax_*` event with the fs_dax `dev M:m ino` body shape. */
export function isFsDaxEvent(event: string, body: string): boolean {
  return FS_DAX_EVENTS.has(event) || (event.startsWith('dax_') && /^dev \d+:\d+ ino /.test(body));
}

const KEYWORDS: ReadonlySet<string> = new Set([
  'dev', 'ino', 'address', 'vm_start', 'vm_end', 'pgoff', 'max_pgoff', 'pglen', 'length', 'pfn',
  'radix_entry', 'zero_page', 'zero_folio',
]);
const NUMBER = /^(?:0x[0-9a-f]+|\d+)$/i;

interface Word {
  readonly text: string;
  readonly offset: number;
}

/** Parses an fs_dax body; `null` (after BAD_FIELD) when `dev` or `ino` is unreadable. */
export function parseFsDaxBody(input: BodyInput): FsDaxRecord | null {
  const words = splitWords(input.base.body);
  const keyed = new Map<string, Word>();
  const loose = new Map<string, Word[]>();
  let last = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as Word;
    const next = words[i + 1];
    if (KEYWORDS.has(w.text) && next !== undefined && !keyed.has(w.text)) {
      keyed.set(w.text, next);
      last = w.text;
      i++;
    } else {
      const list = loose.get(last);
      if (list === undefined) loose.set(last, [w]);
      else list.push(w);
    }
  }
  const dev = /^(\d+):(\d+)$/.exec(keyed.get('dev')?.text ?? '');
  const ino = num(input, keyed.get('ino'), 'ino');
  if (!dev || ino === null) {
    if (!dev) reportAt(input, 'BAD_FIELD', keyed.get('dev')?.offset ?? 0, 'expected dev MAJOR:MINOR');
    return null;
  }
  const afterIno = loose.get('ino') ?? [];
  const sharing = afterIno[0]?.text === 'shared' || afterIno[0]?.text === 'private' ? afterIno[0].text : null;
  const second = sharing === null ? afterIno[0] : afterIno[1];
  const isInsert = input.base.event.endsWith('insert_mapping');
  const flags = !isInsert && second !== undefined ? parseFlagText(second.text, FAULT_FLAG_TABLE) : null;
  const tail = last === 'ino' ? [] : (loose.get(last) ?? []);
  const [pgoff, pgoffEnd] = range(input, keyed.get('pgoff'));
  const radix = num(input, keyed.get('radix_entry'), 'radix_entry');
  const pfnFlags = last === 'pfn' ? undefined : loose.get('pfn')?.[0];
  warnUnplaced(input, loose, last, sharing === null ? 1 : 2);
  return fsDaxRecord(input.base, {
    dev: { major: Number(dev[1]), minor: Number(dev[2]) },
    ino,
    sharing,
    flags,
    write: isInsert && second !== undefined ? second.text === 'write' : null,
    address: num(input, keyed.get('address'), 'address'),
    vm_start: num(input, keyed.get('vm_start'), 'vm_start'),
    vm_end: num(input, keyed.get('vm_end'), 'vm_end'),
    pgoff,
    pgoff_end: pgoffEnd,
    max_pgoff: num(input, keyed.get('max_pgoff'), 'max_pgoff'),
    pglen: num(input, keyed.get('pglen'), 'pglen'),
    length: num(input, keyed.get('length'), 'length'),
    pfn: num(input, keyed.get('pfn'), 'pfn'),
    pfn_flags: pfnFlags === undefined ? null : parseFlagText(pfnFlags.text, null),
    zero_page: (keyed.get('zero_page') ?? keyed.get('zero_folio'))?.text ?? null,
    radix_entry: radix,
    entry: radix === null ? null : decodeDaxEntry(radix),
    result: tail.length === 0 ? null : result(tail.map((w) => w.text).join(' '), flags),
  });
}

/**
 * The VM_FAULT result. trace-cmd cannot resolve the VM_FAULT_* enum and matches the
 * table's first entry (OOM) for a value of 0; a line whose fault flags are bare hex
 * comes from such a reader, so its `OOM` is read as 0.
 */
function result(text: string, flags: FlagSet | null): FlagSet {
  const unresolved = flags !== null && /^0x[0-9a-f]+$/i.test(flags.text);
  if (unresolved && text === 'OOM') return { text, names: [], unnamed: 0, value: 0 };
  return parseFlagText(text, VM_FAULT_TABLE);
}

/** Reports words that fit no slot of any fs_dax format (a format this reader does not know). */
function warnUnplaced(input: BodyInput, loose: ReadonlyMap<string, readonly Word[]>, last: string, afterIno: number): void {
  for (const [after, words] of loose) {
    if (after === last) continue;
    const allowed = after === 'ino' ? afterIno : after === 'pfn' ? 1 : 0;
    for (const w of words.slice(allowed)) reportAt(input, 'BAD_FIELD', w.offset, `unexpected word '${w.text}'`, 'warning');
  }
}

/** Splits on single spaces, keeping empty words (an empty `%s` leaves two spaces). */
function splitWords(body: string): Word[] {
  const out: Word[] = [];
  let offset = 0;
  for (const text of body.split(' ')) {
    out.push({ text, offset });
    offset += text.length + 1;
  }
  return out;
}

/** A `%#lx`-style number (trace-cmd prints 0 as `0`), or `null` with a BAD_FIELD issue. */
function num(input: BodyInput, w: Word | undefined, key: string): bigint | null {
  if (w === undefined) return null;
  if (NUMBER.test(w.text)) return BigInt(w.text);
  reportAt(input, 'BAD_FIELD', w.offset, `${key} ${w.text} is not a number`);
  return null;
}

/** `pgoff A` or `pgoff A-B` → [A, B|null]. */
function range(input: BodyInput, w: Word | undefined): [bigint | null, bigint | null] {
  if (w === undefined) return [null, null];
  const dash = w.text.indexOf('-');
  if (dash < 0) return [num(input, w, 'pgoff'), null];
  const start = num(input, { text: w.text.slice(0, dash), offset: w.offset }, 'pgoff');
  const end = num(input, { text: w.text.slice(dash + 1), offset: w.offset + dash + 1 }, 'pgoff');
  return [start, end];
}
