/**
 * A trace replay whose lines are split and scanned in a parse worker gives what the
 * replay on one thread gives: state, findings, parse issues, line count, checkpoints
 * (their offsets and lines), losses, assumptions, and where `stopAt` stops. The
 * worker runs only from the compiled code, so this test replays through dist/ (built
 * when older than src/). Random traces mix lines the fast path reads, lines it
 * declines (upper-case hex, a trace-cmd flags word), lines it skips, a lost-events
 * line, lines over the length limit, a last line without its newline and lines after
 * KTRACE-END, read in small chunks so that chunk boundaries fall inside lines.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import type { replayTraceFile as ReplayTraceFile } from '../../src/engine/replay-trace.ts';
import type { setMaxLineBytes as SetMaxLineBytes } from '../../src/io/line-limit.ts';
import { ensureBuilt, root } from '../robust/helpers.ts';
import { snapshot } from '../fixtures/streams.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-replay-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let replay: typeof ReplayTraceFile;
let setLimit: typeof SetMaxLineBytes;
beforeAll(async () => {
  ensureBuilt();
  replay = ((await import(pathToFileURL(join(root, 'dist/engine/replay-trace.js')).href)) as { replayTraceFile: typeof ReplayTraceFile }).replayTraceFile;
  setLimit = ((await import(pathToFileURL(join(root, 'dist/io/line-limit.js')).href)) as { setMaxLineBytes: typeof SetMaxLineBytes }).setMaxLineBytes;
}, 300_000);

const OPS = ['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze'] as const;
const WITH_RET = new Set(['mod_and_test', 'mod_and_return', 'mod_unless', 'freeze']);

const arbLine = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constantFrom(...OPS), pfn: fc.constantFrom(0x40000, 0x40001, 0x40200, 0x40201, 0x90000), count: fc.integer({ min: -1, max: 3 }), val: fc.integer({ min: -1, max: 2 }), head: fc.boolean(), hex: fc.constantFrom('lower', 'upper', 'flagsword') }).map((e) => {
    const ret = WITH_RET.has(e.op) ? ` ret=${e.count === 0 ? 1 : 0}` : '';
    const pfn = e.hex === 'upper' ? e.pfn.toString(16).toUpperCase() : e.pfn.toString(16);
    const flags = e.hex === 'flagsword' ? '0x2040' : e.head ? 'reserved|head' : 'reserved';
    return `         daxwork-1     [000] .....     1.000000: page_ref_${e.op}: pfn=0x${pfn} flags=${flags} count=${e.count} mapcount=-1 mapping=00000000deadbeef mt=1 val=${e.val}${ret}`;
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
  const path = join(dir, `w${n++}.txt`);
  writeFileSync(path, text);
  return path;
}

/** What a replay result is made of, comparable across the two runs. */
async function run(path: string, parseWorker: 'always' | 'never', chunkBytes: number, opts: { stopAt?: number; checkpointEvery?: number } = {}): Promise<unknown> {
  const r = await replay(path, { parseWorker, chunkBytes, maxIssues: 1000, ...opts });
  return {
    state: snapshot(r.state), findings: r.findings, issues: r.issues, issueCount: r.issueCount, errorCount: r.errorCount, lines: r.lines, inputs: r.inputs, refEvents: r.refEvents,
    assumptions: r.assumptions, lost: r.lost, checkpoints: r.checkpoints.map((c) => ({ inputs: c.inputs, offset: c.offset, line: c.line, findings: c.findings, state: snapshot(c.state) })),
  };
}

describe('trace replay with a parse worker', () => {
  test.prop([fc.array(arbLine, { minLength: 2, maxLength: 80 }), fc.boolean(), fc.boolean(), fc.constantFrom(64, 200, 4096), fc.nat(60), fc.constantFrom(0, 3)], { numRuns: 60 })(
    'equals the replay on one thread',
    async (lines, ended, newline, chunkBytes, stopAt, checkpointEvery) => {
      const path = file(traceText(lines, ended, newline));
      setLimit(250);
      try {
        expect(await run(path, 'always', chunkBytes, { checkpointEvery })).toEqual(await run(path, 'never', chunkBytes, { checkpointEvery }));
        expect(await run(path, 'always', chunkBytes, { stopAt, checkpointEvery: 0 })).toEqual(await run(path, 'never', chunkBytes, { stopAt, checkpointEvery: 0 }));
      } finally {
        setLimit(1 << 20);
      }
    },
  );

  it('equals the replay on one thread on every recorded trace', async () => {
    const traces = readdirSync(join(root, 'events/traces')).filter((f) => f.endsWith('.txt'));
    expect(traces.length).toBeGreaterThan(10);
    for (const name of traces) {
      const path = join(root, 'events/traces', name);
      expect(await run(path, 'always', 4096), name).toEqual(await run(path, 'never', 4096));
    }
  });
});
