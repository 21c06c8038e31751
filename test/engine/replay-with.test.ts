/** The rxjs wiring, tested once: replayWith is scan over a Runner, fresh per subscription. */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { refItems, replay, replayWith } from '../../src/engine/replay.ts';
import { foldAll } from '../../src/engine/runner.ts';
import { getPage } from '../../src/state/accessors.ts';
import { fsdaxInit, mod, numbered } from '../fixtures/events.ts';

const events = numbered([fsdaxInit(1), mod(0x40200, 2), mod(0x40200, -1)]);

describe('replayWith', () => {
  it('emits the runner after every input and folds like foldAll', async () => {
    const counts = await lastValueFrom(from(refItems(events)).pipe(replayWith(), toArray()));
    expect(counts).toHaveLength(3);
    const runner = counts[2]!;
    expect(runner.count).toBe(3);
    expect(getPage(runner.state(), 0x40200)?.refcount).toBe(2);
    expect(runner.state().events).toBe(foldAll(events).state.events);
  });

  it('starts a fresh Runner for each subscription of the same pipeline', async () => {
    const items$ = from(refItems(events)).pipe(replayWith());
    const a = await lastValueFrom(items$);
    const b = await lastValueFrom(items$);
    expect(a).not.toBe(b);
    expect(b.count).toBe(3);
  });

  it('emits the seed runner for an empty input', async () => {
    const r = await lastValueFrom(from([]).pipe(replayWith()));
    expect(r.count).toBe(0);
  });

  it('replay() resolves with state, findings and counts', async () => {
    const r = await replay(refItems(numbered([fsdaxInit(0), mod(0x40010, -1)])));
    expect(r.inputs).toBe(2);
    expect(r.refEvents).toBe(2);
    expect(r.findings.map((f) => f.code)).toEqual(['put-on-freed-page']);
    expect(getPage(r.state, 0x40010)?.refcount).toBe(-1);
  });
});
