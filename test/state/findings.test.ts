/**
 * Kernel WARN conditions are values: a refcount underflow and a put on a freed page
 * become findings, and the fold goes on (no exception).
 *
 *   pfn 0x40010: 0 ─mod+1→ 1 ─put→ 0 ─put→ −1   (use after free: put-on-freed-page)
 *   pfn 0x40011: 0 ─mod+1→ 1 ─sub 2→ −1          (refcount-underflow)
 */
import { describe, expect, it } from 'vitest';
import { foldAll } from '../../src/engine/runner.ts';
import { getPage } from '../../src/state/accessors.ts';
import { fsdaxInit, mod, modAndTest, numbered } from '../fixtures/events.ts';

describe('findings, not exceptions', () => {
  it('reports a put on a freed page and keeps folding', () => {
    const events = numbered([fsdaxInit(0), mod(0x40010, 1), modAndTest(0x40010, -1, 1), modAndTest(0x40010, -1, 0), mod(0x40010, 1)]);
    let result: ReturnType<typeof foldAll> | undefined;
    expect(() => (result = foldAll(events))).not.toThrow();
    expect(result!.findings).toEqual([
      { code: 'put-on-freed-page', severity: 'error', seq: 4, pfn: 0x40010, function: 'put_page_testzero', message: 'put of 1 on pfn 0x40010, whose refcount was already 0 (freed)' },
    ]);
    expect(getPage(result!.state, 0x40010)?.refcount).toBe(0);
    expect(result!.state.events).toBe(5);
  });

  it('reports a refcount underflow', () => {
    const { state, findings } = foldAll(numbered([fsdaxInit(0), mod(0x40011, 1), mod(0x40011, -2)]));
    expect(findings).toEqual([
      { code: 'refcount-underflow', severity: 'error', seq: 3, pfn: 0x40011, function: 'put_page_testzero', message: 'refcount of pfn 0x40011 fell from 1 to -1' },
    ]);
    expect(getPage(state, 0x40011)?.refcount).toBe(-1);
  });

  it('reports a page_ref event on a pfn no pgmap covers', () => {
    const { findings } = foldAll(numbered([mod(0x999, 1)]));
    expect(findings).toEqual([
      { code: 'no-struct-page', severity: 'error', seq: 1, pfn: 0x999, function: 'pfn_to_page', message: 'mod on pfn 0x999, which no registered pgmap covers' },
    ]);
  });
});
