/**
 * The fold designs measured against each other on the same pre-parsed page_ref
 * events (no I/O, no parsing): what one chunk of ≤ 4096 events costs when the state
 * after it must be a frozen value sharing untouched nodes with the one before.
 *
 * - `txn`: the project's Txn (copy on first write per chunk, freeze what was copied).
 * - `txn-v0`: the Txn as it was before issue #6 (object-spread copies, a scan of every
 *   copied block at commit), replayed here from its source for comparison.
 * - `immer-produce`: one immer `produce` per chunk over the same two-level state.
 * - `immer-draft`: `createDraft`/`finishDraft` per chunk, same state.
 * - `soa`: struct-of-arrays blocks (a Float64Array column per numeric word, a present
 *   byte per slot), each column copied on its first write per chunk (a typed-array
 *   slice is a memcpy) and never written once published; the counts written straight
 *   into the columns.
 * - `soa-handle`: the same blocks written through a small handle object per event
 *   (getters/setters over (block, slot)), as fold rules written against `mut(pfn)` would.
 * - `soa-arrays`, `soa-arrays-handle`: the same with plain arrays of numbers as the
 *   columns (copied inside the JS heap; a Float64Array's slice allocates a backing store
 *   outside it, which costs more than the copy).
 * - `soa-lean`: the refcount column alone (see leanFold): the floor of any soa design here.
 * - `txn-objects`: the Txn's design without the Runner (see objectFold), the
 *   like-for-like reference of the soa rows.
 * - `mutable-map`: a plain Map<pfn, count> (no immutability at all: the ceiling).
 */
import { createDraft, enableMapSet, finishDraft, produce } from 'immer';
import { Runner } from '../src/engine/runner.ts';
import type { RefEvent } from '../src/events/ref-event.ts';
import { PageRefStream } from '../src/trace/page-ref-stream.ts';
import { pageRefEvent } from '../src/trace/page-ref-events.ts';
import { readChunks } from '../src/io/read-chunks.ts';

enableMapSet();

/** One alternative's rate. */
export interface AltResult {
  readonly name: string;
  readonly eventsPerSec: number;
  readonly ms: number;
  /** user + system CPU of the process during the run (every thread, so GC helpers count). */
  readonly cpuMs: number;
}

interface Page {
  flags: number;
  word1: string;
  mapping: string | null;
  index: number;
  refcount: number;
  mapcount: number;
  folioOrder: number;
  entireMapcount: number;
  largeMapcount: number;
  pincount: number;
}
type Blocks = Map<number, (Page | undefined)[]>;

const CHUNK = 4096;

function initPage(idle: number): Page {
  return { flags: 1 << 13, word1: 'pmem0', mapping: null, index: 0, refcount: idle, mapcount: -1, folioOrder: 0, entireMapcount: -1, largeMapcount: -1, pincount: 0 };
}

/** The refcount arithmetic of the page_ref kinds (the part every design shares). */
function apply(p: Page, e: RefEvent): void {
  switch (e.type) {
    case 'set':
    case 'unfreeze':
      p.refcount = e.val;
      break;
    case 'freeze':
      if (p.refcount === e.val) p.refcount = 0;
      break;
    case 'mod_unless':
      if (p.refcount !== 0) p.refcount += e.val;
      break;
    case 'mod':
    case 'mod_and_test':
    case 'mod_and_return':
      p.refcount += e.val;
      break;
    default:
  }
}

function pfnOf(e: RefEvent): number {
  return 'pfn' in e ? e.pfn : 0;
}

function time(name: string, n: number, run: () => void): AltResult {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { name, ms, cpuMs: (c.user + c.system) / 1000, eventsPerSec: n / (ms / 1000) };
}

/** The numeric words of a struct-of-arrays block, one Float64Array column each (exact for every JS number). */
const SOA_COLUMNS = 8;
const C_REFCOUNT = 0;
/** A column: a Float64Array (`soa`) or a plain array of numbers (`soa-arrays`, copied inside the JS heap). */
type Column = Float64Array | number[];
let typedColumns = true;
function newColumn(): Column {
  return typedColumns ? new Float64Array(512) : new Array<number>(512).fill(0);
}
/** A struct-of-arrays block: columns shared with the block it was copied from until written. */
interface SoaBlock {
  readonly cols: Column[];
  readonly present: Uint8Array;
  readonly word1: (string | undefined)[];
  readonly mapping: (string | null)[];
  /** The chunk that owns each column (copied it), -1: shared with a published block. */
  readonly owner: Int32Array;
  /** The chunk that copied this block. */
  readonly chunk: number;
}

function emptySoa(chunk: number): SoaBlock {
  const cols: Column[] = [];
  for (let c = 0; c < SOA_COLUMNS; c++) cols.push(newColumn());
  return { cols, present: new Uint8Array(512), word1: new Array<string | undefined>(512).fill(undefined), mapping: new Array<string | null>(512).fill(null), owner: new Int32Array(SOA_COLUMNS + 2).fill(chunk), chunk };
}

function copySoa(b: SoaBlock, chunk: number): SoaBlock {
  return { cols: b.cols.slice(), present: b.present, word1: b.word1, mapping: b.mapping, owner: new Int32Array(SOA_COLUMNS + 2).fill(-1), chunk };
}

/** The column c of block b, writable in `chunk` (copied on its first write). */
function soaCol(b: SoaBlock, c: number): Column {
  if (b.owner[c] === b.chunk) return b.cols[c]!;
  const col = b.cols[c]!.slice();
  b.cols[c] = col;
  b.owner[c] = b.chunk;
  return col;
}

/** The present bytes of b, writable in its chunk. */
function soaPresent(b: SoaBlock): Uint8Array {
  if (b.owner[SOA_COLUMNS] === b.chunk) return b.present;
  const present = b.present.slice();
  (b as { present: Uint8Array }).present = present;
  b.owner[SOA_COLUMNS] = b.chunk;
  return present;
}

/** The word-1 array of b, writable in its chunk. */
function soaWord1(b: SoaBlock): (string | undefined)[] {
  if (b.owner[SOA_COLUMNS + 1] === b.chunk) return b.word1;
  const word1 = [...b.word1];
  (b as { word1: (string | undefined)[] }).word1 = word1;
  b.owner[SOA_COLUMNS + 1] = b.chunk;
  return word1;
}

/** A page of a struct-of-arrays block as a fold rule writes it. */
class SoaHandle {
  private readonly b: SoaBlock;
  private readonly slot: number;
  constructor(b: SoaBlock, slot: number) {
    this.b = b;
    this.slot = slot;
  }
  get refcount(): number {
    return this.b.cols[C_REFCOUNT]![this.slot]!;
  }
  set refcount(v: number) {
    soaCol(this.b, C_REFCOUNT)[this.slot] = v;
  }
}

/**
 * `txn-objects`: the project's Txn design without the Runner around it (page objects
 * copied on first write per chunk, blocks copied by spreading, a byte per slot marking
 * the chunk's copies, every copy frozen at commit): the like-for-like reference of `soa`.
 */
function objectFold(body: readonly RefEvent[], idle: number): void {
  const n = body.length;
  let blocks: Map<number, readonly (Page | undefined)[]> = new Map();
  for (let i = 0; i < n; i += CHUNK) {
    let next: Map<number, readonly (Page | undefined)[]> | null = null;
    const marks = new Map<number, Uint8Array>();
    const freshPages: Page[] = [];
    const freshBlocks: (Page | undefined)[][] = [];
    for (let k = i; k < Math.min(n, i + CHUNK); k++) {
      const e = body[k]!;
      const pfn = pfnOf(e);
      const key = Math.floor(pfn / 512);
      const slot = pfn - key * 512;
      let block = (next ?? blocks).get(key);
      let m = marks.get(key);
      const cur = block?.[slot];
      let p: Page;
      if (cur && m !== undefined && m[slot] === 1) p = cur;
      else {
        if (!block || m === undefined) {
          next ??= new Map(blocks);
          const fresh = block ? [...block] : new Array<Page | undefined>(512).fill(undefined);
          m = new Uint8Array(512);
          next.set(key, fresh);
          marks.set(key, m);
          freshBlocks.push(fresh);
          block = fresh;
        }
        const b = cur ?? initPage(idle);
        p = { flags: b.flags, word1: b.word1, mapping: b.mapping, index: b.index, refcount: b.refcount, mapcount: b.mapcount, folioOrder: b.folioOrder, entireMapcount: b.entireMapcount, largeMapcount: b.largeMapcount, pincount: b.pincount };
        (block as (Page | undefined)[])[slot] = p;
        m[slot] = 1;
        freshPages.push(p);
      }
      apply(p, e);
    }
    for (const p of freshPages) Object.freeze(p);
    for (const b of freshBlocks) Object.freeze(b);
    if (next) blocks = next;
  }
}

/** The soa designs: one chunk's blocks map, each block copied on first write and frozen (never written) once published. */
function soaFold(body: readonly RefEvent[], idle: number, handle: boolean, typed: boolean): void {
  typedColumns = typed;
  const n = body.length;
  let blocks = new Map<number, SoaBlock>();
  let chunk = 0;
  for (let i = 0; i < n; i += CHUNK) {
    chunk++;
    let next: Map<number, SoaBlock> | null = null;
    let lastKey = -1;
    let last: SoaBlock | undefined;
    for (let k = i; k < Math.min(n, i + CHUNK); k++) {
      const e = body[k]!;
      const pfn = pfnOf(e);
      const key = Math.floor(pfn / 512);
      const slot = pfn - key * 512;
      let b = key === lastKey ? last : (next ?? blocks).get(key);
      if (b === undefined || b.chunk !== chunk) {
        next ??= new Map(blocks);
        b = b === undefined ? emptySoa(chunk) : copySoa(b, chunk);
        next.set(key, b);
      }
      lastKey = key;
      last = b;
      if (b.present[slot] === 0) {
        // the untouched page's words (initPage), written on its first write
        soaPresent(b)[slot] = 1;
        soaCol(b, C_REFCOUNT)[slot] = idle;
        soaCol(b, 1)[slot] = -1;
        soaCol(b, 2)[slot] = 1 << 13;
        soaWord1(b)[slot] = 'pmem0';
      }
      if (handle) {
        apply(new SoaHandle(b, slot) as unknown as Page, e);
      } else {
        const col = soaCol(b, C_REFCOUNT);
        const p = { refcount: col[slot]! } as Page;
        apply(p, e);
        col[slot] = p.refcount;
      }
    }
    if (next) blocks = next;
  }
}

/**
 * `soa-lean`: the least a struct-of-arrays block can cost on this input: only the
 * column a page_ref event writes (`_refcount`, a plain array, NaN where the page is
 * untouched and reads as its range's initial value), copied on its first write per
 * chunk; no present bytes and no other word materialised on a first write.
 */
function leanFold(body: readonly RefEvent[], idle: number): void {
  const n = body.length;
  let blocks = new Map<number, { readonly rc: number[]; readonly chunk: number }>();
  let chunk = 0;
  for (let i = 0; i < n; i += CHUNK) {
    chunk++;
    let next: Map<number, { readonly rc: number[]; readonly chunk: number }> | null = null;
    let lastKey = -1;
    let last: { readonly rc: number[]; readonly chunk: number } | undefined;
    for (let k = i; k < Math.min(n, i + CHUNK); k++) {
      const e = body[k]!;
      const pfn = pfnOf(e);
      const key = Math.floor(pfn / 512);
      const slot = pfn - key * 512;
      let b = key === lastKey ? last : (next ?? blocks).get(key);
      if (b === undefined || b.chunk !== chunk) {
        next ??= new Map(blocks);
        b = { rc: b === undefined ? new Array<number>(512).fill(Number.NaN) : b.rc.slice(), chunk };
        next.set(key, b);
      }
      lastKey = key;
      last = b;
      const cur = b.rc[slot]!;
      const p = { refcount: Number.isNaN(cur) ? idle : cur } as Page;
      apply(p, e);
      b.rc[slot] = p.refcount;
    }
    if (next) blocks = next;
  }
}

/** The first `n` page_ref events of a trace as RefEvents, after the memmap_init of its `pfns` pages at 0x40000 (the generator's range). */
export async function firstEvents(path: string, n: number, pfns: number): Promise<RefEvent[]> {
  const events: RefEvent[] = [{ seq: 0, type: 'memmap_init', pfn: 0x40000, nr: pfns, pgmap: 'pmem0', pgmapType: 'fsdax', refcount: 0, vmemmapShift: 0 }];
  const stream = new PageRefStream(path, {
    header: () => undefined,
    pageRef: (r) => events.push(pageRefEvent(r, events.length)) <= n,
    issue: () => undefined,
  });
  for await (const chunk of readChunks(path)) if (!stream.push(chunk)) break;
  return events;
}

/** The standalone designs, by name (what `only` may name besides the full list). */
const STANDALONE: Readonly<Record<string, (body: readonly RefEvent[], idle: number) => void>> = {
  'txn-objects': (body, idle) => objectFold(body, idle),
  soa: (body, idle) => soaFold(body, idle, false, true),
  'soa-handle': (body, idle) => soaFold(body, idle, true, true),
  'soa-arrays': (body, idle) => soaFold(body, idle, false, false),
  'soa-arrays-handle': (body, idle) => soaFold(body, idle, true, false),
  'soa-lean': (body, idle) => leanFold(body, idle),
};

/** Measures every design on `events` (the first is the memmap_init of the range); `only`: one standalone design (for a profile). */
export function measureAlternatives(events: readonly RefEvent[], idle: number, only?: string): AltResult[] {
  const body = events.filter((e) => e.type !== 'memmap_init');
  const n = body.length;
  const out: AltResult[] = [];
  if (only !== undefined) {
    const fold = STANDALONE[only];
    if (!fold) throw new Error(`no design ${only} (${Object.keys(STANDALONE).join(', ')})`);
    out.push(time(only, n, () => fold(body, idle)));
    return out;
  }
  out.push(time('txn', n, () => {
    const r = new Runner(undefined, { checkpointEvery: 0 });
    for (const e of events) r.pushRef(e);
    r.state();
  }));
  out.push(time('txn-v0', n, () => {
    let blocks: Blocks = new Map();
    for (let i = 0; i < n; i += CHUNK) {
      const next: Blocks = new Map(blocks);
      const fresh: (Page | undefined)[][] = [];
      for (let k = i; k < Math.min(n, i + CHUNK); k++) {
        const e = body[k]!;
        const pfn = pfnOf(e);
        const key = Math.floor(pfn / 512);
        let block = next.get(key);
        const cur = block?.[pfn % 512];
        let p = cur && !Object.isFrozen(cur) ? cur : undefined;
        if (!p) {
          if (!block || Object.isFrozen(block)) {
            block = block ? block.slice() : new Array<Page | undefined>(512).fill(undefined);
            next.set(key, block);
            fresh.push(block);
          }
          p = { ...(cur ?? initPage(idle)) };
          block[pfn % 512] = p;
        }
        apply(p, e);
      }
      for (const block of fresh) {
        for (const p of block) if (p && !Object.isFrozen(p)) Object.freeze(p);
        Object.freeze(block);
      }
      blocks = next;
    }
  }));
  const recipe = (d: { blocks: Blocks }, from: number): void => {
    for (let k = from; k < Math.min(n, from + CHUNK); k++) {
      const e = body[k]!;
      const pfn = pfnOf(e);
      const key = Math.floor(pfn / 512);
      let block = d.blocks.get(key);
      if (!block) {
        block = new Array<Page | undefined>(512).fill(undefined);
        d.blocks.set(key, block);
      }
      let p = block[pfn % 512];
      if (!p) {
        p = initPage(idle);
        block[pfn % 512] = p;
      }
      apply(p, e);
    }
  };
  out.push(time('immer-produce', n, () => {
    let state = { blocks: new Map() as Blocks };
    for (let i = 0; i < n; i += CHUNK) state = produce(state, (d) => recipe(d as { blocks: Blocks }, i));
  }));
  out.push(time('immer-draft', n, () => {
    let state = { blocks: new Map() as Blocks };
    for (let i = 0; i < n; i += CHUNK) {
      const d = createDraft(state);
      recipe(d as { blocks: Blocks }, i);
      state = finishDraft(d);
    }
  }));
  for (const [name, fold] of Object.entries(STANDALONE)) out.push(time(name, n, () => fold(body, idle)));
  out.push(time('mutable-map', n, () => {
    const m = new Map<number, number>();
    for (const e of body) {
      const pfn = pfnOf(e);
      const cur = m.get(pfn) ?? idle;
      const p = { refcount: cur } as Page;
      apply(p, e);
      m.set(pfn, p.refcount);
    }
  }));
  return out;
}
