/**
 * tail → head → pgmap for an order-18 (1 GiB) device-dax folio spanning eight
 * 128 MiB sections (spec §2.2: pgmap must be the same for every page of a folio even
 * across sections), in both tail encodings of word 1 (spec §0.5):
 *
 *   section:   40        41        42   …   47
 *   pfn:    0x140000  0x148000  0x150000 … 0x178000 … 0x17ffff
 *           [H t t t … t t t … t t t … … t t t … t]   one folio, head 0x140000
 */
import { describe, expect, it } from 'vitest';
import { step } from '../../src/engine/step.ts';
import { createState, type SimState } from '../../src/state/sim-state.ts';
import { compoundHead, getPage, pageFolio, pagePgmap, rawWord1, source } from '../../src/state/accessors.ts';
import { PAGES_PER_SECTION, pfnToSection } from '../../src/kernel/constants.ts';
import type { TailEncoding } from '../../src/state/page.ts';

const HEAD = 0x140000;
const NR = 2 ** 19;
const IN_SECTION_1 = HEAD + PAGES_PER_SECTION + 5; // 0x148005
const IN_SECTION_8 = HEAD + 7 * PAGES_PER_SECTION + 123; // 0x17807b

function registered(tailEncoding: TailEncoding): SimState {
  const [state] = step(createState({ tailEncoding }), { seq: 1, type: 'memmap_init', pfn: HEAD, nr: NR, pgmap: 'dax0.0', pgmapType: 'generic', refcount: 1, vmemmapShift: 18 });
  return state;
}

describe.each([
  ['head', 0xffffea0005000001n],
  ['mask', 0xffffffffff000001n],
] as const)('order-18 folio across 8 sections, tail encoding %s', (encoding, word) => {
  it('has 32768 pfns per section and the folio spans sections 40 to 47', () => {
    expect(PAGES_PER_SECTION).toBe(32768);
    expect(pfnToSection(HEAD)).toBe(40);
    expect(pfnToSection(IN_SECTION_1)).toBe(41);
    expect(pfnToSection(IN_SECTION_8)).toBe(47);
    expect(pfnToSection(HEAD + 2 ** 18 - 1)).toBe(47);
  });

  it('stores the encoded head in a tail word 1: a bigint, not a pgmap', () => {
    const src = source(registered(encoding));
    expect(rawWord1(src, IN_SECTION_1)).toBe(word);
    expect(rawWord1(src, IN_SECTION_8)).toBe(word);
    expect(typeof rawWord1(src, IN_SECTION_8)).toBe('bigint');
    expect(rawWord1(src, HEAD)).toBe('dax0.0');
  });

  it('resolves a tail in section 1 and in section 8 to the head, and to the same pgmap', () => {
    const src = source(registered(encoding));
    expect(compoundHead(src, IN_SECTION_1)).toBe(HEAD);
    expect(compoundHead(src, IN_SECTION_8)).toBe(HEAD);
    expect(pageFolio(src, IN_SECTION_8)?.head).toBe(HEAD);
    expect(pagePgmap(src, IN_SECTION_1)).toBe('dax0.0');
    expect(pagePgmap(src, IN_SECTION_8)).toBe('dax0.0');
    expect(pagePgmap(src, HEAD)).toBe('dax0.0');
  });

  it('starts the second folio at 0x180000, its own head', () => {
    const src = source(registered(encoding));
    expect(compoundHead(src, 0x180000)).toBe(0x180000);
    expect(compoundHead(src, 0x1bffff)).toBe(0x180000);
    expect(compoundHead(src, 0x17ffff)).toBe(HEAD);
  });

  it('keeps the derivation after the tails are written (prep_compound over written pages)', () => {
    const [s1] = step(registered(encoding), { seq: 2, type: 'mod', pfn: IN_SECTION_8, val: 0 });
    const [s2] = step(s1, { seq: 3, type: 'prep_compound', pfn: HEAD, order: 18 });
    const src = source(s2);
    expect(getPage(s2, IN_SECTION_8)?.word1).toBe(word);
    expect(compoundHead(src, IN_SECTION_8)).toBe(HEAD);
    expect(pagePgmap(src, IN_SECTION_8)).toBe('dax0.0');
  });
});
