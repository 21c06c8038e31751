/**
 * Checkpoint memory stays bounded: a budget in bytes of page columns (the pages that
 * changed between two checkpoints, and a full snapshot now and then) thins them,
 * doubling the interval, however long the input; `checkpointAt` keeps only the one
 * `--at N` needs. A checkpoint's state, rebuilt from its columns, is the state the
 * fold had after its input (across thinning and keyframes), and a published state
 * never changes afterwards.
 */
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { Runner, foldAll } from '../../src/engine/runner.ts';
import { BYTES_PER_PAGE, BYTES_PER_SHAPE, CheckpointStore } from '../../src/engine/checkpoint-store.ts';
import { BLOCK_SIZE, DIR_PFNS, DIR_SIZE, LEAF_SIZE, createState, type Block, type Leaf, type SimState } from '../../src/state/sim-state.ts';
import type { PageState } from '../../src/state/page.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { allFrozen, arbStream, BASE, snapshot } from '../fixtures/streams.ts';

const INIT: RefEvent = { seq: 1, type: 'memmap_init', pfn: 0, nr: 1 << 16, pgmap: 'p', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 };

/** `n` inputs: a memmap_init, then +1 on pages spread over the first `span` pfns. */
function run(n: number, opts: ConstructorParameters<typeof Runner>[1], span = 1 << 16): Runner {
  const r = new Runner(undefined, opts);
  r.pushRef(INIT);
  for (let i = 2; i <= n; i++) r.pushRef({ seq: i, type: 'mod', pfn: (i * 7919) % span, val: 1 });
  return r;
}

/** `base` with these pages written and these blocks dropped, copied on write as the Txn does (each written leaf, its block and its dir new frozen arrays). */
function stateOf(pages: Record<number, PageState>, base: SimState = createState(), dropKeys: number[] = []): SimState {
  const tree = new Map(base.pages);
  const fresh = new Set<unknown>();
  const own = <T,>(node: readonly T[] | undefined, n: number): T[] => {
    if (node && fresh.has(node)) return node as T[];
    const copy = node ? [...node] : new Array<T>(n).fill(undefined as T);
    fresh.add(copy);
    return copy;
  };
  const dirOf = (d: number): (Block | undefined)[] => {
    const dir = own<Block | undefined>(tree.get(d), DIR_SIZE);
    tree.set(d, dir);
    return dir;
  };
  for (const [pfn, p] of Object.entries(pages).map(([k, v]) => [Number(k), v] as const)) {
    const dir = dirOf(Math.floor(pfn / DIR_PFNS));
    const b = Math.floor((pfn % DIR_PFNS) / BLOCK_SIZE);
    const block = (dir[b] = own<Leaf | undefined>(dir[b], BLOCK_SIZE / LEAF_SIZE));
    const l = Math.floor((pfn % BLOCK_SIZE) / LEAF_SIZE);
    const leaf = (block[l] = own<PageState | undefined>(block[l], LEAF_SIZE));
    leaf[pfn % LEAF_SIZE] = Object.freeze({ ...p });
  }
  for (const key of dropKeys) dirOf(Math.floor(key / DIR_SIZE))[key % DIR_SIZE] = undefined;
  for (const node of fresh) Object.freeze(node);
  return Object.freeze({ ...base, pages: tree });
}

const PAGE: PageState = { flags: 1, word1: 'pmem0', mapping: null, index: 0, refcount: 1, mapcount: -1, folioOrder: 0, entireMapcount: -1, largeMapcount: -1, pincount: 0 };

describe('CheckpointStore', () => {
  it('rebuilds each checkpoint: changed, dropped, wide and bigint pages', () => {
    const s = new CheckpointStore();
    const a = stateOf({ 5: PAGE, 600: { ...PAGE, refcount: 7, word1: 0xffffea0001000001n }, 1500: PAGE });
    // 600 changes to numbers beyond int32 and a non-integer-safe flags word; 1500's block is dropped; 5 is shared
    const b2 = stateOf({ 600: { ...PAGE, refcount: 2 ** 33, flags: 2 ** 40 + 3, index: 2 ** 45 } }, a, [2]);
    const c = stateOf({ 5: { ...PAGE, mapping: 'inode:1', mapcount: 0 } }, b2);
    s.add(0, 0, a);
    s.add(10, 12, b2);
    s.add(20, 30, c);
    expect(s.list.map((cp) => cp.inputs)).toEqual([0, 10, 20]);
    // the newest keeps its state; the older ones are rebuilt (new objects, same values, frozen)
    expect(s.list[2]!.state).toBe(c);
    for (const [cp, st] of [[s.list[0]!, a], [s.list[1]!, b2]] as const) {
      const rebuilt = cp.state;
      expect(rebuilt).not.toBe(st);
      expect(snapshot(rebuilt)).toEqual(snapshot(st));
      expect(allFrozen(rebuilt)).toBe(true);
    }
    // pages: 3 at input 0; 600 (its refcount beyond int32 kept in its shape) and 1500 dropped at 10; 5 at 20. Four shapes.
    expect(s.bytes).toBe((3 + 2 + 1) * BYTES_PER_PAGE + 4 * BYTES_PER_SHAPE);
  });

  it('thins by merging a dropped checkpoint into the next one kept, the newest included', () => {
    const s = new CheckpointStore();
    const states = [stateOf({})];
    for (let i = 1; i <= 6; i++) states.push(stateOf({ [i * 100]: { ...PAGE, refcount: i }, 5: { ...PAGE, refcount: 10 + i } }, states[i - 1]));
    states.forEach((st, i) => s.add(i, i, st));
    s.thin((cp) => cp.inputs % 4 === 0);
    expect(s.list.map((cp) => cp.inputs)).toEqual([0, 4]);
    expect(snapshot(s.list[1]!.state)).toEqual(snapshot(states[4]!));
    // 5 and 6 were thinned out: their pages carry into the next checkpoint's delta
    const next = stateOf({ 900: PAGE }, states[6]);
    s.add(8, 8, next);
    s.add(9, 9, stateOf({ 901: PAGE }, next));
    expect(snapshot(s.list[2]!.state)).toEqual(snapshot(next));
  });
});

describe('checkpoints', () => {
  it('thins to the byte budget by doubling the interval, keeping input 0 and multiples of it', () => {
    // pages written again and again (4096 of them): a thinned-out checkpoint's pages mostly
    // reappear in the next one's, so merging them saves what dropping the checkpoint held
    const budget = 256 * 1024;
    const r = run(20000, { checkpointEvery: 1000, checkpointBytes: budget }, 4096);
    expect(r.checkpointBytesHeld).toBeLessThanOrEqual(budget);
    const inputs = r.checkpoints.map((c) => c.inputs);
    expect(inputs[0]).toBe(0);
    const every = inputs[1]!;
    expect(every).toBeGreaterThan(1000);
    expect(inputs.length).toBeGreaterThan(2);
    expect(inputs.every((x, i) => x === i * every)).toBe(true);
    const unbounded = run(20000, { checkpointEvery: 1000, checkpointBytes: Number.POSITIVE_INFINITY }, 4096);
    expect(unbounded.checkpoints).toHaveLength(21);
    expect(unbounded.checkpointBytesHeld).toBeGreaterThan(budget);
  });

  it('keeps two checkpoints (0 and one) even when one alone is over the budget', () => {
    const r = run(20000, { checkpointEvery: 1000, checkpointBytes: 10 });
    expect(r.checkpoints).toHaveLength(2);
    expect(r.checkpoints[0]!.inputs).toBe(0);
  });

  it('respects maxCheckpoints whatever they cost', () => {
    const r = run(20000, { checkpointEvery: 100, maxCheckpoints: 10, checkpointBytes: Number.POSITIVE_INFINITY });
    expect(r.checkpoints.length).toBeLessThanOrEqual(10);
  });

  it('with checkpointAt keeps one checkpoint, the last at or before N', () => {
    const r = run(20000, { checkpointEvery: 1000, checkpointAt: 12345 });
    expect(r.checkpoints.map((c) => c.inputs)).toEqual([12000]);
    const none = run(500, { checkpointEvery: 1000, checkpointAt: 300 });
    expect(none.checkpoints.map((c) => c.inputs)).toEqual([0]);
  });

  // a memmap_init in the body re-registers its range: pages written there are dropped
  const arbWithReinit = fc.tuple(arbStream(150), fc.nat(), fc.boolean()).map(([events, at, reinit]) => {
    if (!reinit || events.length < 3) return events;
    const i = 1 + (at % (events.length - 1));
    const init: RefEvent = { ...(events[0] as Extract<RefEvent, { type: 'memmap_init' }>), pfn: BASE + BLOCK_SIZE, nr: BLOCK_SIZE + 7 };
    return [...events.slice(0, i), init, ...events.slice(i)].map((e, k) => ({ ...e, seq: k + 1 }));
  });

  test.prop([arbWithReinit, fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, 400, 4000, Number.POSITIVE_INFINITY), fc.constantFrom(1, 7, 4096)], { numRuns: 60, seed: 16 })(
    'each checkpoint state equals the fold of its first inputs, and a published state never changes',
    (events, every, bytes, chunkSize) => {
      const r = new Runner(undefined, { checkpointEvery: every, checkpointBytes: bytes, chunkSize });
      const published: { state: SimState; copy: unknown }[] = [];
      for (const e of events) {
        r.pushRef(e);
        const st = r.state();
        published.push({ state: st, copy: structuredClone(snapshot(st)) });
      }
      // thinning stops at two checkpoints (input 0 and one), whatever they hold
      if (r.checkpoints.length > 2) expect(r.checkpointBytesHeld).toBeLessThanOrEqual(bytes);
      for (const cp of r.checkpoints) {
        expect(cp.inputs % every).toBe(0);
        expect(snapshot(cp.state)).toEqual(snapshot(foldAll(events.slice(0, cp.inputs)).state));
      }
      for (const p of published) expect(snapshot(p.state)).toEqual(p.copy);
    },
  );
});
