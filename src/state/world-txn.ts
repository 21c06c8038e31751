/**
 * WorldTxn: the chunk's draft of the non-page world, copy-on-write by hand like the
 * page blocks. A collection (a top-level Map, one mm's page table, one file's DAX
 * xarray, the waiter list) is copied the first time the chunk writes it and written
 * in place after that; commit() freezes exactly what was copied (Maps the way immer
 * freezes them: set/delete/clear throw), so the world after each chunk is a frozen
 * value sharing every untouched collection with the one before it.
 *
 * Why not an immer draft: the model paths read the world on every Op (page tables,
 * VMAs, DAX xarrays). Through a live draft every object read becomes a proxy;
 * finalising the draft before each read instead re-copies the touched top-level Maps
 * (one entry per mm or file) on every Op. Measured on the benchmark's diff, both
 * cost more than all of this file (BENCHMARKS.md). Reads here are plain Map reads.
 */
import type { Pte, Vma, Waiter, World, XaEntry } from './world.ts';
import { freeze } from 'immer';

/** The world's collections as the chunk writes them. */
interface WorldCopy {
  vmas: ReadonlyMap<string, readonly Vma[]>;
  ptes: ReadonlyMap<string, ReadonlyMap<number, Pte>>;
  xa: ReadonlyMap<string, ReadonlyMap<number, XaEntry>>;
  rss: ReadonlyMap<string, number>;
  waiters: readonly Waiter[];
}

/** Copy-on-write access to one chunk's world; see the file comment. */
export class WorldTxn {
  private readonly base: World;
  private copy: WorldCopy | null = null;
  /** Collections this chunk created: written in place until commit freezes them. */
  private readonly fresh = new Set<object>();

  constructor(base: World) {
    this.base = base;
  }

  /** The world as it stands (the chunk's collections where it wrote, the base's elsewhere). */
  get current(): World {
    return this.copy ?? this.base;
  }

  private top(): WorldCopy {
    this.copy ??= { ...this.base };
    return this.copy;
  }

  private own<K, V>(map: ReadonlyMap<K, V>): Map<K, V> {
    if (this.fresh.has(map)) return map as Map<K, V>;
    const copy = new Map(map);
    this.fresh.add(copy);
    return copy;
  }

  /** mm → VMAs, writable. */
  vmas(): Map<string, readonly Vma[]> {
    const w = this.top();
    const m = this.own(w.vmas);
    w.vmas = m;
    return m;
  }

  /** mm → MM_FILEPAGES, writable. */
  rss(): Map<string, number> {
    const w = this.top();
    const m = this.own(w.rss);
    w.rss = m;
    return m;
  }

  /** One mm's page table, writable (created when missing). */
  ptes(mm: string): Map<number, Pte> {
    const w = this.top();
    const top = this.own(w.ptes);
    w.ptes = top;
    const table = this.own(top.get(mm) ?? new Map<number, Pte>());
    top.set(mm, table);
    return table;
  }

  /** One file's DAX xarray, writable (created when missing). */
  xa(file: string): Map<number, XaEntry> {
    const w = this.top();
    const top = this.own(w.xa);
    w.xa = top;
    const entries = this.own(top.get(file) ?? new Map<number, XaEntry>());
    top.set(file, entries);
    return entries;
  }

  /** The waiter list, writable. */
  waiters(): Waiter[] {
    const w = this.top();
    if (this.fresh.has(w.waiters)) return w.waiters as Waiter[];
    const list = [...w.waiters];
    this.fresh.add(list);
    w.waiters = list;
    return list;
  }

  /** Freezes what this chunk created and returns the world after it. */
  commit(): World {
    if (this.copy === null) return this.base;
    // immer's freeze finalises each new collection (a Map's mutators then throw).
    for (const c of this.fresh) freeze(c);
    this.fresh.clear();
    return Object.freeze(this.copy);
  }
}
