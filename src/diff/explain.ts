/**
 * Explanations a reviewer can paste into a mail: which Op, what each model did (with
 * the kernel functions that did it, read from the models' enter/exit markers), and
 * why that kernel does it.
 */
import { hex } from '../kernel/constants.ts';
import type { Op } from '../events/op.ts';
import type { RefEvent } from '../events/ref-event.ts';
import type { Finding } from '../state/finding.ts';
import type { RefcountModel } from '../models/model.ts';
import type { DivergenceClass } from './divergence.ts';
import type { RangeView } from './folio-view.ts';

/** One model's side of a divergence. */
export interface Side {
  readonly model: RefcountModel;
  readonly events: readonly RefEvent[];
  readonly findings: readonly Finding[];
  readonly view: RangeView;
}

const CHANGES = new Set<RefEvent['type']>(['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze', 'prep_compound', 'split', 'set_mapping', 'share', 'add_rmap', 'remove_rmap', 'pin_count', 'wake', 'free', 'wait', 'memmap_init']);

/** The kernel functions (innermost ← caller) in which this Op changed the range. */
export function functionsFor(events: readonly RefEvent[], lo: number, hi: number): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'enter') stack.push(e.fn);
    else if (e.type === 'exit') stack.pop();
    else if (CHANGES.has(e.type) && 'pfn' in e && e.pfn >= lo && e.pfn < hi) {
      const chain = stack.slice(-2).reverse().join(' ← ');
      if (chain && !out.includes(chain)) out.push(chain);
    }
  }
  return out.slice(0, 3);
}

function state(side: Side, lo: number, hi: number): string {
  const v = side.view;
  const parts: string[] = [];
  if (v.heads.length === 1) parts.push(`${v.order > 0 ? `order-${v.order} folio` : 'page'} refcount ${v.refcounts[0] ?? 0}, mapcount ${v.mapcount}${v.pincount ? `, _pincount ${v.pincount}` : ''}`);
  else parts.push(`${v.heads.length} order-0 pages, refcounts ${summarise(v.refcounts)}, mapcount ${v.mapcount}`);
  if (side.events.some((e) => e.type === 'free' && e.pfn >= lo && e.pfn < hi)) parts.push('freed (free_zone_device_folio)');
  if (side.events.some((e) => e.type === 'wake' && e.pfn >= lo && e.pfn < hi)) parts.push('woke waiters');
  if (side.events.some((e) => e.type === 'wait' && e.pfn >= lo && e.pfn < hi)) parts.push('a layout breaker now waits on it');
  const fns = functionsFor(side.events, lo, hi);
  return `${side.model.name}: ${parts.join(', ')}${fns.length ? ` [${fns.join('; ')}]` : ''}`;
}

function summarise(values: readonly number[]): string {
  const uniq = [...new Set(values)];
  return uniq.length === 1 ? `all ${uniq[0]}` : values.slice(0, 4).join('/') + (values.length > 4 ? '/…' : '');
}

/** Why the kernels differ, per class (the kernel functions that embody the rule). */
const WHY: Record<DivergenceClass, (a: Side, b: Side) => string> = {
  baseline: (a, b) => `Same history, shifted by the idle value: ${a.view.type ?? 'this'} pages idle at ${a.view.idle} in ${a.model.name} and ${b.view.idle} in ${b.model.name} (legacy FS DAX counts a free page as 1 and __put_devmap_managed_folio_refs wakes at 1; unified __init_zone_device_page resets FS_DAX to 0 and free_zone_device_folio wakes at 0).`,
  'map-reference': () => 'Unified maps take a reference, a mapcount and RSS (vmf_insert_page_mkwrite/insert_page, vmf_insert_folio_pmd/_pud, folio_add_file_rmap_*) and drop them on zap (folio_remove_rmap_*, folios_put_refs); legacy devmap entries (insert_pfn, vmf_insert_pfn_pmd/_pud) hold none, so zap changes nothing on the page.',
  busy: () => 'The layout-break predicates differ: legacy dax_layout_busy_page_range() calls a page busy when page_ref_count > 1 (and returns early when the file has no mappings); unified when folio_ref_count − folio_mapcount ≠ 0, and waits (wait_page_idle) for 0.',
  'folio-shape': () => 'Unified dax_folio_init() turns a PMD association into one compound folio (prep_compound_page: tails carry the compound-head word, pgmap lives in the folio, pins add refs and _pincount); legacy keeps every 4 KiB page order-0 with page->pgmap in word 1 (pins add 1024 per page).',
  association: () => 'The association words encode sharing differently: legacy sets mapping = PAGE_MAPPING_DAX_SHARED and counts per page (dax_page_share_get); unified keeps one share count on the folio with mapping NULL (dax_folio_make_shared), and dax_folio_put leaves index/share stale on order-0 folios.',
  wake: () => 'Wake-ups come from different places: legacy from __put_devmap_managed_folio_refs when a put leaves the count at 1 (a put path without that hook wakes nobody); unified from free_zone_device_folio when the count reaches 0.',
  finding: () => 'A kernel check or hazard fires in one model only.',
  refcount: () => 'The models take different numbers of references for the same operation.',
};

/** The explanation of one divergence. */
export function explain(cls: DivergenceClass, field: string, op: Op, lo: number, hi: number, [a, b]: readonly [Side, Side]): string {
  const where = hi - lo > 1 ? `pfns ${hex(lo)}–${hex(hi - 1)}` : `pfn ${hex(lo)}`;
  const head = `At #${op.seq} (${op.type}${op.line !== undefined ? `, trace line ${op.line}` : ''}) on ${where}`;
  if (cls === 'finding') {
    const fa = a.findings.filter((f) => f.pfn >= lo && f.pfn < hi);
    const fb = b.findings.filter((f) => f.pfn >= lo && f.pfn < hi);
    const only = (x: readonly Finding[], y: readonly Finding[]) => x.filter((f) => !y.some((g) => g.code === f.code));
    const say = (s: Side, fs: readonly Finding[]) => (fs.length ? `${s.model.name} reports ${fs.map((f) => `${f.code} in ${f.function}: ${f.message}`).join('; ')}` : `${s.model.name} reports nothing`);
    return `${head}, ${say(a, only(fa, fb))}; ${say(b, only(fb, fa))}.`;
  }
  void field;
  return `${head}, ${state(a, lo, hi)}; ${state(b, lo, hi)}. ${WHY[cls](a, b)}`;
}
