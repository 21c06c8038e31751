/**
 * Where a diff keeps its closed episodes. A long diff closes an episode every few Ops
 * (input (b) of the bench: 32,391 episodes over 100 k Ops, ~8 KB of heap each with
 * their explanation lines), and the report prints every one, so holding them made the
 * diff's memory grow with its input (3.4 GB at 1 M Ops). `EpisodeSpill` keeps each
 * closed episode as two JSON records (its head and its steps), UTF-8 encoded as it
 * closes, in a buffer outside the JS heap up to a budget and then in a temporary file,
 * with only its sort keys and offsets in typed arrays (about 60 bytes an episode); a
 * report reads the episodes back one at a time in report order. `ArrayEpisodes` is the
 * same interface over an in-memory array (diffOps).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIVERGENCE_CLASSES, type DivergenceClass, type Episode, type EpisodeText } from './divergence.ts';

/** An episode without its explanation lines (what a report's summary rows need). */
export type EpisodeHead = Omit<Episode, 'steps' | 'explanation'>;

/** Episodes in report order: by start Op, then first pfn, then class (ties in closing order). */
export interface EpisodeSource {
  readonly length: number;
  /** The class of episode i, without reading it. */
  classAt(i: number): DivergenceClass;
  /** First and last pfn of episode i's range, without reading it. */
  pfnsAt(i: number): readonly [number, number];
  /** seq of episode i's first Op and of the Op after which the models agree (null: never), without reading it. */
  startAt(i: number): number;
  endAt(i: number): number | null;
  head(i: number): EpisodeHead;
  steps(i: number): readonly EpisodeText[];
  /** The whole episode i. */
  get(i: number): Episode;
}

/** Report order of episodes: start Op, first pfn, class (Array.prototype.sort is stable: ties keep their order). */
export function episodeOrder(x: Episode, y: Episode): number {
  return x.start.seq - y.start.seq || x.pfns[0] - y.pfns[0] || DIVERGENCE_CLASSES.indexOf(x.class) - DIVERGENCE_CLASSES.indexOf(y.class);
}

/** An in-memory array of episodes, already in report order. */
export class ArrayEpisodes implements EpisodeSource {
  private readonly list: readonly Episode[];
  constructor(list: readonly Episode[]) {
    this.list = list;
  }
  get length(): number {
    return this.list.length;
  }
  classAt(i: number): DivergenceClass {
    return this.list[i]!.class;
  }
  pfnsAt(i: number): readonly [number, number] {
    return this.list[i]!.pfns;
  }
  startAt(i: number): number {
    return this.list[i]!.start.seq;
  }
  endAt(i: number): number | null {
    return this.list[i]!.end?.seq ?? null;
  }
  head(i: number): EpisodeHead {
    return this.list[i]!;
  }
  steps(i: number): readonly EpisodeText[] {
    return this.list[i]!.steps;
  }
  get(i: number): Episode {
    return this.list[i]!;
  }
}

/** The first size of the buffer records are encoded into (it doubles as needed, up to the budget and a record). */
const FIRST_BYTES = 64 << 10;

/** Bytes of encoded records kept in memory before they are written to the temporary file. */
const DEFAULT_MEMORY_BYTES = 8 << 20;

/** Growable typed columns (one row per episode). */
class Columns {
  n = 0;
  start = new Float64Array(1024);
  end = new Float64Array(1024);
  lo = new Float64Array(1024);
  hi = new Float64Array(1024);
  cls = new Uint8Array(1024);
  /** Byte offset of the head record in the stream of records (the steps record follows it): in the file below its length, else in memory. */
  off = new Float64Array(1024);
  headLen = new Int32Array(1024);
  stepsLen = new Int32Array(1024);

  grow(): void {
    const size = this.start.length * 2;
    const g = <T extends Float64Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.start = g(this.start, (k) => new Float64Array(k));
    this.end = g(this.end, (k) => new Float64Array(k));
    this.lo = g(this.lo, (k) => new Float64Array(k));
    this.hi = g(this.hi, (k) => new Float64Array(k));
    this.cls = g(this.cls, (k) => new Uint8Array(k));
    this.off = g(this.off, (k) => new Float64Array(k));
    this.headLen = g(this.headLen, (k) => new Int32Array(k));
    this.stepsLen = g(this.stepsLen, (k) => new Int32Array(k));
  }
}

/**
 * Closed episodes serialised as they close: in memory up to `memoryBytes` of records,
 * then appended to a temporary file (removed by `dispose()`, or at exit). `seal()`
 * fixes the report order; after it the store is read-only.
 */
export class EpisodeSpill implements EpisodeSource {
  private readonly cols = new Columns();
  private readonly memoryBytes: number;
  /**
   * Records not yet written to the file, UTF-8, from stream offset `fileBytes` on. Bytes
   * outside the JS heap: records kept as strings until the budget filled survived the
   * young generation and were copied into the old one, over half of what a diff's
   * scavenges copied (a heap profile of survivors, input (b)); encoded as the episode
   * closes, its JSON strings die young.
   */
  private mem = Buffer.allocUnsafe(0);
  private memBytes = 0;
  private dir: string | null = null;
  private fd = -1;
  private fileBytes = 0;
  private order: Int32Array | null = null;
  private buf = Buffer.alloc(64 * 1024);
  private readonly onExit = (): void => this.dispose();

  constructor(opts: { readonly memoryBytes?: number } = {}) {
    this.memoryBytes = opts.memoryBytes ?? DEFAULT_MEMORY_BYTES;
  }

  /** Keeps a closed episode. */
  add(e: Episode): void {
    const { steps, explanation: _explanation, ...head } = e;
    this.addParts(head, steps);
  }

  /** Keeps a closed episode given as its head and steps (what is stored: the explanation is their lines). */
  addParts(head: EpisodeHead, steps: readonly EpisodeText[]): void {
    this.addRecords(head, steps.map((t) => JSON.stringify(t)));
  }

  /**
   * Keeps a closed episode given as its head and its steps' JSON, one string per step
   * (`JSON.stringify(step)`; the caller may have written a step once for several
   * episodes). The steps record is written piece by piece, brackets and commas as bytes:
   * joining the pieces first made a string the encoder had to flatten again. `headJson`
   * is `JSON.stringify(head)` where the caller has it.
   */
  addRecords(head: EpisodeHead, stepJsons: readonly string[], headJson?: string): void {
    if (this.order !== null) throw new Error('EpisodeSpill: add after seal');
    const c = this.cols;
    if (c.n === c.start.length) c.grow();
    const i = c.n++;
    c.start[i] = head.start.seq;
    c.end[i] = head.end === null ? Number.NaN : head.end.seq;
    c.lo[i] = head.pfns[0];
    c.hi[i] = head.pfns[1];
    c.cls[i] = DIVERGENCE_CLASSES.indexOf(head.class);
    const h = headJson ?? JSON.stringify(head);
    // 3 bytes per UTF-16 unit bound the encoding; a byte per bracket and comma
    let units = h.length;
    for (const t of stepJsons) units += t.length;
    this.room(3 * units + stepJsons.length + 2);
    // straight into the buffer (`write` returns the UTF-8 length: no Buffer per record)
    const mem = this.mem;
    const from = this.memBytes;
    let at = from + mem.write(h, from, 'utf8');
    const stepsFrom = at;
    mem[at++] = 0x5b; // [
    for (let k = 0; k < stepJsons.length; k++) {
      if (k > 0) mem[at++] = 0x2c; // ,
      at += mem.write(stepJsons[k]!, at, 'utf8');
    }
    mem[at++] = 0x5d; // ]
    c.off[i] = this.fileBytes + from;
    c.headLen[i] = stepsFrom - from;
    c.stepsLen[i] = at - stepsFrom;
    this.memBytes = at;
    if (this.memBytes > this.memoryBytes) this.flush();
  }

  /** Makes room for `n` more bytes in the buffer (it doubles, up to the budget and a record). */
  private room(n: number): void {
    const need = this.memBytes + n;
    if (need <= this.mem.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, FIRST_BYTES, Math.min(2 * this.mem.length, this.memoryBytes + n)));
    this.mem.copy(grown, 0, 0, this.memBytes);
    this.mem = grown;
  }

  /** Writes the records in memory to the temporary file. */
  private flush(): void {
    if (this.memBytes === 0) return;
    if (this.fd < 0) {
      this.dir = mkdtempSync(join(tmpdir(), 'dax-refsim-episodes-'));
      this.fd = openSync(join(this.dir, 'episodes'), 'w+', 0o600);
      process.on('exit', this.onExit);
    }
    for (let done = 0; done < this.memBytes;) done += writeSync(this.fd, this.mem, done, this.memBytes - done);
    this.fileBytes += this.memBytes;
    this.memBytes = 0;
  }

  /** Fixes the report order (start Op, first pfn, class; ties in the order added). */
  seal(): this {
    const c = this.cols;
    const order = new Int32Array(c.n);
    for (let i = 0; i < c.n; i++) order[i] = i;
    order.sort((x, y) => c.start[x]! - c.start[y]! || c.lo[x]! - c.lo[y]! || c.cls[x]! - c.cls[y]! || x - y);
    this.order = order;
    return this;
  }

  /** True once records went to the temporary file. */
  get spilled(): boolean {
    return this.fd >= 0;
  }

  /** The temporary file's folder (removed whole by dispose()), or null while nothing was written. */
  get folder(): string | null {
    return this.dir;
  }

  get length(): number {
    return this.cols.n;
  }

  private at(i: number): number {
    if (this.order === null) throw new Error('EpisodeSpill: read before seal');
    const k = this.order[i];
    if (k === undefined) throw new RangeError(`episode ${i} of ${this.cols.n}`);
    return k;
  }

  classAt(i: number): DivergenceClass {
    return DIVERGENCE_CLASSES[this.cols.cls[this.at(i)]!]!;
  }
  pfnsAt(i: number): readonly [number, number] {
    const k = this.at(i);
    return [this.cols.lo[k]!, this.cols.hi[k]!];
  }
  startAt(i: number): number {
    return this.cols.start[this.at(i)]!;
  }
  endAt(i: number): number | null {
    const e = this.cols.end[this.at(i)]!;
    return Number.isNaN(e) ? null : e;
  }

  /** One of episode k's two records (0 head, 1 steps). */
  private record(k: number, which: 0 | 1): string {
    const c = this.cols;
    const len = which === 0 ? c.headLen[k]! : c.stepsLen[k]!;
    const off = which === 0 ? c.off[k]! : c.off[k]! + c.headLen[k]!;
    if (off >= this.fileBytes) return this.mem.toString('utf8', off - this.fileBytes, off - this.fileBytes + len);
    if (this.buf.length < len) this.buf = Buffer.alloc(Math.max(len, this.buf.length * 2));
    for (let got = 0; got < len;) {
      const n = readSync(this.fd, this.buf, got, len - got, off + got);
      if (n === 0) throw new Error(`EpisodeSpill: the temporary file ends early (episode ${k})`);
      got += n;
    }
    return this.buf.toString('utf8', 0, len);
  }

  head(i: number): EpisodeHead {
    return JSON.parse(this.record(this.at(i), 0)) as EpisodeHead;
  }
  steps(i: number): readonly EpisodeText[] {
    return JSON.parse(this.record(this.at(i), 1)) as EpisodeText[];
  }
  get(i: number): Episode {
    const steps = this.steps(i);
    return { ...this.head(i), steps, explanation: steps.flatMap((t) => t.lines) };
  }

  /** Removes the temporary file (idempotent); the store is empty afterwards. */
  dispose(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
      process.removeListener('exit', this.onExit);
    }
    if (this.dir !== null) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
    this.mem = Buffer.allocUnsafe(0);
    this.memBytes = 0;
    this.cols.n = 0;
    this.order = new Int32Array(0);
  }
}
