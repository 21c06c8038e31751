/**
 * Explanations a reviewer can paste into a mail. A divergence class supplies only a
 * one-line headline; the body is assembled from what the two runs did on the range at
 * each Op: the kernel functions each model passed through (its enter/exit markers,
 * caller first), the reference, mapcount and association changes it made, the
 * waiters it actually released or started, and the findings its checks raised. Nothing
 * is said that the runs do not show.
 */
import type { Op } from '../events/op.ts';
import type { Finding } from '../state/finding.ts';
import type { DivergenceClass, FieldValue } from './divergence.ts';
import { sideActions, type OpEvents, type SideActions } from './actions.ts';
import { opName } from './op-words.ts';
import type { Snapshot } from './snapshot.ts';

/** The one-line headline of a class: what differs, never why (the runs say why). */
export function headline(cls: DivergenceClass, field: string): string {
  switch (cls) {
    case 'baseline':
      return 'Only the idle value differs: the references held beyond idle are equal.';
    case 'map-reference':
      return 'The page-table mappings hold different mapcounts, and as many references.';
    case 'busy':
      return field === 'waiting' ? 'A layout breaker waits on the range in one model only.' : 'The layout-break busy test gives different answers.';
    case 'folio-shape':
      return 'The folios have different orders.';
    case 'association':
      return 'The association words (mapping, share) differ.';
    case 'wake':
      return 'A waiting layout breaker is released in one model only.';
    case 'finding':
      // Not every finding is a kernel check: missed-wakeup, busy-scan-skipped and
      // evict-without-wait are hazards no kernel code reports (a waiter wake_up_var()
      // never reaches, a dax_layout_busy_page_range() that returns before scanning), while
      // disassociate-busy-page is dax_disassociate_entry()'s WARN_ON_ONCE (docs/findings.md)
      return 'A finding in one model only: a kernel WARN/BUG, or a hazard the model infers.';
    case 'refcount':
      return 'The references differ by more than the mappings and the idle value explain.';
  }
}

/** A field value as the reports print it. */
export function fmtValue(v: FieldValue): string {
  if (v === null) return '∅';
  return Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : String(v);
}

/** One model's side of one Op on a range. */
export interface SideInput {
  readonly name: string;
  /** The side's events of the Op, indexed. */
  readonly events: OpEvents;
  readonly findings: readonly Finding[];
  readonly snapshot: Snapshot;
  /** The page a waiter (by its Op seq) sleeps on, for the wake-ups this Op made. */
  readonly waiterPfn: (waiter: number) => number | undefined;
}

function signed(n: number, one: string, many: string): string {
  return `${n > 0 ? '+' : '−'}${Math.abs(n)} ${Math.abs(n) === 1 ? one : many}`;
}

/** The effects a side's actions had, in words, in the order the kernel did them. */
export function effects(x: SideActions): string[] {
  const out: string[] = [];
  if (x.initRefcount !== null) out.push(`initialised the struct pages at refcount ${x.initRefcount}`);
  if (x.compound !== null) out.push(`made an order-${x.compound} compound folio`);
  if (x.entries.length) {
    const unref = x.entries.filter((e) => !e.refcounted);
    const refd = x.entries.filter((e) => e.refcounted);
    const entries = (list: typeof x.entries) => (list.length === 1 ? `a ${list[0]!.level.toUpperCase()}` : `${list.length} ${list[0]!.level.toUpperCase()}s`);
    if (refd.length) out.push(`installed ${entries(refd)}`);
    if (unref.length) out.push(`installed ${entries(unref)} that hold${unref.length === 1 ? 's' : ''} no reference`);
  }
  if (x.cleared) out.push(`cleared ${x.cleared === 1 ? 'a page-table entry' : `${x.cleared} page-table entries`}`);
  if (x.refDelta !== 0) out.push(signed(x.refDelta, 'reference', 'references'));
  else if (x.refEvents > 0) out.push('took and dropped references (net 0)');
  if (x.rmapDelta !== 0) out.push(`mapcount ${signed(x.rmapDelta, '', '').trim()}`);
  if (x.pinDelta !== 0) out.push(`_pincount ${signed(x.pinDelta, '', '').trim()}`);
  if (x.split) out.push('split the folio into order-0 folios');
  if (x.freedBy !== null) out.push(x.freed === 1 ? `freed the folio (${x.freedBy})` : `freed ${x.freed} folios (${x.freedBy})`);
  if (x.released.length) out.push(`woke the waiter of ${x.released.map((w) => `#${w}`).join(', ')}`);
  else if (x.wakes.length) out.push('called wake_up_var() with no waiter on the range');
  for (const w of x.waits) out.push(`${w.fn} sleeps (${w.interruptible ? 'interruptible' : 'uninterruptible'}) until the refcount is ${w.until}`);
  if (x.sharedEntry) out.push('stored a shared (reflink) entry');
  // the distinct words only where a mapping was set (most Ops set none)
  const maps = x.mappings.length ? [...new Set(x.mappings.map((m) => m ?? 'NULL'))] : x.mappings;
  if (maps.length === 1) out.push(`set ->mapping to ${maps[0]}${x.mappings.length > 1 ? ` on ${x.mappings.length} pages` : ''}`);
  else if (maps.length > 1) out.push(`set ->mapping on ${x.mappings.length} pages (${maps.join(', ')})`);
  if (x.shares.length) out.push(`share count ${x.shares[x.shares.length - 1]}`);
  return out;
}

/** A call path, caller first; a woken task's path opens with its `(woken #N)` label. */
function pathWords(p: readonly string[]): string {
  return p[0]?.startsWith('(') ? `${p[0]} ${p.slice(1).join(' → ')}` : p.join(' → ');
}

/** One side's sentence for one Op: `name: [paths] effects; now values`. */
export function sideSentence(s: SideInput, lo: number, hi: number, soleRange: boolean): string {
  const x = sideActions(s.events, lo, hi, s.waiterPfn, soleRange);
  const did = effects(x);
  const paths = x.paths.length === 1 ? ` [${pathWords(x.paths[0]!)}]` : x.paths.length ? ` [${x.paths.map(pathWords).join('; ')}]` : '';
  // a finding's message is a sentence of its own (it has commas and semicolons of its own);
  // appended in place (no filtered list and join: most Ops raise none)
  let reports = '';
  for (const f of s.findings) if (f.pfn >= lo && f.pfn < hi) reports += ` It ${f.severity === 'error' ? 'reports' : 'WARNs'} ${f.code} in ${f.function}: ${f.message}${f.message.endsWith('.') ? '' : '.'}`;
  return `${s.name}${paths}: ${did.length ? did.join(', ') : 'no change on this range'}; now ${s.snapshot}.${reports}`;
}

/** The lines of one Op on a range: the Op, then each side. */
export function stepLines(op: Op, lo: number, hi: number, sides: readonly [SideInput, SideInput], soleRange: boolean, note = ''): string[] {
  return [`${opName(op)}${note}:`, `  ${sideSentence(sides[0], lo, hi, soleRange)}`, `  ${sideSentence(sides[1], lo, hi, soleRange)}`];
}

/** The kernel functions an explanation's paths name (for the symbol-list check). */
export function namedFunctions(lines: readonly string[]): string[] {
  const out = new Set<string>();
  for (const l of lines) {
    for (const m of l.matchAll(/\[([^\]]*)\]/g)) {
      for (const part of m[1]!.split(/;|→/)) {
        const fn = part.trim();
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(fn)) out.add(fn);
      }
    }
  }
  return [...out];
}
