/**
 * Fold rules for the sim-only world events (VMAs, page tables, DAX xarray, RSS,
 * waiters), written as immer recipes on the chunk's world draft.
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
  switch (e.type) {
    case 'vma_add': {
      const list = (w.vmas.get(e.mm) ?? []).filter((v) => v.end <= e.start || v.start >= e.end);
      list.push({ start: e.start, end: e.end, shared: e.shared, file: e.file, pgoff: e.pgoff });
      list.sort((a, b) => a.start - b.start);
      w.vmas.set(e.mm, list);
      return;
    }
    case 'vma_remove': {
      const next: Vma[] = [];
      for (const v of w.vmas.get(e.mm) ?? []) {
        if (v.end <= e.start || v.start >= e.end) next.push(v);
        else {
          // split_vma(): keep the parts outside [start, end)
          if (v.start < e.start) next.push({ ...v, end: e.start });
          if (v.end > e.end) next.push({ ...v, start: e.end, pgoff: v.pgoff + (e.end - v.start) / 4096 });
        }
      }
      if (next.length) w.vmas.set(e.mm, next);
      else w.vmas.delete(e.mm);
      return;
    }
    case 'pt_set': {
      let table = w.ptes.get(e.mm);
      if (!table) {
        table = new Map();
        w.ptes.set(e.mm, table);
      }
      table.set(e.addr, { addr: e.addr, level: e.level, pfn: e.pfn, write: e.write, special: e.special, refcounted: e.refcounted });
      return;
    }
    case 'pt_clear':
      w.ptes.get(e.mm)?.delete(e.addr);
      return;
    case 'xa_store': {
      let xa = w.xa.get(e.file);
      if (!xa) {
        xa = new Map();
        w.xa.set(e.file, xa);
      }
      xa.set(e.pgoff, { pgoff: e.pgoff, pfn: e.pfn, order: e.order, zero: e.zero, shared: e.shared });
      return;
    }
    case 'xa_erase':
      w.xa.get(e.file)?.delete(e.pgoff);
      return;
    case 'rss':
      w.rss.set(e.mm, (w.rss.get(e.mm) ?? 0) + e.val);
      return;
    case 'wait':
      w.waiters.push({
        waiter: e.waiter, pfn: e.pfn, fn: e.fn, file: e.file, start: e.start, end: e.end,
        until: e.until, interruptible: e.interruptible, kind: e.kind, since: e.seq,
      });
      return;
    case 'wait_end': {
      const i = w.waiters.findIndex((x) => x.waiter === e.waiter);
      if (i < 0) {
        sink({ code: 'no-such-waiter', severity: 'error', seq: e.op ?? e.seq, pfn: -1, function: 'wake_up_var', message: `wait_end for Op #${e.waiter}, which is not waiting` });
        return;
      }
      w.waiters.splice(i, 1);
      return;
    }
  }
}
