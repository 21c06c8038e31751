/**
 * What the lifter hands on: Ops, each with the trace records that were lifted into
 * it (so a checker can find their observations), and the records that belong to no
 * Op (snap lines, PHASE markers, stray probe events), in an order a replay can follow.
 */
import type { Op } from '../events/op.ts';
import type { TraceRecord } from '../trace/record-types.ts';

/** One item of a lifted stream. */
export type LiftItem =
  | {
      readonly kind: 'op';
      readonly op: Op;
      /** The records lifted into this Op, in line order (the Op's `line` is the first one's). */
      readonly records: readonly TraceRecord[];
      /** A GUP Op's grabs: the page each try_grab_*() names and its line (gup-builder.ts grabLines()). */
      readonly pageLines?: readonly PageLine[];
    }
  | { readonly kind: 'record'; readonly record: TraceRecord };

/** One grab of a lifted GUP Op: the page it named and the trace line it is on. */
export interface PageLine {
  readonly pfn: number;
  readonly line: number;
}

/** Where a lifted Op's records lie: each grabbed page's line, and the first and last record's. */
export interface OpLines {
  readonly pages: readonly PageLine[];
  readonly first: number;
  readonly last: number;
}

/**
 * The Op kinds a probe set can observe, finer than Op `type` where the kernels differ
 * in what they trace: a PTE munmap (`munmap:pte`) has no event in a stock legacy
 * trace, while a PMD munmap (`munmap:pmd`) shows as zap_huge_pmd() (a PUD one,
 * `munmap:pud`, as zap_huge_pud()).
 */
export type OpKind =
  | 'pgmap.register'
  | 'dax.fault'
  | 'dax.hole_read'
  | 'dax.mkwrite'
  | 'munmap:pte'
  | 'munmap:pmd'
  | 'munmap:pud'
  | 'gup.get'
  | 'gup.pin'
  | 'put'
  | 'unpin'
  | 'fs.break_layout'
  | 'fs.truncate'
  | 'fs.evict'
  | 'fork'
  | 'exit'
  | 'dio.grab'
  | 'dio.release'
  | 'cow';

/** Every OpKind, in report order. */
export const OP_KINDS: readonly OpKind[] = [
  'pgmap.register', 'dax.fault', 'dax.hole_read', 'dax.mkwrite', 'munmap:pte', 'munmap:pmd', 'munmap:pud', 'gup.get', 'gup.pin',
  'put', 'unpin', 'fs.break_layout', 'fs.truncate', 'fs.evict', 'fork', 'exit', 'dio.grab', 'dio.release', 'cow',
];

/** How well a trace sees one Op kind. */
export type Visibility = 'full' | 'partial' | 'none';

/** The Op kinds a trace's probe set and tracepoints can see, and why. */
export interface Observability {
  readonly kinds: Readonly<Record<OpKind, Visibility>>;
  /** Per kind with visibility other than 'full', the reason (what is missing). */
  readonly reasons: Readonly<Partial<Record<OpKind, string>>>;
}

/** Options of the lifter. */
export interface LiftOptions {
  /** VMEMMAP_START of the recording kernel (default 0xffffea0000000000). */
  readonly vmemmapBase?: bigint;
  /** The recording kernel's release when the header lacks it (`--kernel`). */
  readonly kernel?: string;
  /** The device ranges (pgmaps) to use instead of the header's (`--pmem`). */
  readonly ranges?: readonly import('./world.ts').DeviceRange[];
  /**
   * Keep the PHASE markers (Lifter.phases; default true). `check` reads none of them, so
   * it passes false: one point per marker, each holding its line's text, would make its
   * memory grow with the trace.
   */
  readonly phases?: boolean;
}

/** A PHASE marker as a boundary of the lifted stream. */
export interface PhasePoint {
  /** `<word>` of `PHASE <word> …`, or the first word of any other marker (`RESULT`). */
  readonly word: string;
  /** 1 for the first marker with this word, 2 for the second, … */
  readonly ordinal: number;
  readonly line: number;
  /** The marker text. */
  readonly text: string;
  /** Taken from a snap line (which comes just before its marker and carries its text). */
  readonly fromSnap: boolean;
}

/** `word` for the first occurrence, `word#n` after (how reports name a phase). */
export function phaseName(p: Pick<PhasePoint, 'word' | 'ordinal'>): string {
  return p.ordinal === 1 ? p.word : `${p.word}#${p.ordinal}`;
}
