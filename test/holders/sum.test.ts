import { readdirSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOps } from '../fixtures/corpus.ts';
import { modelFor } from '../../src/models/index.ts';
import { runHolders } from '../../src/holders/run.ts';
import { folioPincount, compoundHead } from '../../src/state/accessors.ts';
import { GUP_PIN_COUNTING_BIAS } from '../../src/kernel/constants.ts';
import { summarizeFolios } from '../../src/report/folios.ts';

const cases = readdirSync(new URL('../../replays/', import.meta.url)).filter((c) => existsSync(new URL(`../../replays/${c}/ops.jsonl`, import.meta.url)));

describe('holders sum to _refcount after every Op', () => {
  for (const name of cases) {
    for (const model of ['legacy', 'unified']) {
      it(`${name} under ${model}`, () => {
        const ops = loadOps(name);
        let checked = 0;
        let folios = 0;
        runHolders(modelFor(model), ops, {
          onStep: (op, _events, runner, tracker) => {
            for (const pfn of tracker.pages()) {
              const hs = tracker.holdersOf(pfn);
              const sum = hs.reduce((s, h) => s + h.refs, 0);
              expect(sum, `${name} ${model} after Op #${op.seq} pfn 0x${pfn.toString(16)}`).toBe(runner.draft.refcountOf(pfn) ?? 0);
              if (compoundHead(runner.draft, pfn) !== pfn) continue;
              const pins = hs.reduce((s, h) => s + h.pins, 0);
              const pc = folioPincount(runner.draft, pfn);
              if (pc !== null) expect(pins, `pins of 0x${pfn.toString(16)} after #${op.seq}`).toBe(pc);
              else expect(hs.filter((h) => h.pins > 0).reduce((s, h) => s + h.refs, 0)).toBe(pins * GUP_PIN_COUNTING_BIAS);
              checked++;
            }
            // every folio the report prints, a page no Op touched yet included (its
            // pgmap's idle reference): the holders `holders` prints sum to its _refcount
            const state = runner.state();
            for (const f of summarizeFolios(state)) {
              const hs = tracker.current(f.head, state);
              expect(hs.reduce((s, h) => s + h.refs, 0), `${name} ${model} after Op #${op.seq} folio 0x${f.head.toString(16)}`).toBe(f.refcount);
              const pins = hs.reduce((s, h) => s + h.pins, 0);
              if (f.pincount !== null) expect(pins, `pins of folio 0x${f.head.toString(16)} after #${op.seq}`).toBe(f.pincount);
              folios++;
            }
          },
        });
        expect(folios).toBeGreaterThan(0);
        if (model === 'unified') expect(checked).toBeGreaterThan(0);
      });
    }
  }
});
