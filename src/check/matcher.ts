/**
 * Locating probe and page_ref observations in the model's event stream. A probe
 * observation at the entry (return) of function F belongs at the model's `enter`
 * (`exit`) marker of F on the same folio; a page_ref observation at the model's
 * page_ref event of the same kind, pfn and delta. Markers are taken once, earliest
 * first, from the Op the record was lifted into onward (a layout break resumed by a
 * put emits its markers in the put's Op). The record an Op was lifted from, when the
 * model follows that Op through other functions (unpin_user_folio() for an unpin),
 * reads the state at the Op's start (entry) or end (return).
 */
import { PAGE_REF_TYPES, type RefEvent } from '../events/ref-event.ts';
import { compoundHead } from '../state/accessors.ts';
import type { PageSource } from '../state/accessors.ts';
import type { LogPosition, ModelLog } from './model-log.ts';
import type { PageRefObservation, ProbeObservation } from './observations.ts';

/** An observation waiting for its marker. */
export interface Pending {
  /** One record's observations: a page_ref event, or every field of one probe event (one marker). */
  readonly obs: PageRefObservation | ProbeRecordObservations;
  /** The page or folio the probe names (matched against the marker's pfn). */
  readonly key: number | null;
  /** The first Op its marker may be in. */
  readonly from: number;
  /** Set when the record is the one its Op was lifted from. */
  readonly anchorOf?: number;
  /**
   * The pending observation of another probe that fired at the same hit (the same
   * function entry, right before in the same context: two probes on one function read
   * at one marker).
   */
  readonly sameHit?: Pending;
  /** Where it was located (for a later probe of the same hit). */
  pos?: LogPosition;
  /**
   * A page_ref observation not found yet: the Ops before this index hold no event it
   * matches (they are not searched again; only events are taken, never given back).
   */
  scanned?: number;
}

/** The fields of one probe event, read at one point. */
export interface ProbeRecordObservations {
  readonly source: 'probe';
  readonly line: number;
  readonly fn: string;
  readonly at: 'enter' | 'exit';
  readonly fields: readonly ProbeObservation[];
}

const PAGE_REF: ReadonlySet<string> = new Set(PAGE_REF_TYPES);

/** True when a marker's pfn and a probe's page are the same folio (or either is unknown). */
function samePage(src: PageSource, markerPfn: number | undefined, key: number | null): boolean {
  if (markerPfn === undefined || key === null || markerPfn === key) return true;
  return compoundHead(src, markerPfn) === compoundHead(src, key);
}

/** Finds the position of a pending observation in the log, or null (not there yet). */
export function locate(log: ModelLog, p: Pending): LogPosition | null {
  const o = p.obs;
  if (o.source === 'page_ref') {
    const exact = (e: RefEvent): boolean => e.type === o.op && 'pfn' in e && e.pfn === o.pfn && 'val' in e && e.val === o.val;
    const sameDelta = (e: RefEvent): boolean => PAGE_REF.has(e.type) && 'pfn' in e && e.pfn === o.pfn && 'val' in e && e.val === o.val;
    // exact first, then the same delta, over the Ops not searched yet: the Ops before
    // `scanned` held neither, so this finds what a search from `from` would
    const from = Math.max(p.from, p.scanned ?? 0);
    if (!log.mayHoldPageRef(from, o.pfn)) {
      p.scanned = log.nextIndex;
      return null;
    }
    const hit = log.take(from, exact) ?? log.take(from, sameDelta);
    if (hit === null) p.scanned = log.nextIndex;
    return hit;
  }
  if (p.sameHit !== undefined) return p.sameHit.pos ?? null;
  const src = log.stateSource();
  const kind = o.at === 'enter' ? 'enter' : 'exit';
  const pred = (e: RefEvent): boolean => e.type === kind && e.fn === o.fn && samePage(src, e.pfn, p.key);
  if (p.anchorOf !== undefined) {
    const own = log.get(p.anchorOf);
    if (own === undefined) return null;
    const hit = log.take(p.anchorOf, (e, op) => op === own && pred(e));
    if (hit !== null) return hit;
    // the model follows this Op through other functions: the Op's start or end
    return { op: own, at: o.at === 'enter' ? -1 : own.events.length - 1 };
  }
  return log.take(p.from, pred);
}
