/**
 * The parse worker of a page_ref trace replay (page-ref-parallel.ts starts it): reads
 * the file from where the main thread handed off (the line after the header) and runs
 * the same {@link PageRefStream} over it, so lines are classified and scanned exactly
 * as on one thread. What it reads goes back in batches, one per read chunk: each
 * page_ref event the fast path read as a row of numbers in a transferred
 * Float64Array, each line the full reader must read (declined by the fast path,
 * KTRACE-END, a lost-events line, a line over the limit) as its text, in line order.
 * The main thread folds while this thread scans the next chunk: the two cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setMaxLineBytes } from '../io/line-limit.ts';
import { readChunks } from '../io/read-chunks.ts';
import { PageRefStream } from './page-ref-stream.ts';
import { ROW, ROW_EVENT, ROW_SLOW, ROW_TOO_LONG, OP_CODES, type WorkerBatch, type WorkerEnd, type WorkerGo, type WorkerReady, type WorkerSetup } from './page-ref-rows.ts';

const setup = workerData as WorkerSetup;
const port = parentPort!;
setMaxLineBytes(setup.limit);

/** Batches posted and not yet acknowledged: the worker stays at most this far ahead (bounded memory). */
const AHEAD = 4;
let inFlight = 0;
let wake: (() => void) | null = null;
/** Row buffers the main thread gave back with its acknowledgement: reused, not allocated (and zeroed) per chunk. */
const free: Float64Array<ArrayBuffer>[] = [];
/** Where to start, once the main thread says (page-ref-parallel.ts ParseWorker: it hands off when this thread is ready). */
let start: WorkerGo | null = null;
port.on('message', (back: ArrayBuffer | number | WorkerGo) => {
  if (back instanceof ArrayBuffer) free.push(new Float64Array(back));
  if (typeof back === 'object' && !(back instanceof ArrayBuffer)) start = back;
  else inFlight--;
  wake?.();
  wake = null;
});
const ready: WorkerReady = { type: 'ready' };
port.postMessage(ready);
while (start === null) await new Promise<void>((resolve) => (wake = resolve));
const go: WorkerGo = start;

let rows = new Float64Array(ROW * 8192);
let n = 0;
let texts: string[] = [];

function room(): void {
  if ((n + 1) * ROW <= rows.length) return;
  const bigger = new Float64Array(rows.length * 2);
  bigger.set(rows);
  rows = bigger;
}

function row(kind: number, a: number, line: number, next: number): number {
  room();
  const o = n * ROW;
  rows[o] = kind;
  rows[o + 1] = a;
  rows[o + 6] = line;
  rows[o + 7] = next;
  n++;
  return o;
}

const stream = new PageRefStream(setup.file, {
  header: () => undefined,
  issue: () => undefined,
  pageRef: (r, line, next) => {
    const o = row(ROW_EVENT + OP_CODES.indexOf(r.op) * 2 + (r.head === true ? 1 : 0), r.pfn, line, next);
    rows[o + 2] = r.count;
    rows[o + 3] = r.mapcount ?? 0;
    rows[o + 4] = r.val;
    rows[o + 5] = r.ret ?? Number.NaN;
    return true;
  },
}, {
  offset: go.offset,
  line: go.line,
  sink: {
    slow: (text, line, next) => {
      row(ROW_SLOW, texts.length, line, next);
      texts.push(text);
    },
    tooLong: (line, next) => void row(ROW_TOO_LONG, 0, line, next),
  },
});

function flush(): void {
  if (n === 0) return;
  const batch: WorkerBatch = { type: 'batch', rows, n, texts };
  // the length before the transfer: a transferred buffer's view reads as empty
  const capacity = rows.length;
  port.postMessage(batch, [rows.buffer]);
  inFlight++;
  let next = free.pop();
  while (next !== undefined && next.length < capacity) next = free.pop();
  rows = next ?? new Float64Array(capacity);
  n = 0;
  texts = [];
}

// readChunks: the next chunk is read on libuv's thread pool while this thread scans (a
// synchronous read here was ~10% of the worker's time, with the main thread waiting on it)
for await (const chunk of readChunks(setup.path, { start: go.offset, chunkBytes: setup.chunkBytes })) {
  while (inFlight >= AHEAD) await new Promise<void>((resolve) => (wake = resolve));
  stream.push(chunk);
  flush();
}
stream.end();
flush();
const end: WorkerEnd = { type: 'end', lines: stream.lines, offset: stream.position, unread: stream.unreadLines };
port.postMessage(end);
