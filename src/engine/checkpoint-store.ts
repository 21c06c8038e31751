/**
 * CheckpointStore: the Runner's checkpoints, kept compact. The newest checkpoint holds
 * its SimState (it shares almost everything with the state being folded); every older
 * one holds only the pages that changed since the checkpoint before it, as typed-array
 * columns outside the JS heap (24 bytes a page: pfn, index, refcount and the id of its
 * shape, the other words, which most pages share), and every so often a full
 * snapshot (a keyframe) in the same columns. A checkpoint's `state` is rebuilt on demand from
 * its keyframe and the deltas after it (newest first, so each page is built once).
 *
 * Why not keep the SimStates: a checkpoint state pins its own copy of every 512-slot
 * block the inputs since the last one touched (4 KiB each) and a 104-byte object per
 * changed page, and V8 lets the old generation grow to several times such a live set
 * (issue 16: 20 checkpoints of a 10 M-event replay peaked at 608 MB). Columns outside
 * the heap cost what they hold, so `bytes` is the checkpoints' memory bound.
 */
import { BLOCK_SIZE, TreeBuilder, diffTrees, forEachPage, type SimState } from '../state/sim-state.ts';
import type { PageState, Word1 } from '../state/page.ts';

/**
 * What a page holds besides its pfn, `index` and `_refcount`: the flags, words and
 * counts that most pages share (a few dozen distinct shapes in a trace replay), so a
 * delta stores a shape id instead of them. `rc` is the refcount when it does not fit
 * the int32 column (else null).
 */
interface Shape {
  readonly flags: number;
  readonly word1: Word1;
  readonly mapping: string | null;
  readonly mapcount: number;
  readonly folioOrder: number;
  readonly entireMapcount: number;
  readonly largeMapcount: number;
  readonly pincount: number;
  readonly rc: number | null;
}

/** Bytes per page in a delta: pfn and index as float64 (any JS number), refcount and shape id as int32. */
export const BYTES_PER_PAGE = 2 * 8 + 2 * 4;
/** Bytes a shape is counted for (its object and its key in the shape table). */
export const BYTES_PER_SHAPE = 256;
/** Shape id of a page that is no longer written (dropped: it reads as its range's initial value). */
const GONE = -1;

/** Pages of one checkpoint: every written page (full) or those changed since the previous one. */
class Delta {
  n = 0;
  pfn: Float64Array;
  index: Float64Array;
  /** Per page: refcount, shape id. */
  ints: Int32Array;
  readonly full: boolean;

  constructor(full: boolean, capacity: number) {
    this.full = full;
    const c = Math.max(1, capacity);
    this.pfn = new Float64Array(c);
    this.index = new Float64Array(c);
    this.ints = new Int32Array(2 * c);
  }

  get bytes(): number {
    return this.n * BYTES_PER_PAGE;
  }

  private grow(): void {
    const c = this.pfn.length * 2;
    const pfn = new Float64Array(c);
    pfn.set(this.pfn);
    const index = new Float64Array(c);
    index.set(this.index);
    const ints = new Int32Array(2 * c);
    ints.set(this.ints);
    this.pfn = pfn;
    this.index = index;
    this.ints = ints;
  }

  /** Appends one page (undefined: no longer written). */
  push(pfn: number, page: PageState | undefined, shapes: Shapes): void {
    if (this.n === this.pfn.length) this.grow();
    const e = this.n++;
    this.pfn[e] = pfn;
    if (!page) {
      this.ints[2 * e + 1] = GONE;
      return;
    }
    this.index[e] = page.index;
    const rc = page.refcount;
    this.ints[2 * e] = rc;
    this.ints[2 * e + 1] = shapes.id(page, (rc | 0) === rc ? null : rc);
  }

  /** Copies entry e of another delta. */
  pushFrom(d: Delta, e: number): void {
    if (this.n === this.pfn.length) this.grow();
    const t = this.n++;
    this.pfn[t] = d.pfn[e]!;
    this.index[t] = d.index[e]!;
    this.ints[2 * t] = d.ints[2 * e]!;
    this.ints[2 * t + 1] = d.ints[2 * e + 1]!;
  }

  /** Drops the unused capacity (a delta is written once, then kept). */
  trim(): this {
    if (this.pfn.length > this.n) {
      this.pfn = this.pfn.slice(0, this.n);
      this.index = this.index.slice(0, this.n);
      this.ints = this.ints.slice(0, 2 * this.n);
    }
    return this;
  }

  /**
   * The page of entry e (frozen), or undefined for a dropped page. Pages equal in every
   * word are one object (`same`, per rebuild): a page value never knows its pfn, and a
   * Txn copies a frozen page before writing it, so sharing is invisible, and a rebuilt
   * state of 65536 pages makes a few hundred objects instead of 65536.
   */
  page(e: number, shapes: Shapes, same: Map<number, PageState>): PageState | undefined {
    const id = this.ints[2 * e + 1]!;
    if (id === GONE) return undefined;
    const s = shapes.shape(id);
    const index = this.index[e]!;
    const refcount = s.rc ?? this.ints[2 * e]!;
    // the common case (index 0, a small count) keyed by a number; the rest built each time
    const key = index === 0 && refcount >= 0 && refcount < 2 ** 21 ? id * 2 ** 21 + refcount : -1;
    if (key >= 0) {
      const hit = same.get(key);
      if (hit) return hit;
    }
    // one literal in copyPage()'s field order: the pages share the fold's hidden class
    const page = Object.freeze({
      flags: s.flags, word1: s.word1, mapping: s.mapping, index, refcount, mapcount: s.mapcount,
      folioOrder: s.folioOrder, entireMapcount: s.entireMapcount, largeMapcount: s.largeMapcount, pincount: s.pincount,
    });
    if (key >= 0) same.set(key, page);
    return page;
  }
}

/** The shapes of a store, each kept once (see {@link Shape}). */
class Shapes {
  /** Shape ids by a hash of their fields (collisions compared field by field). */
  private readonly byHash = new Map<number, number[]>();
  private readonly list: Shape[] = [];
  /** Small ids of word1 and mapping values (strings, bigints, null), for the hash. */
  private readonly valueIds = new Map<Word1 | null, number>();
  /** The last shape found: neighbouring pages mostly share one. */
  private last = -1;

  get count(): number {
    return this.list.length;
  }

  private valueId(v: Word1 | null): number {
    let i = this.valueIds.get(v);
    if (i === undefined) this.valueIds.set(v, (i = this.valueIds.size));
    return i;
  }

  private static same(s: Shape, p: PageState, rc: number | null): boolean {
    return s.flags === p.flags && s.word1 === p.word1 && s.mapping === p.mapping && s.mapcount === p.mapcount && s.folioOrder === p.folioOrder &&
      s.entireMapcount === p.entireMapcount && s.largeMapcount === p.largeMapcount && s.pincount === p.pincount && s.rc === rc;
  }

  id(p: PageState, rc: number | null): number {
    if (this.last >= 0 && Shapes.same(this.list[this.last]!, p, rc)) return this.last;
    let h = Math.imul(p.flags | 0, 0x9e3779b1) ^ this.valueId(p.word1);
    h = Math.imul(h ^ this.valueId(p.mapping), 0x85ebca6b) ^ p.mapcount;
    h = Math.imul(h ^ p.folioOrder ^ (p.entireMapcount << 8), 0xc2b2ae35) ^ p.largeMapcount;
    h = Math.imul(h ^ p.pincount, 0x27d4eb2f) ^ (rc === null ? 0 : rc % 0x7fffffff | 0);
    let bucket = this.byHash.get(h);
    if (bucket) {
      for (const i of bucket) if (Shapes.same(this.list[i]!, p, rc)) return (this.last = i);
    } else this.byHash.set(h, (bucket = []));
    const i = this.list.length;
    this.list.push({ flags: p.flags, word1: p.word1, mapping: p.mapping, mapcount: p.mapcount, folioOrder: p.folioOrder, entireMapcount: p.entireMapcount, largeMapcount: p.largeMapcount, pincount: p.pincount, rc });
    bucket.push(i);
    return (this.last = i);
  }

  shape(id: number): Shape {
    return this.list[id]!;
  }
}

/** The pages `next` holds differently from `prev` (a page no longer written as undefined). */
function diff(prev: SimState, next: SimState, ids: Shapes): Delta {
  const d = new Delta(false, 1024);
  diffTrees(prev.pages, next.pages, (pfn, p) => d.push(pfn, p, ids));
  return d.trim();
}

/** Every written page of a state. */
function snapshot(state: SimState, ids: Shapes): Delta {
  const d = new Delta(true, 1024);
  forEachPage(state.pages, (pfn, p) => d.push(pfn, p, ids));
  return d.trim();
}

/** `a` then `b` as one delta: b's pages, and a's where b has none (a full a gives a full result). */
function merge(a: Delta, b: Delta): Delta {
  if (b.full) return b;
  const seen = new Set<number>();
  for (let e = 0; e < b.n; e++) seen.add(b.pfn[e]!);
  let extra = 0;
  for (let e = 0; e < a.n; e++) if (!seen.has(a.pfn[e]!)) extra++;
  // sized exactly: a merge runs while both inputs are still held, so no slack and no trimming copy
  const m = new Delta(a.full, b.n + extra);
  for (let e = 0; e < b.n; e++) m.pushFrom(b, e);
  for (let e = 0; e < a.n; e++) if (!seen.has(a.pfn[e]!)) m.pushFrom(a, e);
  return m.trim();
}

/** What a checkpoint's state keeps besides its pages (shared, immutable values). */
type Frame = Pick<SimState, 'config' | 'ranges' | 'world' | 'events'>;

/** A checkpoint of the store: see the file comment. */
export class StoredCheckpoint {
  /** The state itself while this is the newest checkpoint (or the only one). */
  live: SimState | undefined;
  /** Pages since the previous checkpoint (full: all of them); null while only `live` is kept. */
  delta: Delta | null = null;
  readonly frame: Frame;
  readonly inputs: number;
  readonly refEvents: number;
  /** Opaque position of the next input in its source (a byte offset for files). */
  readonly position?: number;
  private readonly store: CheckpointStore;

  constructor(store: CheckpointStore, inputs: number, refEvents: number, state: SimState, position: number | undefined) {
    this.store = store;
    this.inputs = inputs;
    this.refEvents = refEvents;
    if (position !== undefined) this.position = position;
    this.live = state;
    this.frame = { config: state.config, ranges: state.ranges, world: state.world, events: state.events };
  }

  /** The state after `inputs` inputs (rebuilt from the columns unless this is the newest checkpoint). */
  get state(): SimState {
    return this.live ?? this.store.rebuild(this);
  }
}

/** Options of a CheckpointStore. */
export interface CheckpointStoreOptions {
  /**
   * A delta is written as a keyframe (a full snapshot) once the deltas since the last
   * keyframe hold this many times its pages: rebuilding a state then reads at most
   * (1 + this) snapshots' worth of entries. Default 2.
   */
  readonly keyframeEvery?: number;
}

/** The Runner's checkpoints; see the file comment. */
export class CheckpointStore {
  readonly list: StoredCheckpoint[] = [];
  private readonly ids = new Shapes();
  private readonly keyframeEvery: number;
  /** The state of the last checkpoint added (kept or thinned out) and the pages since the last kept one up to it. */
  private last: SimState | undefined;
  private carry: Delta | null = null;
  /** Entries of the deltas since the last keyframe, and that keyframe's size. */
  private sinceKeyframe = 0;
  private keyframeSize = 0;

  constructor(opts: CheckpointStoreOptions = {}) {
    this.keyframeEvery = opts.keyframeEvery ?? 2;
  }

  /** Adds the newest checkpoint; the one before it keeps only its delta. */
  add(inputs: number, refEvents: number, state: SimState, position?: number): StoredCheckpoint {
    const cp = new StoredCheckpoint(this, inputs, refEvents, state, position);
    let d: Delta;
    if (!this.last) d = snapshot(state, this.ids);
    else {
      d = diff(this.last, state, this.ids);
      if (this.carry) d = merge(this.carry, d);
      if (this.sinceKeyframe + d.n >= this.keyframeEvery * Math.max(this.keyframeSize, 4096)) d = snapshot(state, this.ids);
    }
    this.carry = null;
    cp.delta = d;
    this.count(d);
    const prev = this.list[this.list.length - 1];
    if (prev) prev.live = undefined;
    this.list.push(cp);
    this.last = state;
    return cp;
  }

  private count(d: Delta): void {
    if (d.full) {
      this.keyframeSize = d.n;
      this.sinceKeyframe = 0;
    } else this.sinceKeyframe += d.n;
  }

  /** Keeps only the checkpoints `keep` accepts (the first is always kept), merging each dropped delta into the next kept one. */
  thin(keep: (cp: StoredCheckpoint) => boolean): void {
    const kept: StoredCheckpoint[] = [];
    let pending: Delta | null = null;
    for (const [i, cp] of this.list.entries()) {
      const d: Delta = pending ? merge(pending, cp.delta!) : cp.delta!;
      // let go of the inputs of a merge as it goes (the columns of a thin are freed while it runs)
      cp.delta = null;
      if (i === 0 || keep(cp)) {
        cp.delta = d;
        pending = null;
        kept.push(cp);
      } else {
        pending = d;
      }
    }
    // the newest was thinned out: its pages carry over into the next checkpoint's delta
    this.carry = pending;
    const newest = kept[kept.length - 1]!;
    if (newest !== this.list[this.list.length - 1]) newest.live = undefined;
    this.list.length = 0;
    this.list.push(...kept);
    // recount from the last keyframe
    this.sinceKeyframe = 0;
    for (const cp of kept) this.count(cp.delta!);
    if (this.carry) this.sinceKeyframe += this.carry.n;
  }

  /** Forgets every checkpoint and keeps `state` alone, as its SimState (`replay --at N`). */
  only(inputs: number, refEvents: number, state: SimState, position?: number): void {
    this.list.length = 0;
    this.last = undefined;
    this.carry = null;
    this.sinceKeyframe = 0;
    this.keyframeSize = 0;
    this.list.push(new StoredCheckpoint(this, inputs, refEvents, state, position));
  }

  /**
   * Bytes the checkpoints hold: their page columns and the shapes (the newest's own
   * SimState is the state being folded, not counted). Shapes are never forgotten.
   */
  get bytes(): number {
    let sum = (this.carry?.bytes ?? 0) + this.ids.count * BYTES_PER_SHAPE;
    for (const cp of this.list) sum += cp.delta?.bytes ?? 0;
    return sum;
  }

  /** The state of a checkpoint of this store, from its keyframe and the deltas after it. */
  rebuild(cp: StoredCheckpoint): SimState {
    const at = this.list.indexOf(cp);
    if (at < 0) throw new Error(`checkpoint at input ${cp.inputs} was thinned out of its store`);
    const tree = new TreeBuilder();
    const same = new Map<number, PageState>();
    // per block, the slots already decided by a newer delta (written or dropped)
    const decided = new Map<number, Uint8Array>();
    let lastKey = Number.NaN;
    let lastDecided: Uint8Array | undefined;
    for (let k = at; k >= 0; k--) {
      const d = this.list[k]!.delta!;
      for (let e = 0; e < d.n; e++) {
        const pfn = d.pfn[e]!;
        const key = Math.floor(pfn / BLOCK_SIZE);
        const slot = pfn - key * BLOCK_SIZE;
        if (key !== lastKey) {
          lastKey = key;
          lastDecided = decided.get(key);
          if (!lastDecided) decided.set(key, (lastDecided = new Uint8Array(BLOCK_SIZE)));
        }
        if (lastDecided![slot]) continue;
        lastDecided![slot] = 1;
        const page = d.page(e, this.ids, same);
        if (!page) continue;
        tree.set(pfn, page);
      }
      if (d.full) break;
    }
    return Object.freeze({ ...cp.frame, pages: tree.finish() });
  }
}
