/**
 * decodeTailWord() remembers the word it decoded last and answers a 64-bit mask word
 * in plain numbers; it must give exactly what its BigInt definition
 * (decodeTailWordSlow) gives, for either encoding, aligned or unaligned vmemmap bases,
 * words that are no mask, and calls that alternate between words and configs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VMEMMAP_BASE } from '../../src/kernel/constants.ts';
import { decodeTailWord, decodeTailWordSlow, tailWord, type StateConfig } from '../../src/state/page.ts';

const bases = [DEFAULT_VMEMMAP_BASE, 0n, 0x1000n, 0xffffea0000000040n, 0xfffffffffffff000n, 0x123456789an];

const configs: StateConfig[] = bases.flatMap((vmemmapBase) => (['head', 'mask'] as const).map((tailEncoding) => ({ tailEncoding, vmemmapBase })));

describe('decodeTailWord', () => {
  it('equals its BigInt definition on real tail words (fast-check, numRuns 300)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: configs.length - 1 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 2 ** 20 })), { minLength: 1, maxLength: 40 }),
        (calls) => {
          for (const [c, headBase, order, off] of calls) {
            const config = configs[c]!;
            const head = headBase - (headBase % 2 ** order);
            const pfn = head + (off % 2 ** order);
            const word = tailWord(config, head, order);
            expect(decodeTailWord(config, pfn, word)).toBe(decodeTailWordSlow(config, pfn, word));
            // the same word again (the remembered answer), and at another pfn of the folio
            expect(decodeTailWord(config, pfn, word)).toBe(decodeTailWordSlow(config, pfn, word));
            const other = head + ((off * 7 + 1) % 2 ** order);
            expect(decodeTailWord(config, other, word)).toBe(decodeTailWordSlow(config, other, word));
          }
        },
      ),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('equals its BigInt definition on arbitrary words and pfns (fast-check, numRuns 500)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: configs.length - 1 }), fc.bigInt({ min: 0n, max: (1n << 66n) - 1n }), fc.oneof(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 0, max: 4096 }))), { minLength: 1, maxLength: 30 }),
        (calls) => {
          for (const [c, w, pfn] of calls) {
            const config = configs[c]!;
            for (const word of [w, w | 1n, (1n << 64n) - (1n << BigInt(Number(w % 60n) + 1)) + 1n]) {
              expect(decodeTailWord(config, pfn, word)).toBe(decodeTailWordSlow(config, pfn, word));
            }
            expect(decodeTailWord(config, pfn, 'dax0.0')).toBe(null);
          }
        },
      ),
      { numRuns: 500, seed: 1717 },
    );
  });
});
