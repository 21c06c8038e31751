/**
 * writePrettyJson (what check streams its JSON report through) writes exactly
 * prettyJson's text, in pieces: for generated JSON values of every shape (pinned seed
 * and run count) and for a check document whose lists are long.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writePrettyJson } from '../../src/report/json-stream.ts';
import { prettyJson } from '../../src/report/replay-json.ts';

function streamed(value: unknown): { text: string; pieces: number; longest: number } {
  const pieces: string[] = [];
  writePrettyJson(value, (t) => void pieces.push(t));
  return { text: pieces.join(''), pieces: pieces.length, longest: Math.max(...pieces.map((p) => p.length)) };
}

describe('writePrettyJson', () => {
  it('writes prettyJson\'s text for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        expect(streamed(v).text).toBe(prettyJson(v));
      }),
      { seed: 16, numRuns: 2000 },
    );
  });

  it('writes a long list entry by entry, no piece longer than an entry', () => {
    const mismatches = Array.from({ length: 5000 }, (_, i) => ({ line: i + 1, pfn: `0x${(0x48000 + i).toString(16)}`, field: 'ret', recorded: 8, simulated: 1, function: 'page_ref_mod_and_return' }));
    const doc = { kernel: '7.2.13', observations: 20000, untraced: [], mismatches, findings: [], lost: { events: 0, at: [] } };
    const s = streamed(doc);
    expect(s.text).toBe(prettyJson(doc));
    expect(s.pieces).toBeGreaterThan(10_000);
    expect(s.longest).toBeLessThan(200);
  });
});
