/**
 * `diff -y src/models/{legacy,unified}/rules.ts` is the side-by-side view: the two
 * rules files keep the same keys in the same order and name the same constants.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules as legacyRules, CONSTS as legacyConsts } from '../../src/models/legacy/rules.ts';
import { rules as unifiedRules, CONSTS as unifiedConsts } from '../../src/models/unified/rules.ts';
import { OP_TYPES } from '../../src/events/op.ts';

const text = (f: string) => readFileSync(new URL(`../../src/models/${f}/rules.ts`, import.meta.url), 'utf8');
const keys = (src: string) => [...src.matchAll(/^ {2}'([a-z0-9_.]+)':/gm)].map((m) => m[1]);
const consts = (src: string) => [...src.matchAll(/^export const ([A-Z_]+)\b/gm)].map((m) => m[1]);

describe('rules files', () => {
  it('have the same keys in the same order, one per Op type', () => {
    expect(keys(text('legacy'))).toEqual(keys(text('unified')));
    expect(keys(text('legacy'))).toEqual(OP_TYPES);
    expect(Object.keys(legacyRules)).toEqual(Object.keys(unifiedRules));
  });
  it('name the same constants at the top, and differ only in their values', () => {
    expect(consts(text('legacy'))).toEqual(consts(text('unified')));
    expect(Object.keys(legacyConsts)).toEqual(Object.keys(unifiedConsts));
    const differing = Object.keys(legacyConsts).filter((k) => JSON.stringify(legacyConsts[k as keyof typeof legacyConsts]) !== JSON.stringify(unifiedConsts[k as keyof typeof unifiedConsts]));
    expect(differing).toEqual(['INIT_REFCOUNT', 'IDLE_REFCOUNT', 'FSDAX_WAIT_UNTIL', 'MAP_TAKES_REFERENCE', 'FSDAX_COMPOUND_FOLIOS', 'BUSY_SCAN_NEEDS_MAPPING', 'EVICT_WAITS', 'DEVMAP_PUT_HOOK']);
  });
});
