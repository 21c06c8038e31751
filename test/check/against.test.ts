/**
 * `check A --against B`: trace A's Ops replayed under trace B's profile, compared with
 * B's snap lines phase by phase. 7.2 → 6.12 predicts every snap of the legacy runs;
 * 6.12 → 7.2 has no mismatch, and the report names the Op kinds the 6.12 probe set
 * cannot observe (every unknown, if any, is explained by them).
 */
import { describe, expect, it } from 'vitest';
import { tracePath } from '../lift/fixtures.ts';
import { checkDoc } from './run.ts';

const PAIRS = [
  { a: 'k72-ext4-daxwork', b: 'k612-ext4-daxwork', observations: 304 },
  { a: 'k72dbg-ext4-daxwork', b: 'k612dbg-ext4-daxwork', observations: 304 },
  { a: 'k72-ext4-daxrace', b: 'k612-ext4-daxrace', observations: 40 },
] as const;

describe.each(PAIRS)('check $a --against $b (7.2 → 6.12)', ({ a, b, observations }) => {
  it(`matches all ${observations} snap observations under legacy@6.12`, async () => {
    const { code, doc } = await checkDoc({ trace: tracePath(`${a}.trace.txt`), against: tracePath(`${b}.trace.txt`) });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ profile: 'legacy@6.12', observations, matched: observations, unknown: 0, mismatches: [] });
  });
});

const REVERSE = [
  { a: 'k612-ext4-daxwork', b: 'k72-ext4-daxwork', observations: 366 },
  { a: 'k612dbg-ext4-daxwork', b: 'k72dbg-ext4-daxwork', observations: 366 },
  { a: 'k612-ext4-daxrace', b: 'k72-ext4-daxrace', observations: 40 },
] as const;

describe.each(REVERSE)('check $a --against $b (6.12 → 7.2)', ({ a, b, observations }) => {
  it('has no mismatch, and every unknown is explained by an Op kind 6.12 cannot observe', async () => {
    const { code, doc } = await checkDoc({ trace: tracePath(`${a}.trace.txt`), against: tracePath(`${b}.trace.txt`) });
    expect(code).toBe(0);
    expect(doc.profile).toBe('unified@7.2');
    expect(doc.mismatches).toEqual([]);
    expect(doc.observations).toBe(observations);
    expect(doc.matched + doc.unknown).toBe(observations);
    const unseen = new Set(doc.against?.unobservable.map((u) => u.kind));
    // a stock legacy trace has no event for a PTE unmap (vm_normal_page() is NULL for a devmap PTE)
    expect(unseen.has('munmap:pte')).toBe(true);
    for (const u of doc.unknowns ?? []) {
      expect(u.kinds.length).toBeGreaterThan(0);
      for (const k of u.kinds) expect(unseen.has(k)).toBe(true);
    }
  });
});

describe('the --against JSON document', () => {
  it('adds which trace was replayed, what it cannot observe, and the unknowns, after the issue\'s keys', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k612-ext4-daxrace.trace.txt'), against: tracePath('k72-ext4-daxrace.trace.txt') });
    expect(Object.keys(doc)).toEqual(['kernel', 'profile', 'kconfig', 'observations', 'matched', 'unknown', 'untraced', 'mismatches', 'findings', 'against', 'unknowns']);
    expect(doc.kernel).toBe('7.2.13+deb14-amd64');
    expect(doc.against).toMatchObject({ kernel: '6.12.117+deb13-amd64' });
    expect(doc.against?.unobservable.map((u) => u.kind)).toEqual(['munmap:pte', 'fs.evict', 'fork', 'exit']);
  });
});
