/**
 * The `holders` report: per folio, one line per holder, their sum against the
 * folio's `_refcount` (and pins against `_pincount` or the 1024 bias), the layout
 * breaker waiting on it, and the possible leaks at the end. Values in, text out.
 */
import { GUP_PIN_COUNTING_BIAS, hex } from '../kernel/constants.ts';
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import { summarizeFolios, summarizeFolioAt } from '../report/folios.ts';
import { describeHolder, holderJson, type Holder } from './tracker.ts';
import { runHolders } from './run.ts';
import type { OpLines } from '../lift/types.ts';

/** One folio's holders. */
export interface FolioHolders {
  readonly head: number;
  readonly order: number;
  readonly refcount: number;
  readonly mapcount: number;
  readonly pincount: number | null;
  readonly holders: readonly Holder[];
  readonly waiter?: { readonly op: number; readonly fn: string; readonly kind: string; readonly line?: number };
}

/** The holders of one model run. */
export interface HoldersReport {
  readonly profile: string;
  readonly ops: number;
  readonly total: number;
  readonly folios: readonly FolioHolders[];
  /** Held at the end by a GUP get, pin, bio or transient: never put (only when the whole input ran). */
  readonly leaks: readonly Holder[];
}

/** Runs ops under model (the first `at`) and collects the holders of every folio (or the one holding pfn). */
export function holdersReport(model: RefcountModel, ops: readonly Op[], opts: { at?: number; pfn?: number; opLines?: ReadonlyMap<number, OpLines> } = {}): HoldersReport {
  const run = runHolders(model, ops, { ...(opts.at !== undefined ? { at: opts.at } : {}), ...(opts.opLines ? { opLines: opts.opLines } : {}) });
  const state = run.runner.state();
  const summaries = opts.pfn === undefined ? summarizeFolios(state) : summarizeFolioAt(state, opts.pfn);
  const heads = new Set(summaries.map((f) => f.head));
  const folios: FolioHolders[] = summaries.map((f) => {
    const w = run.tracker.waiterOn(f.head);
    return {
      head: f.head, order: f.order, refcount: f.refcount, mapcount: f.mapcount, pincount: f.pincount,
      holders: [...run.tracker.current(f.head, state)],
      ...(w ? { waiter: { op: w.op, fn: w.fn, kind: w.kind, ...(w.line !== undefined ? { line: w.line } : {}) } } : {}),
    };
  });
  const whole = opts.at === undefined || opts.at >= ops.length;
  const leaks = whole ? run.tracker.leaks().filter((h) => opts.pfn === undefined || heads.has(h.pfn)) : [];
  return { profile: model.profile.name, ops: Math.min(opts.at ?? ops.length, ops.length), total: ops.length, folios, leaks };
}

/** The text form. */
export function holdersText(file: string, reports: readonly HoldersReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${file} under ${r.profile}: after ${r.ops} of ${r.total} Ops`);
    for (const f of r.folios) {
      const pc = f.pincount === null ? '-' : String(f.pincount);
      out.push(`folio ${hex(f.head)} order ${f.order}: _refcount ${f.refcount}, mapcount ${f.mapcount}, _pincount ${pc}`);
      for (const h of f.holders) out.push(`  ${describeHolder(h)}`);
      const sum = f.holders.reduce((s, h) => s + h.refs, 0);
      const pins = f.holders.reduce((s, h) => s + h.pins, 0);
      out.push(`  = ${sum} reference${sum === 1 ? '' : 's'}${pinsText(pins, f.pincount)}${sum === f.refcount ? '' : ` (MISMATCH: _refcount ${f.refcount})`}`);
      if (f.waiter) {
        const waitedOn = f.holders.filter((h) => h.kind !== 'idle').map((h) => `${h.kind} of ${h.origin} #${h.since}${h.line !== undefined ? ` line ${h.line}` : h.lines !== undefined ? ` lines ${h.lines[0]}-${h.lines[1]}` : ''}`);
        out.push(`  ${f.waiter.kind} #${f.waiter.op}${f.waiter.line !== undefined ? ` (line ${f.waiter.line})` : ''} waits in ${f.waiter.fn} on: ${waitedOn.join(', ') || idleOnly(f.holders)}`);
      }
    }
    if (r.leaks.length) {
      out.push('possible leaks (held at the end of the input, never put):');
      for (const h of r.leaks) out.push(`  ${hex(h.pfn)} ${describeHolder(h)}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/**
 * What a waiter still sleeps on when nothing but the idle reference is held: its
 * condition holds (the page is idle) and no wake_up_var() ended the wait.
 */
function idleOnly(hs: readonly Holder[]): string {
  const idle = hs.reduce((s, h) => s + h.refs, 0);
  return `${idle ? `only the idle reference (${idle})` : 'no reference'}, never woken`;
}

/**
 * The pins of a sum line, against what counts them: a large folio's `_pincount`, or on
 * order 0 GUP_PIN_COUNTING_BIAS references each in `_refcount` (try_grab_folio()).
 */
function pinsText(pins: number, pincount: number | null): string {
  if (pincount === null) return pins > 0 ? `, ${pins} pin${pins === 1 ? '' : 's'} (${GUP_PIN_COUNTING_BIAS} references each: order 0 has no _pincount)` : '';
  if (pins === 0 && pincount === 0) return '';
  return `, ${pins} pin${pins === 1 ? '' : 's'}${pins === pincount ? ' = _pincount' : ` (MISMATCH: _pincount ${pincount})`}`;
}

/** The JSON form of one folio's holders (`replay --format json` and `holders --format json`). */
export function holdersJson(hs: readonly Holder[]): Record<string, unknown>[] {
  return hs.map(holderJson);
}
