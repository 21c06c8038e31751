/**
 * Input (b): an Op JSONL stream over a 1 TiB FS DAX pgmap plus a device-dax region
 * of 1 GiB folios (vmemmap_shift 18). Work happens in `slots` regions spread over
 * the whole device; each slot runs a consistent cycle (every get is put, every pin
 * unpinned, then munmap and truncate), and cycles of different slots interleave, so
 * the models produce their real divergences without findings, and the world (VMAs,
 * page tables, DAX entries) stays small however long the stream is.
 */
import { prng, type Prng } from './prng.ts';
import { TextSink } from './write-text.ts';

/** What to generate. */
export interface OpsSpec {
  readonly ops: number;
  readonly seed: number;
  /** FS DAX pgmap size in pfns (2^28 = 1 TiB; 2^18 = 1 GiB for the scaling row). */
  readonly fsdaxPfns: number;
  /** Regions in use at once. */
  readonly slots: number;
  /** One slot in this many maps PMD folios (the rest PTEs; the first four are device-dax PUDs). */
  readonly pmdEvery: number;
}

const FSDAX_BASE = 0x1000000; // 64 GiB
const DEVDAX_FOLIOS = 4;
const GIB_PFNS = 2 ** 18;
const PMD_PFNS = 512;
const PAGE = 4096;

type Step = Record<string, unknown> & { type: string };

interface Slot {
  readonly kind: 'pte' | 'pmd' | 'pud';
  readonly mm: string;
  readonly file: string;
  readonly pfn: number;
  readonly addr: number;
  readonly span: number;
  step: number;
  page: number;
}

/** The Ops of one slot's cycle at its current step (the step after the last is the first again). */
function cycle(s: Slot, rnd: Prng): Step[] {
  const vma = { start: s.addr, end: s.addr + s.span * PAGE, shared: true, file: s.file, pgoff: 0 };
  if (s.kind === 'pte') {
    if (s.step === 0) s.page = rnd.int(8);
    const pfn = s.pfn + s.page;
    const fault = { type: 'dax.fault', mm: s.mm, vma, address: s.addr + s.page * PAGE, file: s.file, pgoff: s.page, pfn, level: 'pte', write: true, vmaShared: true, reflink: false };
    return [
      [fault],
      [{ type: 'gup.get', mm: s.mm, pfn, nr: 1, fast: true }],
      [{ type: 'put', pfn, nr: 1 }],
      [{ type: 'gup.pin', mm: s.mm, pfn, nr: 1, fast: false, longterm: false }],
      [{ type: 'unpin', pfn, nr: 1 }],
      [{ type: 'munmap', mm: s.mm, start: vma.start, end: vma.end }],
      [{ type: 'fs.truncate', file: s.file, start: 0 }],
    ][s.step]!;
  }
  if (s.kind === 'pmd') {
    const fault = { type: 'dax.fault', mm: s.mm, vma, address: s.addr, file: s.file, pgoff: 0, pfn: s.pfn, level: 'pmd', write: true, vmaShared: true, reflink: false };
    return [
      [fault],
      [{ type: 'gup.pin', mm: s.mm, pfn: s.pfn, nr: 4, fast: false, longterm: false }],
      [{ type: 'unpin', pfn: s.pfn, nr: 4 }],
      [{ type: 'munmap', mm: s.mm, start: vma.start, end: vma.end }],
      [{ type: 'fs.truncate', file: s.file, start: 0 }],
    ][s.step]!;
  }
  const fault = { type: 'dax.fault', mm: s.mm, vma: { ...vma, file: 'dax0.0' }, address: s.addr, file: 'dax0.0', pgoff: s.pfn - (FSDAX_BASE + 2 ** 28), pfn: s.pfn, level: 'pud', write: true, vmaShared: true, reflink: false };
  return [
    [fault],
    [{ type: 'gup.get', mm: s.mm, pfn: s.pfn, nr: 1, fast: true }],
    [{ type: 'put', pfn: s.pfn, nr: 1 }],
    [{ type: 'munmap', mm: s.mm, start: vma.start, end: vma.end }],
  ][s.step]!;
}

const STEPS = { pte: 7, pmd: 5, pud: 4 } as const;

/** Writes the stream; returns the number of Ops. */
export async function generateOps(path: string, spec: OpsSpec): Promise<number> {
  const rnd = prng(spec.seed);
  const out = new TextSink(path);
  await out.line(JSON.stringify({ schema: 'dax-refsim/1', kind: 'ops', profile: null, description: `bench: ${spec.ops} ops, ${spec.slots} slots` }));
  let seq = 0;
  const op = async (o: Step): Promise<void> => {
    seq++;
    await out.line(JSON.stringify({ seq, ...o }));
  };
  const devdaxBase = FSDAX_BASE + 2 ** 28; // right after the 1 TiB pgmap, section-aligned
  await op({ type: 'pgmap.register', pgmap: 'pmem0', pgmapType: 'fsdax', pfn: FSDAX_BASE, nr: spec.fsdaxPfns, vmemmapShift: 0 });
  await op({ type: 'pgmap.register', pgmap: 'dax0', pgmapType: 'generic', pfn: devdaxBase, nr: DEVDAX_FOLIOS * GIB_PFNS, vmemmapShift: 18 });
  // distinct 2 MiB-aligned regions spread over the whole FS DAX pgmap
  const used = new Set<number>();
  const slots: Slot[] = [];
  for (let i = 0; i < spec.slots; i++) {
    const kind = i < DEVDAX_FOLIOS ? 'pud' : i % spec.pmdEvery === 0 ? 'pmd' : 'pte';
    let pfn: number;
    if (kind === 'pud') pfn = devdaxBase + i * GIB_PFNS;
    else {
      do pfn = FSDAX_BASE + rnd.int(spec.fsdaxPfns / PMD_PFNS) * PMD_PFNS;
      while (used.has(pfn));
      used.add(pfn);
    }
    const span = kind === 'pud' ? GIB_PFNS : PMD_PFNS;
    // each mm's VMAs are 1 GiB apart, so a slot's VMA never overlaps another's
    const addr = 0x7f0000000000 + i * 2 ** 30;
    slots.push({ kind, mm: `mm${i % 16}`, file: kind === 'pud' ? 'dax0.0' : `inode:${i}`, pfn, addr, span, step: 0, page: 0 });
  }
  while (seq < spec.ops) {
    const s = slots[rnd.int(slots.length)]!;
    for (const o of cycle(s, rnd)) await op(o);
    s.step = (s.step + 1) % STEPS[s.kind];
  }
  await out.close();
  return seq;
}
