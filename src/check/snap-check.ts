/**
 * Snap lines of the checked trace itself. Each field is compared with the state at the
 * snap's position. A disagreement on a page that no recorded event since the previous
 * snap could have changed (no lifted Op names it or touched it in the replay, no
 * page_ref event and no unlifted event names it) is a change the probe set cannot see:
 * reported as `untraced` (before, after, the lines it falls between). Otherwise it is a
 * mismatch. Either way the replay continues from the recorded value.
 */
import type { Op } from '../events/op.ts';
import { PMD_ORDER } from '../kernel/constants.ts';
import { firstPagePfn } from '../lift/record-view.ts';
import { compoundHead, stateView } from '../state/accessors.ts';
import type { TraceRecord } from '../trace/record-types.ts';
import type { ModelLog } from './model-log.ts';
import type { SnapObservation } from './observations.ts';
import { readField } from './read-field.ts';
import { resyncEvents } from './resync.ts';
import { agree, type PgmapBinding } from './words.ts';
import type { Tally } from './tally.ts';

/** The pfns a record names (its page and folio arguments, a page_ref event's pfn). */
export function recordPfns(r: TraceRecord, vmemmapBase: bigint): number[] {
  if (r.kind === 'page_ref') return [r.pfn];
  if (r.kind !== 'kprobe') return [];
  const out: number[] = [];
  for (const name of Object.keys(r.fields)) {
    const pfn = firstPagePfn(r, [name], vmemmapBase);
    if (pfn !== null) out.push(pfn);
  }
  return out;
}

/** The pfns an Op names. */
function opPfns(op: Op): number[] {
  switch (op.type) {
    case 'dax.fault':
      return op.level === 'pte' ? [op.pfn] : Array.from({ length: 2 ** PMD_ORDER }, (_, i) => op.pfn + i);
    case 'gup.get': case 'gup.pin': case 'put': case 'unpin':
      return Array.from({ length: op.nr }, (_, i) => op.pfn + i);
    default:
      return [];
  }
}

/** Compares snap lines and tracks what the records between them named. */
export class SnapCheck {
  private readonly log: ModelLog;
  private readonly tally: Tally;
  private named = new Set<number>();
  private touched = new Set<number>();
  private lastLine = 0;
  private readonly previous = new Map<string, number>();
  private readonly binding: PgmapBinding;
  /**
   * A `_refcount` below the model's that references an unseen put may have dropped:
   * the reason (the callee has brought the state to the recorded value), else null.
   */
  private readonly unseenPut: (pfn: number, simulated: number, recorded: number) => string | null;

  constructor(log: ModelLog, tally: Tally, binding: PgmapBinding, unseenPut: (pfn: number, simulated: number, recorded: number) => string | null = () => null) {
    this.log = log;
    this.tally = tally;
    this.binding = binding;
    this.unseenPut = unseenPut;
  }

  /** Pfns a record named since the last snap. */
  note(pfns: readonly number[]): void {
    for (const p of pfns) this.named.add(p);
  }

  /** Pfns an Op names, and those its replay wrote. */
  noteOp(op: Op, touched: Iterable<number>): void {
    this.note(opPfns(op));
    for (const p of touched) this.touched.add(p);
  }

  /** Compares one snap line's fields with the current state. */
  compare(line: number, fields: readonly SnapObservation[]): void {
    const touched = this.touched;
    for (const f of fields) {
      const src = stateView(this.log.state());
      const sim = readField(src, f.pfn, f.field);
      if (sim === null) continue;
      if (typeof f.recorded !== 'number' || typeof sim !== 'number') {
        // a word (word 1): no event can change it unseen, and the state is not forced to it
        if (agree(f.field, f.recorded, sim, this.binding)) this.tally.match({ line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: sim, fn: f.fn });
        else this.tally.mismatch(line, f.pfn, f.name, f.recorded, sim, f.fn);
        continue;
      }
      const key = `${f.pfn}:${f.field}`;
      const before = this.previous.get(key);
      this.previous.set(key, f.recorded);
      if (sim === f.recorded) {
        this.tally.match({ line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: sim, fn: f.fn });
        continue;
      }
      const why = f.field === 'refcount' ? this.unseenPut(f.pfn, sim, f.recorded) : null;
      if (why !== null) {
        this.tally.unknown({ line, pfn: f.pfn, field: f.name, recorded: f.recorded, simulated: sim, function: f.fn, reason: why });
        continue;
      }
      const head = compoundHead(src, f.pfn);
      const seen = this.named.has(f.pfn) || this.named.has(head) || touched.has(f.pfn) || touched.has(head);
      if (!seen && before !== f.recorded) this.tally.untracedChange(f.pfn, f.name, before ?? sim, f.recorded, [this.lastLine, line], f.fn);
      else this.tally.mismatch(line, f.pfn, f.name, f.recorded, sim, f.fn);
      this.log.adjust(resyncEvents(src, f.pfn, f.field, sim, f.recorded, line, f.name));
    }
    this.named = new Set();
    this.touched = new Set();
    this.lastLine = line;
  }
}
