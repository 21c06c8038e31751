/**
 * The values one model holds on a compared range, in the spec's notation (§11): an
 * order-0 page `r=`/`m=`, a large folio's head `R=`/`M=`/`P=`, the association word and
 * the layout breakers waiting on it. An episode records these at its start, at every
 * Op that changes them and at its end.
 */
import { hex } from '../kernel/constants.ts';
import type { Waiter } from '../state/world.ts';
import type { RangeView } from './folio-view.ts';

/** The rendered values of one side (equal strings = equal values). */
export type Snapshot = string;

/** Most per-page exceptions named before "…". */
const MAX_EXCEPTIONS = 3;

/** The refcounts of many order-0 pages: the common value and the pages that differ. */
function manyRefcounts(v: RangeView): string {
  const rs = v.refcounts;
  const n = v.heads.length;
  // Most multi-folio ranges (a PMD split into 512 pages) hold one refcount on every
  // page: then the mode is that value and no page is an exception, found without the Map.
  if (rs.length === n && n > 0) {
    const r0 = rs[0]!;
    let i = 1;
    while (i < n && rs[i] === r0) i++;
    if (i === n) return `r=${r0}`;
  }
  const counts = new Map<number, number>();
  for (const r of v.refcounts) counts.set(r, (counts.get(r) ?? 0) + 1);
  let mode = v.refcounts[0] ?? 0;
  for (const [r, n] of counts) if (n > (counts.get(mode) ?? 0)) mode = r;
  const odd: string[] = [];
  let more = 0;
  v.heads.forEach((h, i) => {
    const r = v.refcounts[i] ?? 0;
    if (r === mode) return;
    if (odd.length < MAX_EXCEPTIONS) odd.push(`${hex(h)} r=${r}`);
    else more++;
  });
  const others = odd.length ? ` except ${odd.join(', ')}${more ? ` and ${more} more` : ''}` : '';
  return `r=${mode}${others}`;
}

/** What one side holds on the range after an Op. */
export function snapshot(v: RangeView, waiters: readonly Waiter[]): Snapshot {
  // one string built in place (no parts list and join): two snapshots per compared range and Op
  let s: string;
  if (v.folios === 1) {
    const head = v.head0;
    // refcount0 is 0 where the range holds no refcount (refcounts[0] ?? 0)
    if (v.order > 0) s = `order-${v.order} folio ${hex(head)}: R=${v.refcount0}, M=${v.mapcount}${v.pincount ? `, P=${v.pincount}` : ''}`;
    else s = `page ${hex(head)}: r=${v.refcount0}, m=${v.mapcount}`;
  } else {
    const shape = v.order > 0 ? `${v.folios} folios (largest order ${v.order})` : `${v.folios} order-0 pages`;
    s = `${shape}: ${manyRefcounts(v)}, m=${v.mapcount}${v.pincount ? `, P=${v.pincount}` : ''}`;
  }
  s += `, map=${v.mapping ?? '∅'}`;
  for (const w of waiters) s += `, ${w.fn} waits for ${w.until}`;
  return s;
}
