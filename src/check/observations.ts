/**
 * Observations: the values a recording read from struct pages, and where in the
 * kernel it read them. A probe field `ref=+52(%di)` reads `_refcount` of the page its
 * `%di` argument points to, at the entry of the probed function (kretprobe: at its
 * return); a snap line reads fixed pfns at a PHASE marker; a page_ref event reports the
 * count right after one atomic operation. The page a probe field reads is found from
 * its fetch expression (`+OFF(BASE)`: the field whose fetch is BASE holds the pointer),
 * so renamed or new probes need no code.
 */
import { pageAddrToPfn } from '../trace/address.ts';
import type { KprobeRecord, PageRefRecord } from '../trace/record-types.ts';
import { probeFunction, snapFields } from '../lift/record-view.ts';

/** A struct page word an observation reads. */
export type ObsField = 'refcount' | 'mapcount' | 'order' | 'entire' | 'large' | 'pincount';

/** Fields that mean something only on the head of a compound folio (page[1] words). */
export const HEAD_ONLY: ReadonlySet<ObsField> = new Set(['order', 'entire', 'large', 'pincount']);

/** A probe field: a value at the entry or return of a kernel function. */
export interface ProbeObservation {
  readonly source: 'probe';
  readonly line: number;
  /** The probed kernel function. */
  readonly fn: string;
  readonly at: 'enter' | 'exit';
  /** The page whose word the field reads. */
  readonly pfn: number;
  readonly field: ObsField;
  /** The field name as recorded (`ref`, `ref0`, `pref`, `mapcount`, …). */
  readonly name: string;
  readonly recorded: number;
}

/** A snap field: a value at a PHASE marker. */
export interface SnapObservation {
  readonly source: 'snap';
  readonly line: number;
  readonly fn: string;
  readonly pfn: number;
  readonly field: ObsField;
  readonly name: string;
  readonly recorded: number;
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
function fieldOf(name: string): ObsField | null {
  if (/^p?ref\d*$/.test(name)) return 'refcount';
  if (name === 'mapcount') return 'mapcount';
  if (name === 'order' || name === 'entire' || name === 'large') return name;
  if (name === 'pincount') return 'pincount';
  return null;
}

const FETCH = /^\+(0x[0-9a-f]+|\d+)\((.+)\)$/i;

/** The observations of one probe record (none for a NULL page, or a field it cannot place). */
export function probeObservations(r: KprobeRecord, vmemmapBase: bigint): ProbeObservation[] {
  const probe = r.probe;
  if (probe === null) return [];
  const out: ProbeObservation[] = [];
  for (const arg of probe.args) {
    const field = fieldOf(arg.name);
    const value = r.fields[arg.name];
    if (field === null || typeof value !== 'number') continue;
    const m = FETCH.exec(arg.fetch);
    const base = m?.[2];
    if (base === undefined) continue;
    const holder = probe.args.find((a) => a.fetch === base && a.name !== arg.name);
    const ptr = holder === undefined ? undefined : r.fields[holder.name];
    if (typeof ptr !== 'bigint' || ptr === 0n) continue;
    const pfn = pageAddrToPfn(ptr, vmemmapBase);
    if (pfn === null) continue;
    out.push({ source: 'probe', line: r.line, fn: probeFunction(r), at: r.probeKind === 'return' ? 'exit' : 'enter', pfn, field, name: arg.name, recorded: value });
  }
  return out;
}

const SNAP_FIELD: Readonly<Record<string, ObsField>> = { r: 'refcount', m: 'mapcount', o: 'order', e: 'entire', p: 'pincount' };

/** The observations of a snap line (`w1_` words belong to a later check). */
export function snapObservations(r: KprobeRecord): SnapObservation[] {
  const out: SnapObservation[] = [];
  for (const f of snapFields(r)) {
    const field = SNAP_FIELD[f.prefix];
    if (field === undefined || typeof f.value !== 'number') continue;
    out.push({ source: 'snap', line: r.line, fn: probeFunction(r), pfn: f.pfn, field, name: f.name, recorded: f.value });
  }
  return out;
}

/** The observation of a page_ref event. */
export function pageRefObservation(r: PageRefRecord): PageRefObservation {
  return { source: 'page_ref', line: r.line, fn: r.event, op: r.op, pfn: r.pfn, val: r.val, count: r.count, mapcount: r.mapcount };
}
