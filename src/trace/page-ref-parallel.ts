/**
 * Both cores for a page_ref trace replay (issue 16 item 3): after the header, the
 * main thread hands the rest of the file to a parse worker (page-ref-worker.ts), which
 * splits and scans it with the same PageRefStream while the main thread folds what it
 * sent before. The main thread delivers the worker's rows through its own stream
 * ({@link PageRefStream.passedPageRef} and the rest), in line order, with the line
 * numbers and offsets the worker counted, so the handler sees the same calls as on
 * one thread (test/engine/replay-worker.test.ts compares the two byte for byte).
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { maxLineBytes } from '../io/line-limit.ts';
import type { PageRefFields } from './page-ref-fast.ts';
import { OP_CODES, ROW, ROW_EVENT, ROW_SLOW, ROW_TOO_LONG, type WorkerBatch, type WorkerEnd, type WorkerStart } from './page-ref-rows.ts';
import type { PageRefStream } from './page-ref-stream.ts';

/**
 * When the parse worker is used: `auto` for a file with at least
 * {@link PARALLEL_MIN_BYTES} after the header, `always` (tests), `never`. The default
 * is the environment's `DAX_REFSIM_PARSE_WORKER`, else `never`: on the shared 2-core
 * machine it was measured on (load 5–12) the worker cost 25–40% more CPU and made the
 * replay slower, both when the scan was the longer of the two threads' work and after
 * the one-pass scan made it the shorter (BENCHMARKS.md, "Issue 16, the hot path" and
 * "the page_ref scan in one forward pass"); `auto` is for a machine with a core to spare.
 */
export type ParseWorkerMode = 'auto' | 'always' | 'never';

/**
 * Below this many bytes after the header one thread is faster: a worker takes tens of
 * milliseconds to start and load its modules, about what 8 MiB of trace takes to read.
 */
export const PARALLEL_MIN_BYTES = 8 << 20;

/** The mode the environment asks for (`DAX_REFSIM_PARSE_WORKER=auto|always|never`), else `never`. */
export function parseWorkerMode(): ParseWorkerMode {
  const v = process.env.DAX_REFSIM_PARSE_WORKER;
  return v === 'always' || v === 'auto' ? v : 'never';
}

/**
 * The worker's script, next to this module. Only the compiled form can run in a worker:
 * under the test runner the sources are .ts, which a worker cannot load, so the replay
 * reads on one thread there (the CLI tests run the compiled form, both ways).
 */
function workerScript(): URL | null {
  if (script === undefined) {
    const url = new URL('./page-ref-worker.js', import.meta.url);
    // a build that left the worker out (a bundle of the entry points' imports only) reads on one thread
    script = import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : null;
  }
  return script;
}
let script: URL | null | undefined;

/** The size of a file, for the `auto` decision. */
export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Whether the rest of a file of `size` bytes, from `offset`, goes to a worker under `mode`. */
export function wantsWorker(mode: ParseWorkerMode, size: number, offset: number): boolean {
  if (mode === 'never' || workerScript() === null) return false;
  return mode === 'always' || size - offset >= PARALLEL_MIN_BYTES;
}

/**
 * Reads `path` from the stream's hand-off point in a worker and delivers every line
 * through `stream`, in order. Resolves when the input ended (the stream then ends as
 * usual) or the handler asked to stop; rejects with the handler's or the worker's error.
 */
export function readRestInWorker(path: string, file: string, stream: PageRefStream, from: { readonly offset: number; readonly line: number }, chunkBytes = 1 << 20): Promise<void> {
  const worker = workerScript();
  if (worker === null) return Promise.reject(new Error('the parse worker runs from the compiled code only'));
  const workerData: WorkerStart = { path, file, offset: from.offset, line: from.line, chunkBytes, limit: maxLineBytes() };
  return new Promise<void>((resolve, reject) => {
    const thread = new Worker(worker, { workerData });
    const scratch: PageRefFields = { op: 'mod', pfn: 0, count: 0, mapcount: 0, val: 0, ret: null, head: false };
    let finished = false;
    // the handler's own error (a ProfileError, an input error) reaches the caller as it was thrown
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      void thread.terminate();
      if (error === undefined) resolve();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown unchanged, whatever was thrown
      else reject(error);
    };
    thread.on('message', (m: WorkerBatch | WorkerEnd) => {
      if (finished) return;
      try {
        if (m.type === 'end') {
          stream.passedEnd(m.lines, m.offset, m.unread);
          finish();
          return;
        }
        const { rows, n, texts } = m;
        for (let k = 0; k < n; k++) {
          const o = k * ROW;
          const kind = rows[o]!;
          let more: boolean;
          if (kind >= ROW_EVENT) {
            const code = kind - ROW_EVENT;
            scratch.op = OP_CODES[code >> 1]!;
            scratch.head = (code & 1) === 1;
            scratch.pfn = rows[o + 1]!;
            scratch.count = rows[o + 2]!;
            scratch.mapcount = rows[o + 3]!;
            scratch.val = rows[o + 4]!;
            const ret = rows[o + 5]!;
            scratch.ret = Number.isNaN(ret) ? null : ret;
            more = stream.passedPageRef(scratch, rows[o + 6]!, rows[o + 7]!);
          } else if (kind === ROW_SLOW) more = stream.passedLine(texts[rows[o + 1]!]!, rows[o + 6]!, rows[o + 7]!);
          else if (kind === ROW_TOO_LONG) more = stream.passedTooLong(rows[o + 6]!, rows[o + 7]!);
          else throw new Error(`${file}: the page_ref parse worker sent a row of kind ${kind}`);
          if (!more) return finish();
        }
        // one batch consumed: the worker may read one more chunk ahead
        thread.postMessage(0);
      } catch (e) {
        finish(e);
      }
    });
    thread.on('error', (e) => finish(e));
    thread.on('exit', (code) => finish(new Error(`${file}: the page_ref parse worker exited (code ${code}) before the end of the input`)));
  });
}
