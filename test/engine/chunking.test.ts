/**
 * Chunked replay (one immer-style commit per chunk of RefEvents) is the same as
 * event-by-event `step` replay, and every committed state is frozen and shares the
 * blocks its chunk did not touch with the state before it.
 */
import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { foldAll, Runner } from '../../src/engine/runner.ts';
import { step } from '../../src/engine/step.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';
import { createState, BLOCK_SHIFT, type SimState } from '../../src/state/sim-state.ts';
import type { Finding } from '../../src/state/finding.ts';
import { arbStream, snapshot } from '../fixtures/streams.ts';
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
      expect(Object.isFrozen(next)).toBe(true);
      for (const block of next.blocks.values()) {
        expect(Object.isFrozen(block)).toBe(true);
        for (const p of block) if (p) expect(Object.isFrozen(p)).toBe(true);
      }
      const memmap = chunk.some((e) => e.type === 'memmap_init' || e.type === 'memmap_remove' || e.type === 'prep_compound' || e.type === 'split');
      if (!memmap) {
        const hit = new Set(chunk.flatMap(touched));
        for (const [key, block] of prev.blocks) if (!hit.has(key)) expect(next.blocks.get(key)).toBe(block);
      }
      if (!chunk.some((e) => ['rss', 'pt_set', 'xa_store', 'vma_add', 'wait', 'wait_end'].includes(e.type))) expect(next.world).toBe(prev.world);
      prev = next;
    }
  });

  it('copies only the written block: the other three stay the same objects', () => {
    const base = foldAll(numbered([fsdaxInit(1), mod(0x40000, 1), mod(0x40200, 1), mod(0x40400, 1), mod(0x40600, 1)])).state;
    expect(base.blocks.size).toBe(4);
    const [next] = step(base, { seq: 6, type: 'mod', pfn: 0x40201, val: 1 });
    expect(next.blocks.get(0x40000 >> 9)).toBe(base.blocks.get(0x40000 >> 9));
    expect(next.blocks.get(0x40400 >> 9)).toBe(base.blocks.get(0x40400 >> 9));
    expect(next.blocks.get(0x40600 >> 9)).toBe(base.blocks.get(0x40600 >> 9));
    expect(next.blocks.get(0x40200 >> 9)).not.toBe(base.blocks.get(0x40200 >> 9));
    expect(next.blocks.get(0x40200 >> 9)?.[0]).toBe(base.blocks.get(0x40200 >> 9)?.[0]);
    expect(next.blocks.get(0x40200 >> 9)?.[1]?.refcount).toBe(2);
    expect(base.blocks.get(0x40200 >> 9)?.[1]).toBeUndefined();
  });
});
