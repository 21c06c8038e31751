/**
 * Observations: the values a recording read from struct pages (and from the pgmap), and
 * where in the kernel it read them. A probe field `ref=+52(%di)` reads a word of the page
 * its `%di` argument points to, at the entry of the probed function (kretprobe: at its
 * return); a snap line reads fixed pfns at a PHASE marker; a page_ref event reports the
 * count right after one atomic operation. Which word a field reads is its offset in the
 * recording kernel's struct page / folio layout when the profile knows it (6.1 keeps
 * the folio order at +81, 7.2 the entire mapcount at +88), else its name; so renamed or
 * new probes need no code.
 */
import { pageAddrOffset, pageAddrToPfn } from '../trace/address.ts';
import type { KprobeRecord, PageRefRecord } from '../trace/record-types.ts';
import { probeFunction, snapFields } from '../lift/record-view.ts';
import type { PageLayout } from '../models/kernel-facts.ts';

/**
 * A word an observation reads: struct page / folio words, word 1 (a tail's compound-head
 * encoding, a head's pgmap pointer), the pgmap a lookup returned and two of its fields.
 */
export type ObsField = 'refcount' | 'mapcount' | 'order' | 'entire' | 'large' | 'pincount' | 'word1' | 'pgmap' | 'pgmapType' | 'pgmapShift';

/** Fields that mean something only on the head of a compound folio (page[1] words). */
export const HEAD_ONLY: ReadonlySet<ObsField> = new Set(['order', 'entire', 'large', 'pincount']);

/** A recorded value: a counter, or a 64-bit word. */
export type Recorded = number | bigint;

/** A probe field: a value at the entry or return of a kernel function. */
export interface ProbeObservation {
  readonly source: 'probe';
  readonly line: number;
  /** The probed kernel function. */
  readonly fn: string;
  readonly at: 'enter' | 'exit';
  /** The page whose word the field reads (for a pgmap field, the page it was looked up for). */
  readonly pfn: number;
  readonly field: ObsField;
  /** The field name as recorded (`ref`, `ref0`, `pref`, `mapcount`, `pgmap`, …). */
  readonly name: string;
  readonly recorded: Recorded;
}

/** A snap field: a value at a PHASE marker. */
export interface SnapObservation {
  readonly source: 'snap';
  readonly line: number;
  readonly fn: string;
  readonly pfn: number;
  readonly field: ObsField;
  readonly name: string;
  readonly recorded: Recorded;
}

/** A page_ref event: `count` (and `mapcount`) right after one refcount operation. */
export interface PageRefObservation {
  readonly source: 'page_ref';
  readonly line: number;
  readonly fn: string;
  readonly op: PageRefRecord['op'];
  readonly pfn: number;
  readonly val: number;
  readonly count: number;
  readonly mapcount: number | null;
}

/** Probe field names and the word they read (the recording scripts' convention). */
function fieldByName(name: string): ObsField | null {
  if (/^p?ref\d*$/.test(name)) return 'refcount';
  if (name === 'mapcount') return 'mapcount';
  if (name === 'order' || name === 'entire' || name === 'large') return name;
  if (name === 'pincount') return 'pincount';
  if (name === 'pgmap' || name === 'w1') return 'word1';
  return null;
}

/**
 * The word at byte `offset` of a struct page (a folio head's page[1] words past +64):
 * by the layout when known, else by the field's name, word 1 and the two counters
 * being at the same place in every kernel recorded.
 */
export function fieldAt(offset: number, name: string, layout: PageLayout | null): ObsField | null {
  if (offset === 8) return 'word1';
  if (offset === 52) return 'refcount';
  if (offset === 48) return 'mapcount';
  if (layout === null) return fieldByName(name);
  if (offset === layout.order) return 'order';
  if (offset === layout.entire) return 'entire';
  if (offset === layout.pincount) return 'pincount';
  if (layout.large !== null && offset === layout.large) return 'large';
  return null;
}

/** Fields of a struct dev_pagemap a probe reads through a `pgmap` pointer, by name. */
const PGMAP_FIELDS: Readonly<Record<string, ObsField>> = { type: 'pgmapType', shift: 'pgmapShift' };

const FETCH = /^\+(0x[0-9a-f]+|\d+)\((.+)\)$/i;

/**
 * The observations of one probe record (none for a NULL page, or a field it cannot
 * place). `entryPfn` is the pfn the same function's entry was called with (a
 * get_dev_pagemap() return names the pgmap it found for it).
 */
export function probeObservations(r: KprobeRecord, vmemmapBase: bigint, layout: PageLayout | null = null, entryPfn: number | null = null): ProbeObservation[] {
  const probe = r.probe;
  if (probe === null) return [];
  const out: ProbeObservation[] = [];
  const at = r.probeKind === 'return' ? 'exit' : 'enter';
  const push = (pfn: number, field: ObsField, name: string, recorded: Recorded): void => {
    out.push({ source: 'probe', line: r.line, fn: probeFunction(r), at, pfn, field, name, recorded });
  };
  for (const arg of probe.args) {
    const value = r.fields[arg.name];
    if (typeof value !== 'number' && typeof value !== 'bigint') continue;
    const m = FETCH.exec(arg.fetch);
    if (m === null) {
      // `pgmap=$retval` of get_dev_pagemap(): the pgmap of the pfn its entry asked for
      if (arg.name === 'pgmap' && entryPfn !== null && typeof value === 'bigint' && pageAddrToPfn(value, vmemmapBase) === null) push(entryPfn, 'pgmap', arg.name, value);
      continue;
    }
    const holder = probe.args.find((a) => a.fetch === m[2] && a.name !== arg.name);
    if (holder === undefined) continue;
    const ptr = r.fields[holder.name];
    if (holder.name === 'pgmap') {
      // `type=+96(+8(%si))`: a field of the pgmap the holder read, for the holder's page
      const field = PGMAP_FIELDS[arg.name];
      const pfn = pgmapOwner(r, holder.fetch, vmemmapBase) ?? entryPfn;
      if (field !== undefined && pfn !== null) push(pfn, field, arg.name, Number(value));
      continue;
    }
    if (typeof ptr !== 'bigint' || ptr === 0n) continue;
    const pfn = pageAddrToPfn(ptr, vmemmapBase);
    if (pfn === null) continue;
    const field = fieldAt(Number(m[1]), arg.name, layout);
    if (field === null || (field !== 'word1' && typeof value !== 'number')) continue;
    push(pfn, field, arg.name, value);
  }
  return out;
}

/** The page whose word 1 a `pgmap=+8(X)` fetch read (X a page pointer field), or null. */
function pgmapOwner(r: KprobeRecord, fetch: string, vmemmapBase: bigint): number | null {
  const m = FETCH.exec(fetch);
  if (m === null || Number(m[1]) !== 8) return null;
  const base = r.probe?.args.find((a) => a.fetch === m[2]);
  const ptr = base === undefined ? undefined : r.fields[base.name];
  return typeof ptr === 'bigint' ? pageAddrToPfn(ptr, vmemmapBase) : null;
}

const SNAP_PREFIX: Readonly<Record<string, ObsField>> = { r: 'refcount', m: 'mapcount', o: 'order', e: 'entire', p: 'pincount', w1: 'word1' };

/**
 * The observations of a snap line. A field's word is where its `@ADDR` falls relative to
 * the struct page its name gives (`o_48400=@0xffffea0001210051` is +81 of pfn 0x48400:
 * the 6.1 folio order); without a layout, its prefix says.
 */
export function snapObservations(r: KprobeRecord, layout: PageLayout | null = null, vmemmapBase?: bigint): SnapObservation[] {
  const out: SnapObservation[] = [];
  for (const f of snapFields(r)) {
    const value = f.value;
    if (value === null) continue;
    let field: ObsField | null = SNAP_PREFIX[f.prefix] ?? null;
    if (layout !== null && vmemmapBase !== undefined && f.address !== null) {
      const at = pageAddrOffset(f.address, vmemmapBase);
      field = at === null ? null : fieldAt((at.pfn - f.pfn) * 64 + at.offset, f.name, layout);
    }
    if (field === null || (field !== 'word1' && typeof value !== 'number')) continue;
    out.push({ source: 'snap', line: r.line, fn: probeFunction(r), pfn: f.pfn, field, name: f.name, recorded: value });
  }
  return out;
}

/** The observation of a page_ref event. */
export function pageRefObservation(r: PageRefRecord): PageRefObservation {
  return { source: 'page_ref', line: r.line, fn: r.event, op: r.op, pfn: r.pfn, val: r.val, count: r.count, mapcount: r.mapcount };
}
