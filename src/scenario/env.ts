/**
 * The declarations a `.dax` file has made so far: pgmaps, files and their extents,
 * processes and their mappings. Declarations are positional (a later `file` extent or
 * `mmap` over the same range wins), so a recorded trace whose mappings grow or move
 * can be written down line by line. Copied on write, so the emitter can try a line
 * against a copy.
 */
import { PAGE_SIZE } from '../kernel/constants.ts';
import type { PgmapType } from '../events/op.ts';

/** A pgmap as `pgmap` declared it. */
export interface EnvPgmap {
  readonly name: string;
  readonly type: PgmapType;
  readonly pfn: number;
  readonly nr: number;
}

/** File pages [start, end) backed by pfn, pfn+1, …. */
export interface Extent {
  readonly start: number;
  readonly end: number;
  readonly pfn: number;
  readonly reflink: boolean;
}

/** A file: its size in bytes and its extents (latest last). */
export interface EnvFile {
  readonly size: number;
  readonly extents: readonly Extent[];
}

/** A process's mapping of a file: VMA [start, end) at file page `pgoff`. */
export interface Mapping {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly shared: boolean;
  readonly pgoff: number;
}

/** First address `mmap` without `at` places a mapping at, and the stride between slots. */
export const MMAP_BASE = 0x7f0000000000;
export const MMAP_STRIDE = 0x1000000000;

/** The declarations in scope. */
export class Env {
  pgmaps = new Map<string, EnvPgmap>();
  files = new Map<string, EnvFile>();
  processes = new Map<string, readonly Mapping[]>();

  clone(): Env {
    const e = new Env();
    e.pgmaps = new Map(this.pgmaps);
    e.files = new Map(this.files);
    e.processes = new Map(this.processes);
    return e;
  }

  /** The process a thread belongs to: `A` for `A` and `A.1` (the longest declared prefix). */
  processOf(thread: string): string | undefined {
    if (this.processes.has(thread)) return thread;
    let best: string | undefined;
    for (const p of this.processes.keys()) if (thread.startsWith(`${p}.`) && (best === undefined || p.length > best.length)) best = p;
    return best;
  }

  /** A file by name; a device-dax pgmap is a file of its own (its device offset is the pfn's). */
  file(name: string): EnvFile | undefined {
    const f = this.files.get(name);
    if (f) return f;
    const p = this.pgmaps.get(name);
    if (p && p.type === 'generic') return { size: p.nr * PAGE_SIZE, extents: [{ start: 0, end: p.nr, pfn: p.pfn, reflink: false }] };
    return undefined;
  }

  /** The extent backing file page `pgoff` (the latest declared one). */
  extentAt(name: string, pgoff: number): Extent | undefined {
    const f = this.file(name);
    if (!f) return undefined;
    for (let i = f.extents.length - 1; i >= 0; i--) {
      const x = f.extents[i]!;
      if (pgoff >= x.start && pgoff < x.end) return x;
    }
    return undefined;
  }

  /** The file page backed by `pfn`, first file in declaration order (for the emitter). */
  fileOffsetOf(pfn: number): { file: string; pgoff: number } | undefined {
    for (const [name] of this.files) {
      const f = this.file(name)!;
      for (let i = f.extents.length - 1; i >= 0; i--) {
        const x = f.extents[i]!;
        if (pfn >= x.pfn && pfn < x.pfn + (x.end - x.start)) {
          const pgoff = x.start + (pfn - x.pfn);
          if (this.extentAt(name, pgoff) === x) return { file: name, pgoff };
        }
      }
    }
    for (const p of this.pgmaps.values()) if (p.type === 'generic' && pfn >= p.pfn && pfn < p.pfn + p.nr && !this.files.has(p.name)) return { file: p.name, pgoff: pfn - p.pfn };
    return undefined;
  }

  /** The pgmap whose range holds `pfn`. */
  pgmapOf(pfn: number): EnvPgmap | undefined {
    for (const p of this.pgmaps.values()) if (pfn >= p.pfn && pfn < p.pfn + p.nr) return p;
    return undefined;
  }

  /** The latest mapping of `file` by `proc` covering file page `pgoff`. */
  mappingAt(proc: string, file: string, pgoff: number): Mapping | undefined {
    const ms = this.processes.get(proc) ?? [];
    for (let i = ms.length - 1; i >= 0; i--) {
      const m = ms[i]!;
      if (m.file === file && pgoff >= m.pgoff && pgoff < m.pgoff + (m.end - m.start) / PAGE_SIZE) return m;
    }
    return undefined;
  }

  /** Where `mmap` without `at` puts a mapping of `len` bytes: the first free 64 GiB slot from MMAP_BASE. */
  nextSlot(proc: string, len: number): number {
    const ms = this.processes.get(proc) ?? [];
    for (let at = MMAP_BASE; ; at += MMAP_STRIDE) if (!ms.some((m) => m.start < at + len && at < m.end)) return at;
  }

  addMapping(proc: string, m: Mapping): void {
    this.processes.set(proc, [...(this.processes.get(proc) ?? []), m]);
  }

  addExtent(name: string, x: Extent | undefined, size: number): void {
    const f = this.files.get(name) ?? { size: 0, extents: [] };
    this.files.set(name, { size: Math.max(f.size, size), extents: x ? [...f.extents, x] : f.extents });
  }
}
