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
import { availableParallelism, loadavg } from 'node:os';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { maxLineBytes } from '../io/line-limit.ts';
import type { PageRefFields } from './page-ref-fast.ts';
import { OP_CODES, ROW, ROW_EVENT, ROW_SLOW, ROW_TOO_LONG, type WorkerBatch, type WorkerEnd, type WorkerGo, type WorkerReady, type WorkerSetup } from './page-ref-rows.ts';
import type { PageRefStream } from './page-ref-stream.ts';

/**
 * When the parse worker is used: `auto` for a file of at least
 * {@link PARALLEL_MIN_BYTES} on a machine that is not busy (spareCore()), `always`
 * (tests), `never`. Which thread scans changes nothing in the result
 * (test/engine/replay-worker.test.ts, test/check/check-worker.test.ts,
 * test/trace/parse-worker-handoff.test.ts compare them byte for byte), only the time.
 * The worker starts before the header is read and the main thread scans on by itself
 * until it is ready ({@link ParseWorker}), so its start costs no wall time on a free
 * core. Measured on the 2-core machine at load ~1 (BENCHMARKS.md), 2 M events: replay
 * 691–737 ms with the worker and 780–884 ms without; check 1,308–1,438 ms with the
 * worker (then handed off after the header) and 1,458–1,485 ms without. At load 4–5
 * the worker costs 30–40% more wall time (no core is free for it). Both commands
 * default to `auto`.
 */
export type ParseWorkerMode = 'auto' | 'always' | 'never';

/**
 * Below this many bytes one thread is faster, even with the worker started early: its
 * isolate's start and JIT warm-up take the second core from the main thread's own
 * compiler and GC threads, and it wins back only a part of the main thread's scan.
 * Measured at load ~1 with the early start, one thread against the worker (replay):
 * 31 MB (0.2 M events) 161–187 ms against 271–293; 77 MB 267–301 against 348–447;
 * 155 MB 453–486 against 520–536; 312 MB 780–884 against 691–737.
 */
export const PARALLEL_MIN_BYTES = 256 << 20;

/** The mode the environment asks for (`DAX_REFSIM_PARSE_WORKER=auto|always|never`), else `fallback`. */
export function parseWorkerMode(fallback: ParseWorkerMode): ParseWorkerMode {
  const v = process.env.DAX_REFSIM_PARSE_WORKER;
  return v === 'always' || v === 'auto' || v === 'never' ? v : fallback;
}

/**
 * Whether the worker may find a core: more than one, and the last minute's load average
 * below their number (a replay's own two threads count in it, so a stricter bound would
 * turn the worker off for the next run of a series).
 */
function spareCore(): boolean {
  const cores = availableParallelism();
  return cores >= 2 && loadavg()[0]! < cores;
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

/** Whether a file of `size` bytes is scanned partly in a worker under `mode`. */
export function wantsWorker(mode: ParseWorkerMode, size: number): boolean {
  if (mode === 'never' || workerScript() === null) return false;
  return mode === 'always' || (size >= PARALLEL_MIN_BYTES && spareCore());
}

/**
 * Feeds `chunks` (the file read from its start) to `stream` on this thread and, given a
 * worker (started before the header was read), hands the rest of the file to it at the
 * first chunk boundary after it is ready (`eager`, mode `always`: at the first the
 * stream allows, PageRefStream.handOff()), then delivers its batches. Yields after
 * each chunk and each batch, so a consumer passes on what the handler gathered (check's
 * read stage); stops once the handler asked to; closes the worker however it ends.
 * `onChunk` sees each chunk before the stream does (check keeps stdin's tail).
 */
export async function* feedWithWorker(stream: PageRefStream, chunks: AsyncIterable<Buffer>, worker: ParseWorker | null, eager: boolean, onChunk?: (chunk: Buffer) => void): AsyncGenerator<void, void, undefined> {
  try {
    let handOff: { readonly offset: number; readonly line: number } | null = null;
    for await (const chunk of chunks) {
      onChunk?.(chunk);
      if (!stream.push(chunk)) break;
      yield;
      if (worker !== null && (worker.ready || eager) && (handOff = stream.handOff()) !== null) break;
    }
    if (handOff !== null) yield* worker!.batches(stream, handOff);
  } finally {
    worker?.close();
  }
}

/**
 * A parse worker started before the main thread knows where to hand off: its isolate
 * starts and loads its modules (~0.1 s, more under load) while the main thread reads
 * the header and goes on scanning and folding by itself, and the hand-off happens at
 * the first chunk boundary after the worker said it is ready ({@link ready}), so the
 * start costs no wall time. {@link batches} then runs it from the hand-off point.
 */
export class ParseWorker {
  private readonly thread: Worker;
  private readonly queue: (WorkerBatch | WorkerEnd)[] = [];
  private failure: { readonly error: unknown } | null = null;
  private exited = false;
  private wake: (() => void) | null = null;
  private isReady = false;
  private started = false;
  private readonly file: string;

  constructor(path: string, file: string, chunkBytes = 1 << 20) {
    this.file = file;
    const script = workerScript();
    if (script === null) throw new Error('the parse worker runs from the compiled code only');
    const workerData: WorkerSetup = { path, file, chunkBytes, limit: maxLineBytes() };
    this.thread = new Worker(script, { workerData });
    this.thread.on('message', (m: WorkerReady | WorkerBatch | WorkerEnd) => {
      if (m.type === 'ready') this.isReady = true;
      else this.queue.push(m);
      this.notify();
    });
    this.thread.on('error', (e) => {
      this.failure ??= { error: e };
      this.notify();
    });
    this.thread.on('exit', () => {
      this.exited = true;
      this.notify();
    });
  }

  /** Whether the worker has loaded its modules and waits for its start (told between event-loop turns). */
  get ready(): boolean {
    return this.isReady;
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  /** Resolves once something happened (a message, an error, the exit). */
  private next(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /**
   * The worker's batches from `from` on, each delivered through `stream` (in line order,
   * with the worker's line numbers and offsets) before it is yielded: a consumer that
   * passes what the handler gathered down an async pipeline (check's read stage) takes
   * one batch per step. The worker reads on only as the batches are taken (it stays a
   * few chunks ahead, page-ref-worker.ts), so memory stays bounded however slow the
   * consumer. Returns when the input ended or the handler asked to stop; throws the
   * handler's or the worker's error. Once per worker; the caller close()s it.
   */
  async *batches(stream: PageRefStream, from: { readonly offset: number; readonly line: number }): AsyncGenerator<void, void, undefined> {
    if (this.started) throw new Error('ParseWorker.batches: the worker was already started');
    this.started = true;
    const go: WorkerGo = { type: 'start', offset: from.offset, line: from.line };
    this.thread.postMessage(go);
    const scratch: PageRefFields = { op: 'mod', pfn: 0, count: 0, mapcount: 0, val: 0, ret: null, head: false };
    const file = this.file;
    for (;;) {
      while (this.queue.length === 0 && this.failure === null && !this.exited) await this.next();
      const m = this.queue.shift();
      if (m === undefined) {
        if (this.failure !== null) throw this.failure.error;
        throw new Error(`${file}: the page_ref parse worker exited before the end of the input`);
      }
      if (m.type === 'end') {
        stream.passedEnd(m.lines, m.offset, m.unread);
        return;
      }
      if (!deliver(stream, m, scratch, file)) return;
      yield;
      // this batch was taken: the worker may read one more chunk ahead, into the rows' buffer given back
      const back = m.rows.buffer as ArrayBuffer;
      this.thread.postMessage(back, [back]);
    }
  }

  /** Ends the worker (used or not). */
  close(): void {
    void this.thread.terminate();
  }
}

/**
 * A row's number as the one-thread scan gives it: a small integer where it is one.
 * An element of a Float64Array reads as a heap number outside optimized code, and
 * once such numbers reach the handler the objects it builds from them (check's items,
 * a scratch record) store their fields boxed, and optimized code expecting small
 * integers deopts ("not a Smi"): check with the worker spent 0.67 µs a row in deliver
 * and twice the garbage collection of one thread. -0 (`val=-0`) and values past
 * int32 stay as they are.
 */
function int(v: number): number {
  const i = v | 0;
  return i === v && (i !== 0 || 1 / v > 0) ? i : v;
}

/** Delivers one batch's rows through the stream; false once the handler asked to stop. */
function deliver(stream: PageRefStream, m: WorkerBatch, scratch: PageRefFields, file: string): boolean {
  const { rows, n, texts } = m;
  for (let k = 0; k < n; k++) {
    const o = k * ROW;
    const kind = rows[o]!;
    let more: boolean;
    if (kind >= ROW_EVENT) {
      const code = kind - ROW_EVENT;
      scratch.op = OP_CODES[code >> 1]!;
      scratch.head = (code & 1) === 1;
      scratch.pfn = int(rows[o + 1]!);
      scratch.count = int(rows[o + 2]!);
      scratch.mapcount = int(rows[o + 3]!);
      scratch.val = int(rows[o + 4]!);
      const ret = rows[o + 5]!;
      scratch.ret = Number.isNaN(ret) ? null : int(ret);
      more = stream.passedPageRef(scratch, int(rows[o + 6]!), int(rows[o + 7]!));
    } else if (kind === ROW_SLOW) more = stream.passedLine(texts[rows[o + 1]!]!, int(rows[o + 6]!), int(rows[o + 7]!));
    else if (kind === ROW_TOO_LONG) more = stream.passedTooLong(int(rows[o + 6]!), int(rows[o + 7]!));
    else throw new Error(`${file}: the page_ref parse worker sent a row of kind ${kind}`);
    if (!more) return false;
  }
  return true;
}
