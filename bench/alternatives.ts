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
 * - `mutable-map`: a plain Map<pfn, count> (no immutability at all: the ceiling).
 */
import { createDraft, enableMapSet, finishDraft, produce } from 'immer';
import { Runner } from '../src/engine/runner.ts';
import type { RefEvent } from '../src/events/ref-event.ts';

enableMapSet();

/** One alternative's rate. */
export interface AltResult {
  readonly name: string;
  readonly eventsPerSec: number;
  readonly ms: number;
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
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  return { name, ms, eventsPerSec: n / (ms / 1000) };
}

/** Measures every design on `events` (the first is the memmap_init of the range). */
export function measureAlternatives(events: readonly RefEvent[], idle: number): AltResult[] {
  const body = events.filter((e) => e.type !== 'memmap_init');
  const n = body.length;
  const out: AltResult[] = [];
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
