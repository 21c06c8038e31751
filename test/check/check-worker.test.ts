/**
 * A check whose page_ref lines are split and scanned in a parse worker gives what the
 * check on one thread gives: the JSON report (every observation, verdict, finding,
 * assumption and count) and the parse issues. The worker runs only from the compiled
 * code, so this test checks through dist/ (built when older than src/). Random
 * page_ref-only traces mix lines the fast path reads, lines it declines, a lost-events
 * line, lines over the length limit and a last line without its newline, read in
 * small chunks so that chunk boundaries fall inside lines.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import type { checkTraceFile as CheckTraceFile } from '../../src/check/check-file.ts';
import type { checkJson as CheckJson } from '../../src/check/result.ts';
import type { setMaxLineBytes as SetMaxLineBytes } from '../../src/io/line-limit.ts';
import { arbPageRefLine, traceText } from '../fixtures/page-ref-worker-trace.ts';
import { ensureBuilt, root } from '../robust/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-check-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let check: typeof CheckTraceFile;
let json: typeof CheckJson;
let setLimit: typeof SetMaxLineBytes;
beforeAll(async () => {
  ensureBuilt();
  check = ((await import(pathToFileURL(join(root, 'dist/check/check-file.js')).href)) as { checkTraceFile: typeof CheckTraceFile }).checkTraceFile;
  json = ((await import(pathToFileURL(join(root, 'dist/check/result.js')).href)) as { checkJson: typeof CheckJson }).checkJson;
  setLimit = ((await import(pathToFileURL(join(root, 'dist/io/line-limit.js')).href)) as { setMaxLineBytes: typeof SetMaxLineBytes }).setMaxLineBytes;
}, 300_000);

const arbLine = arbPageRefLine('random');

let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.txt`);
  writeFileSync(path, text);
  return path;
}

/** The JSON report and the issues of a check, comparable across the two runs. */
async function run(path: string, parseWorker: 'always' | 'never', chunkBytes: number): Promise<unknown> {
  const r = await check(path, { parseWorker, chunkBytes, maxDetails: 1000, keepUnknowns: 1000 });
  return JSON.parse(JSON.stringify({ report: json(r.outcome), issues: r.issues }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

describe('check with a parse worker', () => {
  test.prop([fc.array(arbLine, { minLength: 2, maxLength: 80 }), fc.boolean(), fc.boolean(), fc.constantFrom(64, 200, 4096)], { numRuns: 50, seed: 1613 })(
    'equals the check on one thread',
    async (lines, ended, newline, chunkBytes) => {
      const path = file(traceText(lines, ended, newline));
      setLimit(250);
      try {
        expect(await run(path, 'always', chunkBytes)).toEqual(await run(path, 'never', chunkBytes));
      } finally {
        setLimit(1 << 20);
      }
    },
  );

  it('equals the check on one thread on every recorded trace', async () => {
    const traces = readdirSync(join(root, 'events/traces')).filter((f) => f.endsWith('.txt'));
    expect(traces.length).toBeGreaterThan(10);
    // the kprobe traces are lifted to Ops, read in full on one thread either way (handOff() declines)
    for (const name of traces) {
      const path = join(root, 'events/traces', name);
      expect(await run(path, 'always', 4096), name).toEqual(await run(path, 'never', 4096));
    }
  });
});
