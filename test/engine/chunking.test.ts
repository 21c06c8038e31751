/**
 * Chunked replay (one immer-style commit per chunk of RefEvents) is the same as
 * event-by-event `step` replay, and every committed state is frozen and shares the
 * blocks and leaves its chunk did not touch with the state before it, also when the
 * writes are spread thinly over millions of pfns (issue 16 item 5).
 */
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { foldAll, Runner } from '../../src/engine/runner.ts';
import { step } from '../../src/engine/step.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { createState, blockOf, blockPage, blocksOf, BLOCK_SHIFT, BLOCK_SIZE, DIR_PFNS, LEAF_SHIFT, LEAF_SIZE, type SimState } from '../../src/state/sim-state.ts';
import type { Finding } from '../../src/state/finding.ts';
import { allFrozen, arbStream, snapshot } from '../fixtures/streams.ts';
import { fsdaxInit, mod, numbered } from '../fixtures/events.ts';

function stepwise(events: readonly RefEvent[]): { state: SimState; findings: Finding[] } {
  let state = createState();
  const findings: Finding[] = [];
  for (const e of events) {
    const [next, f] = step(state, e);
    state = next;
    findings.push(...f);
  }
  return { state, findings };
}

/** Block keys an event may write (page_ref on pfn; page[1] metadata; PTE rmap pages). */
function touched(e: RefEvent): number[] {
  if (!('pfn' in e) || typeof e.pfn !== 'number') return [];
  const keys = [e.pfn >> BLOCK_SHIFT, (e.pfn + 1) >> BLOCK_SHIFT];
  if ('page' in e) for (let i = 0; i < e.nr; i++) keys.push((e.page + i) >> BLOCK_SHIFT);
  return keys;
}

describe('chunked replay', () => {
  test.prop([arbStream(80), fc.constantFrom(1, 7, 4096)], { numRuns: 150 })('equals event-by-event step replay (chunk size %s)', (events, chunkSize) => {
    const chunked = foldAll(events, { chunkSize });
    const stepped = stepwise(events);
    expect(snapshot(chunked.state)).toEqual(snapshot(stepped.state));
    expect(chunked.findings).toEqual(stepped.findings);
  });

  test.prop([arbStream(80)], { numRuns: 100 })('freezes each chunk and shares the blocks it did not touch', (events) => {
    const runner = new Runner(undefined, { chunkSize: 7, checkpointEvery: 0 });
    let prev = runner.state();
    for (let i = 0; i < events.length; i += 7) {
      const chunk = events.slice(i, i + 7);
      for (const e of chunk) runner.pushRef(e);
      const next = runner.state();
      expect(allFrozen(next)).toBe(true);
      const memmap = chunk.some((e) => e.type === 'memmap_init' || e.type === 'memmap_remove' || e.type === 'prep_compound' || e.type === 'split');
      if (!memmap) {
        const hit = new Set(chunk.flatMap(touched));
        for (const [key, block] of blocksOf(prev.pages)) if (!hit.has(key)) expect(blockOf(next.pages, key)).toBe(block);
      }
      if (!chunk.some((e) => ['rss', 'pt_set', 'xa_store', 'vma_add', 'wait', 'wait_end'].includes(e.type))) expect(next.world).toBe(prev.world);
      prev = next;
    }
  });

  it('copies only the written leaf and its block: the other blocks and leaves stay the same objects', () => {
    const base = foldAll(numbered([fsdaxInit(1), mod(0x40000, 1), mod(0x40200, 1), mod(0x40240, 1), mod(0x40400, 1), mod(0x40600, 1)])).state;
    expect([...blocksOf(base.pages)].map(([k]) => k)).toEqual([0x40000 >> 9, 0x40200 >> 9, 0x40400 >> 9, 0x40600 >> 9]);
    const [next] = step(base, { seq: 7, type: 'mod', pfn: 0x40201, val: 1 });
    expect(blockOf(next.pages, 0x40000 >> 9)).toBe(blockOf(base.pages, 0x40000 >> 9));
    expect(blockOf(next.pages, 0x40400 >> 9)).toBe(blockOf(base.pages, 0x40400 >> 9));
    expect(blockOf(next.pages, 0x40600 >> 9)).toBe(blockOf(base.pages, 0x40600 >> 9));
    const was = blockOf(base.pages, 0x40200 >> 9)!;
    const now = blockOf(next.pages, 0x40200 >> 9)!;
    expect(now).not.toBe(was);
    // leaf 0 (0x40200–0x4021f) holds the write; leaf 2 (0x40240…) does not
    expect(now[0]).not.toBe(was[0]);
    expect(now[0x40 / LEAF_SIZE]).toBe(was[0x40 / LEAF_SIZE]);
    expect(now).toHaveLength(BLOCK_SIZE / LEAF_SIZE);
    expect(now[0]).toHaveLength(LEAF_SIZE);
    expect(blockPage(now, 0)).toBe(blockPage(was, 0));
    expect(blockPage(now, 1)?.refcount).toBe(2);
    expect(blockPage(was, 1)).toBeUndefined();
  });
});

/** Two fsdax pgmaps astride a dir boundary, their shared edge inside a leaf: the sparse streams' pfns. */
const SP_BASE = 0x40000;
const SP_A = 2 * DIR_PFNS + 45;
const SP_B = 1000;
const SP_END = SP_BASE + SP_A + SP_B;
const initA: RefEvent = { seq: 0, type: 'memmap_init', pfn: SP_BASE, nr: SP_A, pgmap: 'a', pgmapType: 'fsdax', refcount: 1, vmemmapShift: 0 };
const initB: RefEvent = { seq: 0, type: 'memmap_init', pfn: SP_BASE + SP_A, nr: SP_B, pgmap: 'b', pgmapType: 'fsdax', refcount: 1, vmemmapShift: 0 };
// a pfn at or beside a leaf, block or dir boundary, or anywhere in the two ranges
const sparsePfn = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: Math.floor((SP_END - SP_BASE) / LEAF_SIZE) }), fc.constantFrom(-1, 0, 1, LEAF_SIZE - 1)).map(([k, d]) => SP_BASE + k * LEAF_SIZE + d),
  fc.tuple(fc.constantFrom(0, DIR_PFNS, 2 * DIR_PFNS, SP_A - BLOCK_SIZE, SP_A), fc.integer({ min: -2, max: 2 })).map(([o, d]) => SP_BASE + o + d),
  fc.integer({ min: SP_BASE, max: SP_END - 1 }),
);
const arbSparse: fc.Arbitrary<RefEvent[]> = fc
  .array(
    fc.oneof(
      { weight: 12, arbitrary: fc.tuple(sparsePfn, fc.integer({ min: -2, max: 3 })).map(([pfn, val]): RefEvent => ({ seq: 0, type: 'mod', pfn, val })) },
      { weight: 3, arbitrary: fc.tuple(sparsePfn, fc.integer({ min: 0, max: 4 })).map(([pfn, val]): RefEvent => ({ seq: 0, type: 'set', pfn, val })) },
      { weight: 1, arbitrary: fc.constant<RefEvent>({ seq: 0, type: 'memmap_remove', pgmap: 'b' }) },
      { weight: 1, arbitrary: fc.constant(initB) },
    ),
    { maxLength: 120 },
  )
  .map((body) => [initA, initB, ...body].map((e, i) => ({ ...e, seq: i + 1 })));

describe('chunked replay over sparse pfns (leaves of 32 in blocks of 512 in dirs of 2^18)', () => {
  test.prop([arbSparse, fc.constantFrom(1, 5, 4096)], { numRuns: 120, seed: 1605 })('equals event-by-event replay', (events, chunkSize) => {
    const chunked = foldAll(events, { chunkSize });
    const stepped = stepwise(events);
    expect(snapshot(chunked.state)).toEqual(snapshot(stepped.state));
    expect(chunked.findings).toEqual(stepped.findings);
  });

  test.prop([arbSparse, fc.integer({ min: 1, max: 9 })], { numRuns: 120, seed: 1605 })(
    'publishes frozen states that never change, sharing every leaf a chunk did not write',
    (events, size) => {
      const runner = new Runner(undefined, { chunkSize: size, checkpointEvery: 0 });
      const published: { state: SimState; copy: unknown }[] = [];
      let prev = runner.state();
      for (let i = 0; i < events.length; i += size) {
        const chunk = events.slice(i, i + size);
        for (const e of chunk) runner.pushRef(e);
        const next = runner.state();
        expect(allFrozen(next)).toBe(true);
        published.push({ state: next, copy: structuredClone(snapshot(next)) });
        if (!chunk.some((e) => e.type === 'memmap_init' || e.type === 'memmap_remove')) {
          const hitLeaves = new Set(chunk.map((e) => ('pfn' in e ? (e.pfn) >> LEAF_SHIFT : -1)));
          for (const [key, block] of blocksOf(prev.pages)) {
            const after = blockOf(next.pages, key)!;
            block.forEach((leaf, l) => {
              if (leaf && !hitLeaves.has((key << (BLOCK_SHIFT - LEAF_SHIFT)) + l)) expect(after[l]).toBe(leaf);
            });
          }
        }
        prev = next;
      }
      for (const p of published) expect(snapshot(p.state)).toEqual(p.copy);
    },
  );
});
