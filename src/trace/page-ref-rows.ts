/**
 * What the parse worker (page-ref-worker.ts) and the main thread (page-ref-parallel.ts)
 * exchange: rows of ROW numbers in a Float64Array (pfns go up to 2^52, counts are s32),
 * and the texts of the lines the main thread's full reader must read.
 *
 * Row: [kind + op code × 2 + head, pfn (or the text's index), count, mapcount, val,
 * ret (NaN: none printed), line, offset after the line].
 */
import type { PageRefOp } from './record-types.ts';

export const ROW = 8;
/** A page_ref event the fast path read: kind ROW_EVENT + op code × 2 + head flag. */
export const ROW_EVENT = 16;
/** A line for the full reader; field 1 is its index in the batch's texts. */
export const ROW_SLOW = 1;
/** A line over the length limit. */
export const ROW_TOO_LONG = 2;

/** Op codes of a row (index in this list). */
export const OP_CODES: readonly PageRefOp[] = ['set', 'mod', 'mod_and_test', 'mod_and_return', 'mod_unless', 'freeze', 'unfreeze'];

/** What the worker is made with (workerData): it loads its modules, says {@link WorkerReady}, and waits for {@link WorkerGo}. */
export interface WorkerSetup {
  readonly path: string;
  /** The name issues are reported under. */
  readonly file: string;
  readonly chunkBytes: number;
  /** The line-length limit (the main thread's maxLineBytes()). */
  readonly limit: number;
}

/** The worker is loaded and waits for its start. */
export interface WorkerReady {
  readonly type: 'ready';
}

/** Where the worker starts reading: the byte offset and number of the line after the last the main thread read. */
export interface WorkerGo {
  readonly type: 'start';
  readonly offset: number;
  readonly line: number;
}

/** One read chunk's rows. */
export interface WorkerBatch {
  readonly type: 'batch';
  readonly rows: Float64Array;
  readonly n: number;
  readonly texts: readonly string[];
}

/** The end of the input: the stream's line count, offset and lines skipped unread. */
export interface WorkerEnd {
  readonly type: 'end';
  readonly lines: number;
  readonly offset: number;
  readonly unread: number;
}
