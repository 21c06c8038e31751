/**
 * seed-1g: one order-18 device-dax folio at pfn 0x140000 spanning eight 128 MiB
 * sections. The values per model are what the recorded kernels showed
 * (events/traces: k612-devdax-devdaxwork = legacy 6.12, k72-devdax-devdaxwork = unified 7.2):
 * the last block compares every step with the snap line the recording took after the
 * same step.
 */
import { describe, expect, it } from 'vitest';
import { folio, loadOps, rss, runSteps } from '../fixtures/corpus.ts';
import { compoundHead, getDevPagemap, getPage, pagePgmap, rawWord1, source } from '../../src/state/accessors.ts';
import { pfnToSection } from '../../src/kernel/constants.ts';
import { parseTraceLinesSync, splitLines } from '../../src/trace/read-trace.ts';
import type { TraceRecord } from '../../src/trace/record-types.ts';
import { snapsByPhase } from '../../src/check/against.ts';
import { readField } from '../../src/check/read-field.ts';
import { PgmapBinding, agree } from '../../src/check/words.ts';
import { resolveProfile } from '../../src/models/index.ts';
import { stateView } from '../../src/state/accessors.ts';
import { traceText } from '../lift/fixtures.ts';

const HEAD = 0x140000;
const TAIL_S1 = 0x144000; // 1st section of the folio
const TAIL_S8 = 0x17c000; // 8th section of the folio
const ops = loadOps('seed-1g');

describe('seed-1g: the folio spans eight sections', () => {
  it('the tails are in the 1st and 8th 128 MiB section of the folio', () => {
    expect(pfnToSection(TAIL_S1) - pfnToSection(HEAD)).toBe(0);
    expect(pfnToSection(TAIL_S8) - pfnToSection(HEAD)).toBe(7);
  });
});

describe.each([
  ['legacy@6.12', 0xffffea0005000001n],
  ['unified@7.2', 0xffffffffff000001n],
  ['unified@6.16', 0xffffea0005000001n],
] as const)('seed-1g under %s', (profile, tailWord) => {
  const steps = runSteps(profile, ops);
  const legacy = profile.startsWith('legacy');
  const base = legacy ? 1 : 2;

  it('pagePgmap() of the head, a tail in section 1 and a tail in section 8 is the same pgmap', () => {
    const src = source(steps[0]!.state);
    expect([HEAD, TAIL_S1, TAIL_S8].map((p) => pagePgmap(src, p))).toEqual(['dax0.0', 'dax0.0', 'dax0.0']);
    expect([TAIL_S1, TAIL_S8].map((p) => compoundHead(src, p))).toEqual([HEAD, HEAD]);
  });

  it("a direct word-1 read of a tail is the recording kernel's compound-head encoding, not a pgmap", () => {
    const src = source(steps[0]!.state);
    expect(rawWord1(src, TAIL_S1)).toBe(tailWord);
    expect(rawWord1(src, TAIL_S8)).toBe(tailWord);
    expect(rawWord1(src, HEAD)).toBe('dax0.0');
  });

  it('idle: head refcount 1 (GENERIC idles at 1 in both), tails 0, order 18, E=0, P=0', () => {
    expect(folio(steps[0]!.state, TAIL_S8)).toMatchObject({ head: HEAD, order: 18, refcount: 1, mapcount: 0, entire: 0, pincount: 0 });
    expect(getPage(steps[0]!.state, TAIL_S1)!.refcount).toBe(0);
  });

  it(legacy ? 'PUD fault: a devmap PUD, no reference, no mapcount' : 'PUD fault: vmf_insert_folio_pud takes a reference and the entire mapcount on the head, rss +262144', () => {
    expect(folio(steps[1]!.state, HEAD)).toMatchObject(legacy ? { refcount: 1, mapcount: 0, entire: 0 } : { refcount: 2, mapcount: 1, entire: 1 });
    expect(getPage(steps[1]!.state, HEAD)!.mapcount).toBe(-1);
    expect(rss(steps[1]!.state, 'A')).toBe(legacy ? 0 : 262144);
  });

  it('FOLL_PIN through the section-8 tail: +1 on the head and +1 _pincount (no 1024 bias); the tail stays at 0', () => {
    expect(folio(steps[2]!.state, TAIL_S8)).toMatchObject({ head: HEAD, refcount: base + 1, pincount: 1, pinned: true });
    expect(getPage(steps[2]!.state, TAIL_S8)!.refcount).toBe(0);
    expect(steps[2]!.events.filter((e) => 'pfn' in e && (e.type === 'mod' || e.type === 'pin_count')).map((e) => ('pfn' in e ? e.pfn : 0))).toEqual([HEAD, HEAD]);
    expect(folio(steps[3]!.state, HEAD)).toMatchObject({ refcount: base, pincount: 0 });
  });

  it('FOLL_GET through the section-1 tail: +1 on the head only; the pipe drain puts it back', () => {
    expect(folio(steps[4]!.state, TAIL_S1)).toMatchObject({ head: HEAD, refcount: base + 1, pincount: 0 });
    // GUP-fast grabs with folio_try_get(); on 6.15/6.16 the special PUD sends it to slow GUP's folio_ref_add().
    const grab = profile === 'unified@6.16' ? { type: 'mod', pfn: HEAD, val: 1 } : { type: 'mod_unless', pfn: HEAD, val: 1, ret: 1 };
    expect(steps[4]!.events.filter((e) => e.type === 'mod' || e.type === 'mod_unless')).toMatchObject([grab]);
    expect(folio(steps[5]!.state, HEAD).refcount).toBe(base);
  });

  it('FOLL_LONGTERM through the section-1 tail (io_uring, 2 pages): allowed on device-dax, one pin kept per folio after coalescing', () => {
    const mods = steps[6]!.events.filter((e) => e.type === 'mod' || e.type === 'mod_unless' || e.type === 'mod_and_test').map((e) => ('val' in e ? e.val : 0));
    // legacy: GUP-fast bails on a devmap PUD with FOLL_LONGTERM, slow GUP grabs 1 + 1;
    // 7.2: GUP-fast grabs 2, gup_fast_folio_allowed() refuses a file-backed long-term write pin
    // and gives them back, then slow GUP grabs 1 + 1; 6.16: the special PUD sends GUP-fast away
    expect(mods).toEqual(profile === 'unified@7.2' ? [2, -2, 1, 1] : [1, 1]);
    expect(folio(steps[6]!.state, HEAD)).toMatchObject({ refcount: base + 2, pincount: 2 });
    expect(folio(steps[7]!.state, HEAD)).toMatchObject({ refcount: base + 1, pincount: 1 });
    expect(folio(steps[8]!.state, HEAD)).toMatchObject({ refcount: base, pincount: 0 });
  });

  it(legacy ? 'munmap: only the PUD goes; the head stays at 1' : 'munmap: rmap and the reference drop back to the idle 1; never freed', () => {
    expect(folio(steps[9]!.state, HEAD)).toMatchObject({ refcount: 1, mapcount: 0, entire: 0 });
    expect(steps[9]!.events.some((e) => e.type === 'free')).toBe(false);
    expect(steps.flatMap((s) => s.findings)).toEqual([]);
  });

  if (legacy) {
    it('legacy GUP finds the pgmap by pfn (get_dev_pagemap): the same pgmap from head and both tails, one lookup per walk', () => {
      const s = steps[2]!.state;
      expect([HEAD, TAIL_S1, TAIL_S8].map((p) => getDevPagemap(s, p))).toEqual(['dax0.0', 'dax0.0', 'dax0.0']);
      const lookups = (i: number): number[] => steps[i]!.events.flatMap((e) => (e.type === 'enter' && e.fn === 'get_dev_pagemap' && e.pfn !== undefined ? [e.pfn] : []));
      expect([lookups(2), lookups(4), lookups(6)]).toEqual([[TAIL_S8], [TAIL_S1], [TAIL_S1]]);
    });
  }
});

/** The snap lines of a recording, by PHASE word. */
async function snaps(name: string, profile: string): Promise<Map<string, { fields: { pfn: number; field: Parameters<typeof readField>[2]; name: string; recorded: number | bigint }[] }>> {
  const records: TraceRecord[] = [];
  for (const it of parseTraceLinesSync(splitLines(traceText(name)), name)) if (it.type === 'record') records.push(it.record);
  return snapsByPhase(records, resolveProfile(profile).layout);
}

/** The snap a recording took after each seed-1g step (the snap comes just before the next PHASE marker). */
const SNAP_AFTER_STEP: readonly (readonly [number, string])[] = [
  [0, 'devdax_read_fault#1'], [1, 'devdax_write_fault#1'], [3, 'devdax_vmsplice_tailA#1'], [4, 'devdax_drain_pipe#1'],
  [5, 'devdax_iouring_register#1'], [7, 'devdax_iouring_registered#1'], [8, 'devdax_iouring_unregistered#1'], [9, 'devdax_close#1'],
];

describe.each([
  ['legacy@6.12', 'k612-devdax-devdaxwork.trace.txt'],
  ['unified@7.2', 'k72-devdax-devdaxwork.trace.txt'],
] as const)('seed-1g under %s agrees with the recording %s', (profile, trace) => {
  it('every r_, m_, o_, e_, p_ and w1_ of the head and both tails, after every step the recording snapped', async () => {
    const steps = runSteps(profile, ops);
    const bySnap = await snaps(trace, profile);
    const binding = new PgmapBinding();
    let compared = 0;
    for (const [step, phase] of SNAP_AFTER_STEP) {
      const snap = bySnap.get(phase);
      expect(snap, phase).toBeDefined();
      const view = stateView(steps[step]!.state);
      for (const f of snap!.fields) {
        const sim = readField(view, f.pfn, f.field);
        if (sim === null) continue; // a page[1] word read past a tail: not an observation
        expect(agree(f.field, f.recorded, sim, binding), `${phase} ${f.name}: recorded ${f.recorded}, seed-1g ${String(sim)}`).toBe(true);
        compared++;
      }
    }
    // 8 snaps × (r, m, o, e, p, w1 of the head + r, m, w1 of two tails)
    expect(compared).toBe(8 * 12);
  });
});
