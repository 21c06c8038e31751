/**
 * Checkpoint memory stays bounded: a budget in page versions (what a checkpoint holds
 * that the one before it does not share) thins them, doubling the interval, however
 * long the input; `checkpointAt` keeps only the one `--at N` needs. stateAt stays
 * exact across thinning.
 */
import { describe, expect, it } from 'vitest';
import { Runner, unsharedCost } from '../../src/engine/runner.ts';
import { createState } from '../../src/state/sim-state.ts';
import type { RefEvent } from '../../src/events/ref-event.ts';

const INIT: RefEvent = { seq: 1, type: 'memmap_init', pfn: 0, nr: 1 << 16, pgmap: 'p', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 };

function run(n: number, opts: ConstructorParameters<typeof Runner>[1]): Runner {
  const r = new Runner(undefined, opts);
  r.pushRef(INIT);
  for (let i = 2; i <= n; i++) r.pushRef({ seq: i, type: 'mod', pfn: (i * 7919) % (1 << 16), val: 1 });
  return r;
}

describe('checkpoints', () => {
  it('counts what a state holds that an earlier one does not share', () => {
    const a = run(100, { checkpointEvery: 0 }).state();
    expect(unsharedCost(undefined, createState())).toBe(0);
    expect(unsharedCost(undefined, a)).toBe(99 + 40 * a.blocks.size);
    expect(unsharedCost(a, a)).toBe(0);
  });

  it('thins to the budget by doubling the interval, keeping input 0 and multiples of it', () => {
    const r = run(20000, { checkpointEvery: 1000, checkpointBudget: 60000 });
    expect(r.checkpointCost).toBeLessThanOrEqual(60000);
    const inputs = r.checkpoints.map((c) => c.inputs);
    expect(inputs[0]).toBe(0);
    const every = inputs[1]!;
    expect(every).toBeGreaterThan(1000);
    expect(inputs.every((x, i) => x === i * every)).toBe(true);
    const unbounded = run(20000, { checkpointEvery: 1000, checkpointBudget: Number.POSITIVE_INFINITY });
    expect(unbounded.checkpoints).toHaveLength(21);
  });

  it('keeps two checkpoints (0 and one) even when one alone is over the budget', () => {
    const r = run(20000, { checkpointEvery: 1000, checkpointBudget: 10 });
    expect(r.checkpoints).toHaveLength(2);
    expect(r.checkpoints[0]!.inputs).toBe(0);
  });

  it('respects maxCheckpoints whatever they cost', () => {
    const r = run(20000, { checkpointEvery: 100, maxCheckpoints: 10, checkpointBudget: Number.POSITIVE_INFINITY });
    expect(r.checkpoints.length).toBeLessThanOrEqual(10);
  });

  it('with checkpointAt keeps one checkpoint, the last at or before N', () => {
    const r = run(20000, { checkpointEvery: 1000, checkpointAt: 12345 });
    expect(r.checkpoints.map((c) => c.inputs)).toEqual([12000]);
    const none = run(500, { checkpointEvery: 1000, checkpointAt: 300 });
    expect(none.checkpoints.map((c) => c.inputs)).toEqual([0]);
  });
});
