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

const OPS = ['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze'] as const;
const WITH_RET = new Set(['mod_and_test', 'mod_and_return', 'mod_unless', 'freeze']);

const arbLine = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constantFrom(...OPS), pfn: fc.constantFrom(0x40000, 0x40001, 0x40200, 0x40201, 0x90000), count: fc.integer({ min: -1, max: 3 }), mapcount: fc.integer({ min: -1, max: 2 }), val: fc.integer({ min: -1, max: 2 }), head: fc.boolean(), hex: fc.constantFrom('lower', 'upper', 'flagsword') }).map((e) => {
    const ret = WITH_RET.has(e.op) ? ` ret=${e.count === 0 ? 1 : 0}` : '';
    const pfn = e.hex === 'upper' ? e.pfn.toString(16).toUpperCase() : e.pfn.toString(16);
    const flags = e.hex === 'flagsword' ? '0x2040' : e.head ? 'reserved|head' : 'reserved';
    return `         daxwork-1     [000] .....     1.000000: page_ref_${e.op}: pfn=0x${pfn} flags=${flags} count=${e.count} mapcount=${e.mapcount} mapping=00000000deadbeef mt=1 val=${e.val}${ret}`;
  }) },
  { weight: 1, arbitrary: fc.constant('         daxwork-1     [000] ...1.     1.000001: tracing_mark_write: PHASE step1') },
  { weight: 1, arbitrary: fc.constant('CPU:1 [LOST 3 EVENTS]') },
  { weight: 1, arbitrary: fc.constant(`         daxwork-1     [000] .....     1.000002: page_ref_mod: pfn=0x40000 flags=reserved count=1 mapcount=-1 mapping=${'0'.repeat(300)} mt=1 val=1`) },
  { weight: 1, arbitrary: fc.constant('') },
);

function traceText(lines: readonly string[], ended: boolean, newline: boolean): string {
  const head = ['KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w', '# pmem: 40000000-4fffffff : Persistent Memory (legacy);', '# tracer: nop', '#'];
  const all = [...head, ...lines.slice(0, lines.length - 2), ...(ended ? ['KTRACE-END'] : []), ...lines.slice(lines.length - 2)];
  return all.join('\n') + (newline ? '\n' : '');
}

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
