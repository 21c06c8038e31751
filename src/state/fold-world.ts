/**
 * Fold rules for the sim-only world events (VMAs, page tables, DAX xarray, RSS,
 * waiters), written as recipes on the chunk's world draft (WorldTxn: each accessor
 * hands back the chunk's own, writable copy of one collection). A delete of what is
 * not there writes nothing, so the world stays the same value.
 */
import type { RefEvent, RefEventOf } from '../events/ref-event.ts';
import type { FindingSink } from './finding.ts';
import type { Txn } from './txn.ts';
import type { Vma } from './world.ts';

const WORLD_TYPES = new Set<RefEvent['type']>(['vma_add', 'vma_remove', 'pt_set', 'pt_clear', 'xa_store', 'xa_erase', 'rss', 'wait', 'wait_end']);

/** A world event. */
export type WorldEvent = RefEventOf<'vma_add' | 'vma_remove' | 'pt_set' | 'pt_clear' | 'xa_store' | 'xa_erase' | 'rss' | 'wait' | 'wait_end'>;

/** True for the events that change the world, not a page. */
export function isWorldEvent(e: RefEvent): e is WorldEvent {
  return WORLD_TYPES.has(e.type);
}

/** Applies one world event to the chunk's world draft. */
export function applyWorldEvent(txn: Txn, e: WorldEvent, sink: FindingSink): void {
  const w = txn.world;
  const now = txn.readWorld();
  switch (e.type) {
    case 'vma_add': {
      const list = (now.vmas.get(e.mm) ?? []).filter((v) => v.end <= e.start || v.start >= e.end);
      list.push(vma(e.start, e.end, e.shared, e.file, e.pgoff, e.anon === true));
      list.sort((a, b) => a.start - b.start);
      w.vmas().set(e.mm, Object.freeze(list));
      return;
    }
    case 'vma_remove': {
      const old = now.vmas.get(e.mm);
      if (!old) return;
      const next: Vma[] = [];
      for (const v of old) {
        if (v.end <= e.start || v.start >= e.end) next.push(v);
        else {
          // split_vma(): keep the parts outside [start, end)
          if (v.start < e.start) next.push(vma(v.start, e.start, v.shared, v.file, v.pgoff, v.anon === true));
          if (v.end > e.end) next.push(vma(e.end, v.end, v.shared, v.file, v.pgoff + (e.end - v.start) / 4096, v.anon === true));
        }
      }
      if (next.length) w.vmas().set(e.mm, Object.freeze(next));
      else w.vmas().delete(e.mm);
      return;
    }
    case 'pt_set':
      w.ptes(e.mm).set(e.addr, Object.freeze({ addr: e.addr, level: e.level, pfn: e.pfn, write: e.write, special: e.special, refcounted: e.refcounted }));
      return;
    case 'pt_clear':
      if (now.ptes.get(e.mm)?.has(e.addr)) w.ptes(e.mm).delete(e.addr);
      return;
    case 'xa_store':
      w.xa(e.file).set(e.pgoff, Object.freeze({ pgoff: e.pgoff, pfn: e.pfn, order: e.order, zero: e.zero, shared: e.shared }));
      return;
    case 'xa_erase':
      if (now.xa.get(e.file)?.has(e.pgoff)) w.xa(e.file).delete(e.pgoff);
      return;
    case 'rss':
      w.rss().set(e.mm, (now.rss.get(e.mm) ?? 0) + e.val);
      return;
    case 'wait':
      w.waiters().push(Object.freeze({
        waiter: e.waiter, pfn: e.pfn, fn: e.fn, file: e.file, start: e.start, end: e.end,
        until: e.until, interruptible: e.interruptible, kind: e.kind, since: e.seq,
      }));
      return;
    case 'wait_end': {
      const i = now.waiters.findIndex((x) => x.waiter === e.waiter);
      if (i < 0) {
        sink({ code: 'no-such-waiter', severity: 'error', seq: e.op ?? e.seq, pfn: -1, function: 'wake_up_var', message: `wait_end for Op #${e.waiter}, which is not waiting` });
        return;
      }
      w.waiters().splice(i, 1);
      return;
    }
  }
}

/** A frozen VMA (a literal, not a spread: frozen spread objects are slow on Node 20). */
function vma(start: number, end: number, shared: boolean, file: string | null, pgoff: number, anon: boolean): Vma {
  return Object.freeze(anon ? { start, end, shared, file, pgoff, anon } : { start, end, shared, file, pgoff });
}
