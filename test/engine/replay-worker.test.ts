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
import { arbPageRefLine, traceText } from '../fixtures/page-ref-worker-trace.ts';
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

const arbLine = arbPageRefLine('unmapped');

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
  test.prop([fc.array(arbLine, { minLength: 2, maxLength: 80 }), fc.boolean(), fc.boolean(), fc.constantFrom(64, 200, 4096), fc.nat(60), fc.constantFrom(0, 3)], { numRuns: 60, seed: 2718 })(
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
