/**
 * A parse worker started early (ParseWorker) takes over wherever the main thread hands
 * off: replay hands off at the first chunk boundary after the worker said it is ready,
 * which depends on timing, so every hand-off point must give what one thread gives.
 * Here the main thread reads the first k chunks itself, hands off, and the worker
 * reads the rest: the handler sees the same page_ref events (fields, line numbers,
 * offsets), the same issues and the same line count for every k, chunk size and file.
 * Through dist/ (a worker runs only from the compiled code).
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import type { ParseWorker as ParseWorkerT } from '../../src/trace/page-ref-parallel.ts';
import type { PageRefStream as PageRefStreamT } from '../../src/trace/page-ref-stream.ts';
import { ensureBuilt, root } from '../robust/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ParseWorker: typeof ParseWorkerT;
let PageRefStream: typeof PageRefStreamT;
beforeAll(async () => {
  ensureBuilt();
  ParseWorker = ((await import(pathToFileURL(join(root, 'dist/trace/page-ref-parallel.js')).href)) as { ParseWorker: typeof ParseWorkerT }).ParseWorker;
  PageRefStream = ((await import(pathToFileURL(join(root, 'dist/trace/page-ref-stream.js')).href)) as { PageRefStream: typeof PageRefStreamT }).PageRefStream;
}, 300_000);

interface Seen {
  readonly events: string[];
  readonly issues: string[];
  readonly lines: number;
  readonly handedOff: boolean;
}

/** Reads `path` with the first `k` chunks on this thread, the rest in a worker (k = ∞: all here). */
async function read(path: string, chunk: number, k: number): Promise<Seen> {
  const events: string[] = [];
  const issues: string[] = [];
  const stream = new PageRefStream(path, {
    header: () => undefined,
    pageRef: (r, line, next) => (events.push(`${line} ${next} ${r.op} ${r.pfn} ${r.count} ${r.mapcount} ${r.val} ${r.ret} ${r.head}`), true),
    issue: (i) => void issues.push(`${i.line}:${i.column} ${i.code}`),
  });
  const bytes = readFileSync(path);
  let from: { readonly offset: number; readonly line: number } | null = null;
  let at = 0;
  for (let n = 0; at < bytes.length; n++) {
    stream.push(bytes.subarray(at, at + chunk));
    at += chunk;
    if (n + 1 >= k && (from = stream.handOff()) !== null) break;
  }
  if (from !== null) {
    const worker = new ParseWorker(path, path, chunk);
    try {
      for await (const _ of worker.batches(stream, from)) {
        // delivered to the handler before each yield
      }
    } finally {
      worker.close();
    }
  }
  if (!stream.done) stream.end();
  return { events, issues, lines: stream.lines, handedOff: from !== null };
}

const TRACES = ['k72-ext4-daxrace.trace.txt', 'k612-ext4-daxwork.trace.txt', 'k61-ext4-daxwork.trace.txt'];

describe('ParseWorker hand-off', () => {
  test.prop([fc.constantFrom(...TRACES), fc.constantFrom(512, 4096, 65536), fc.integer({ min: 1, max: 40 })], { numRuns: 12, seed: 1703 })(
    'any hand-off point gives what one thread gives',
    async (name, chunk, k) => {
      const path = join(root, 'events/traces', name);
      const one = await read(path, chunk, Number.POSITIVE_INFINITY);
      const two = await read(path, chunk, k);
      expect(one.handedOff).toBe(false);
      expect(two.events).toEqual(one.events);
      expect(two.issues).toEqual(one.issues);
      expect(two.lines).toBe(one.lines);
    },
    60_000,
  );

  test.prop([fc.integer({ min: 1, max: 30 })], { numRuns: 6, seed: 1703 })(
    'a page_ref-only trace with lines the fast path declines, handed off after k chunks',
    async (k) => {
      const lines = ['KTRACE-BEGIN kernel=7.2.13 fs=ext4 work=w', '# pmem: 40000000-4fffffff : Persistent Memory (legacy);', '# tracer: nop', '#'];
      for (let i = 0; i < 3000; i++) {
        const pfn = (0x40000 + ((i * 37) % 700)).toString(16);
        if (i % 97 === 0) lines.push(`         daxwork-1     [000] .....     1.${String(i).padStart(6, '0')}: page_ref_mod: pfn=0x${pfn.toUpperCase()} flags=reserved count=1 mapcount=-1 mapping=0 mt=1 val=1`);
        else if (i % 89 === 0) lines.push('CPU:1 [LOST 3 EVENTS]');
        else lines.push(`         daxwork-1     [000] .....     1.${String(i).padStart(6, '0')}: page_ref_mod${i % 2 ? '' : '_and_test'}: pfn=0x${pfn} flags=reserved count=${i % 3} mapcount=-1 mapping=0000000062079d63 mt=1 val=${i % 2 ? 1 : -1}${i % 2 ? '' : ` ret=${i % 3 === 0 ? 1 : 0}`}`);
      }
      const path = join(dir, `t${k}.txt`);
      writeFileSync(path, `${lines.join('\n')}\n`);
      const one = await read(path, 4096, Number.POSITIVE_INFINITY);
      const two = await read(path, 4096, k);
      expect(two.handedOff).toBe(true);
      expect(one.events.length).toBeGreaterThan(2500);
      expect(two.events).toEqual(one.events);
      expect(two.issues).toEqual(one.issues);
      expect(two.lines).toBe(one.lines);
    },
    60_000,
  );
});
