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
  { a: 'k72-ext4-daxwork', b: 'k612-ext4-daxwork', profile: 'legacy@6.12', observations: 304 },
  { a: 'k72dbg-ext4-daxwork', b: 'k612dbg-ext4-daxwork', profile: 'legacy@6.12', observations: 304 },
  { a: 'k72-ext4-daxrace', b: 'k612-ext4-daxrace', profile: 'legacy@6.12', observations: 40 },
  // issue #7
  { a: 'k72-devdax-devdaxwork', b: 'k612-devdax-devdaxwork', profile: 'legacy@6.12', observations: 168 },
  { a: 'k72-ext4-daxshare', b: 'k612-ext4-daxshare', profile: 'legacy@6.12', observations: 230 },
  // issue #8: 7.3's O_DIRECT pin is a dio.grab, which 6.1 takes with FOLL_GET (1 → 2, not 1025)
  { a: 'k73-ext4-daxwork', b: 'k61-ext4-daxwork', profile: 'legacy@6.1', observations: 304 },
  { a: 'k73-ext4-daxrace', b: 'k61-ext4-daxrace', profile: 'legacy@6.1', observations: 40 },
] as const;

describe.each(PAIRS)('check $a --against $b (7.x → legacy)', ({ a, b, profile, observations }) => {
  it(`matches all ${observations} snap observations under ${profile}`, async () => {
    const { code, doc } = await checkDoc({ trace: tracePath(`${a}.trace.txt`), against: tracePath(`${b}.trace.txt`) });
    // 6.1's O_DIRECT release misses the hole punch's wakeup: an error finding, exit 1 (issue #12)
    expect(code).toBe(b === 'k61-ext4-daxrace' ? 1 : 0);
    expect(doc).toMatchObject({ profile, observations, matched: observations, unknown: 0, mismatches: [] });
  });
});

const REVERSE = [
  { a: 'k612-ext4-daxwork', b: 'k72-ext4-daxwork', profile: 'unified@7.2', observations: 366 },
  { a: 'k612dbg-ext4-daxwork', b: 'k72dbg-ext4-daxwork', profile: 'unified@7.2', observations: 366 },
  { a: 'k612-ext4-daxrace', b: 'k72-ext4-daxrace', profile: 'unified@7.2', observations: 40 },
  { a: 'k612-devdax-devdaxwork', b: 'k72-devdax-devdaxwork', profile: 'unified@7.2', observations: 168 },
  { a: 'k612-ext4-daxshare', b: 'k72-ext4-daxshare', profile: 'unified@7.2', observations: 230 },
  { a: 'k61-ext4-daxwork', b: 'k73-ext4-daxwork', profile: 'unified@7.3', observations: 366 },
  { a: 'k61-ext4-daxrace', b: 'k73-ext4-daxrace', profile: 'unified@7.3', observations: 40 },
] as const;

describe.each(REVERSE)('check $a --against $b (legacy → 7.x)', ({ a, b, profile, observations }) => {
  it('has no mismatch, and every unknown is explained by an Op kind the legacy trace cannot observe', async () => {
    const { code, doc } = await checkDoc({ trace: tracePath(`${a}.trace.txt`), against: tracePath(`${b}.trace.txt`) });
    expect(code).toBe(0);
    expect(doc.profile).toBe(profile);
    expect(doc.mismatches).toEqual([]);
    expect(doc.findings).toEqual([]);
    expect(doc.observations).toBe(observations);
    expect(doc.matched + doc.unknown).toBe(observations);
    const unseen = new Set(doc.against?.unobservable.map((u) => u.kind));
    // a stock legacy trace has no event for a PTE unmap (vm_normal_page() is NULL for a devmap PTE)
    expect(unseen.has('munmap:pte')).toBe(true);
    for (const u of doc.unknowns ?? []) {
      expect(u.kinds?.length).toBeGreaterThan(0);
      for (const k of u.kinds ?? []) expect(unseen.has(k)).toBe(true);
    }
  });
});

describe('what each direction shows', () => {
  it('6.12 → 7.2 daxshare: the 14 unknowns are the unmaps and exits a stock legacy trace has no event for', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k612-ext4-daxshare.trace.txt'), against: tracePath('k72-ext4-daxshare.trace.txt') });
    expect(doc.unknown).toBe(14);
    for (const u of doc.unknowns ?? []) expect(u.kinds).toEqual(expect.arrayContaining(['munmap:pte', 'exit']));
  });
  it('devdaxwork: the pipe drain neither trace sees is in the replayed trace\'s own snaps, and is replayed as a put', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k72-devdax-devdaxwork.trace.txt'), against: tracePath('k612-devdax-devdaxwork.trace.txt') });
    expect(doc.against?.replayed).toEqual([{ pfn: '0x140000', field: 'r_140000', before: 3, after: 2, lines: [229, 231] }]);
  });
  it('7.3 → 6.1 daxrace predicts the lost wakeup 6.1 recorded: the dio.release is folio_put_refs() there', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k73-ext4-daxrace.trace.txt'), against: tracePath('k61-ext4-daxrace.trace.txt') });
    expect(doc.findings).toEqual([expect.objectContaining({ code: 'missed-wakeup', pfn: '0x48052', function: 'folio_put_refs' })]);
  });
});

describe('the --against JSON document', () => {
  it('adds which trace was replayed, what it cannot observe, and the unknowns, after the issue\'s keys', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k612-ext4-daxrace.trace.txt'), against: tracePath('k72-ext4-daxrace.trace.txt') });
    expect(Object.keys(doc)).toEqual(['kernel', 'profile', 'kconfig', 'observations', 'matched', 'unknown', 'untraced', 'mismatches', 'findings', 'against', 'unknowns']);
    expect(doc.kernel).toBe('7.2.13+deb14-amd64');
    expect(doc.against).toMatchObject({ kernel: '6.12.117+deb13-amd64' });
    // the daxrace probe set has no copy_page_range (fork) or do_wp_page (cow) probe
    expect(doc.against?.unobservable.map((u) => u.kind)).toEqual(['munmap:pte', 'fs.evict', 'fork', 'exit', 'cow']);
    expect(doc.against?.replayed).toEqual([]);
  });
});
