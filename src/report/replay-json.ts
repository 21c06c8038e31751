/**
 * The replay JSON shape (issue #2; later issues and checks rely on it, so its keys
 * and their order are fixed here and nowhere else). Values in, a string out; no fs.
 */
import { hex } from '../kernel/constants.ts';
import { formatPageFlags } from '../kernel/page-flags.ts';
import type { Finding } from '../state/finding.ts';
import type { SimState } from '../state/sim-state.ts';
import type { InputLoss, InputLosses } from '../engine/loss.ts';
import { folioSummaries, summarizeFolioAt, summarizeFolios, type FolioSummary } from './folios.ts';

/** What a replay report is made from. */
export interface ReplayReportInput {
  /** `<family>@<version>`, or null for a model-less RefEvent replay. */
  readonly profile: string | null;
  readonly kconfig: Readonly<Record<string, string>>;
  /** Input events replayed. */
  readonly events: number;
  readonly state: SimState;
  readonly findings: readonly Finding[];
  /** Narrow `folios` to the folio containing this pfn. */
  readonly pfn?: number;
  /** Add each folio's written pages. */
  readonly pages?: boolean;
  /** Each folio's reference holders (src/holders), by head pfn and refcount. */
  readonly holders?: (head: number, refcount: number) => readonly Record<string, unknown>[];
  /** Events the input lost, and the findings from the first loss on (unknown, not findings). */
  readonly lost?: { readonly losses: InputLosses; readonly unknown: readonly Finding[] };
  /**
   * A page_ref trace replay: the fields PAGE_REF_UNTRACKED names are printed as unknown
   * (not as NULL, 0 or -1), and `untracked` says why.
   */
  readonly pageRefTrace?: boolean;
}

/** What a field prints as in JSON where the replay does not follow it (ReplayReportInput.pageRefTrace). */
export const UNKNOWN = 'unknown';

/**
 * What a page_ref trace replay cannot show, printed as unknown, with why: the page_ref
 * tracepoints (include/trace/events/page_ref.h) print a page's _refcount, its own
 * _mapcount and ->mapping as a hashed %p, never ->index/->share, a large folio's _pincount (GUP's
 * try_grab_folio() adds to it with atomic_add(), no page_ref event) or its entire and
 * large mapcounts (folio_add_file_rmap_pmd() and the rest change no refcount).
 */
export const PAGE_REF_UNTRACKED = {
  mapping: 'a page_ref replay does not follow ->mapping: the tracepoint prints it only as a hashed pointer, and no other event of the replay sets it',
  index: 'the page_ref tracepoint does not print ->index/->share',
  largeFolio: "a large folio's _pincount, and so folio_maybe_dma_pinned(), is in no page_ref event (try_grab_folio() adds to it with atomic_add())",
  mapcount: 'a page_ref replay folds _refcount only: the _mapcount each event prints is not folded, and an rmap change (folio_add_file_rmap_*(), folio_remove_rmap_*()) prints no page_ref event',
} as const;

/** One written page as `--pages` prints it. */
export interface PageJson {
  readonly pfn: string;
  readonly refcount: number;
  /** Raw _mapcount (−1 = unmapped), as traces print it; "unknown" in a page_ref trace replay. */
  readonly mapcount: number | typeof UNKNOWN;
  /** Word 1: the pgmap id on order-0 and head pages, the `0x…` compound-head encoding on tails. */
  readonly word1: string;
  readonly mapping: string | null;
  /** show_page_flags() form, e.g. `reserved|head`. */
  readonly flags: string;
}

/** One folio of the JSON shape. */
export interface FolioJson {
  readonly head: string;
  readonly order: number;
  readonly pfns: readonly [string, string];
  readonly refcount: number;
  /** "unknown" in a page_ref trace replay (PAGE_REF_UNTRACKED). */
  readonly mapcount: number | typeof UNKNOWN;
  readonly pincount: number | null | typeof UNKNOWN;
  readonly maybeDmaPinned: boolean | typeof UNKNOWN;
  readonly pgmap: string;
  readonly mapping: string | null;
  /** `index` and `share` are one union word in struct page/folio: both print its value ("unknown" in a page_ref trace replay). */
  readonly index: number | typeof UNKNOWN;
  readonly share: number | typeof UNKNOWN;
  /** Who holds the references (src/holders/tracker.ts); their `refs` sum to `refcount`. */
  readonly holders?: readonly Record<string, unknown>[];
  readonly pages?: readonly PageJson[];
}

/** One finding of the JSON shape; `pfn` is null for a finding that names no page. */
export interface FindingJson {
  readonly code: string;
  readonly severity: Finding['severity'];
  readonly seq: number;
  readonly pfn: string | null;
  readonly function: string;
  readonly message: string;
}

/** The whole replay JSON document. `waiters` is present only when some layout breaker still waits. */
export interface ReplayJson {
  readonly profile: string | null;
  readonly kconfig: Readonly<Record<string, string>>;
  readonly events: number;
  readonly folios: readonly FolioJson[];
  readonly findings: readonly FindingJson[];
  /** Events the input lost; `unknown`: the findings from seq `fromSeq` on, which a lost event may explain. */
  readonly lost?: { readonly events: number; readonly at: readonly InputLoss[]; readonly fromSeq: number; readonly unknown: readonly FindingJson[] };
  readonly waiters?: readonly Readonly<Record<string, unknown>>[];
  /** Fields the replay does not follow, with why (a page_ref trace); their values print as "unknown". */
  readonly untracked?: typeof PAGE_REF_UNTRACKED;
}

/** The folios a report shows: all written ones, or the one containing `pfn`. */
export function reportFolios(input: ReplayReportInput): FolioSummary[] {
  return input.pfn === undefined ? summarizeFolios(input.state) : summarizeFolioAt(input.state, input.pfn);
}

function folioJson(f: FolioSummary, pages: boolean, holders?: ReplayReportInput['holders'], pageRefTrace = false): FolioJson {
  const out: FolioJson = {
    head: hex(f.head), order: f.order, pfns: [hex(f.first), hex(f.last)], refcount: f.refcount, mapcount: f.mapcount,
    ...(pageRefTrace ? { mapcount: UNKNOWN } : {}),
    ...(pageRefTrace && f.order > 0
      ? { pincount: UNKNOWN, maybeDmaPinned: UNKNOWN }
      : { pincount: f.pincount, maybeDmaPinned: f.maybeDmaPinned }),
    pgmap: f.pgmap, mapping: pageRefTrace ? UNKNOWN : f.mapping,
    index: pageRefTrace ? UNKNOWN : f.index, share: pageRefTrace ? UNKNOWN : f.index,
    ...(holders ? { holders: holders(f.head, f.refcount) } : {}),
  };
  if (!pages) return out;
  return {
    ...out,
    pages: f.pages.map(({ pfn, page }) => ({
      pfn: hex(pfn), refcount: page.refcount, mapcount: pageRefTrace ? UNKNOWN : page.mapcount,
      word1: typeof page.word1 === 'bigint' ? hex(page.word1) : page.word1, mapping: pageRefTrace ? UNKNOWN : page.mapping, flags: formatPageFlags(page.flags),
    })),
  };
}

/** A finding in the JSON shape. */
export function findingJson(f: Finding): FindingJson {
  return { code: f.code, severity: f.severity, seq: f.seq, pfn: f.pfn >= 0 ? hex(f.pfn) : null, function: f.function, message: f.message };
}

/** Builds the replay JSON value. */
export function replayJson(input: ReplayReportInput): ReplayJson {
  const doc: ReplayJson = {
    profile: input.profile,
    kconfig: input.kconfig,
    events: input.events,
    ...(input.pageRefTrace === true ? { untracked: PAGE_REF_UNTRACKED } : {}),
    folios: reportFolios(input).map((f) => folioJson(f, input.pages ?? false, input.holders, input.pageRefTrace === true)),
    findings: input.findings.map(findingJson),
    ...(input.lost ? { lost: { events: input.lost.losses.events, at: input.lost.losses.at, fromSeq: input.lost.losses.fromSeq, unknown: input.lost.unknown.map(findingJson) } } : {}),
  };
  const waiters = input.state.world.waiters;
  if (waiters.length === 0) return doc;
  return { ...doc, waiters: waiters.map((w) => ({ ...w, pfn: hex(w.pfn) })) };
}

/** The replay JSON document as text (2-space indented, short leaves on one line, newline-terminated). */
export function formatReplayJson(input: ReplayReportInput, partial?: unknown): string {
  return [...replayJsonChunks(input, partial)].join('');
}

/**
 * The text of formatReplayJson in pieces, a folio or a finding at a time, so a report
 * of a large state is written as it is made rather than built whole first (issue 16:
 * the whole string cost 4% of a replay's CPU, and memory in proportion to the folios).
 * The pieces are what prettyJson prints for replayJson's value (with `partial` first
 * when given, as markPartial puts it): the document's root and its `folios` and
 * `findings` arrays hold containers, so prettyJson never prints them on one line, and
 * every other value is printed by prettyJson itself at its indentation.
 */
export function* replayJsonChunks(input: ReplayReportInput, partial?: unknown): Generator<string> {
  const pages = input.pages ?? false;
  const folios = input.pfn === undefined ? folioSummaries(input.state) : summarizeFolioAt(input.state, input.pfn);
  const waiters = input.state.world.waiters;
  // replayJson's keys in its order; arrays of containers as iterables of their items
  const fields: [string, unknown, Iterable<unknown> | null][] = [
    ...(partial !== undefined ? [['partial', partial, null] as [string, unknown, null]] : []),
    ['profile', input.profile, null],
    ['kconfig', input.kconfig, null],
    ['events', input.events, null],
    ...(input.pageRefTrace === true ? [['untracked', PAGE_REF_UNTRACKED, null] as [string, unknown, null]] : []),
    ['folios', null, mapIter(folios, (f) => folioJson(f, pages, input.holders, input.pageRefTrace === true))],
    ['findings', null, mapIter(input.findings, findingJson)],
  ];
  if (input.lost) {
    const l = input.lost.losses;
    fields.push(['lost', { events: l.events, at: l.at, fromSeq: l.fromSeq, unknown: input.lost.unknown.map(findingJson) }, null]);
  }
  if (waiters.length > 0) fields.push(['waiters', waiters.map((w) => ({ ...w, pfn: hex(w.pfn) })), null]);
  yield '{\n';
  for (const [i, [key, value, items]] of fields.entries()) {
    yield `  ${JSON.stringify(key)}: `;
    if (items === null) yield prettyJson(value, '  ');
    else {
      let n = 0;
      for (const item of items) yield `${n++ === 0 ? '[\n' : ',\n'}    ${prettyJson(item, '    ')}`;
      yield n === 0 ? '[]' : '\n  ]';
    }
    yield i < fields.length - 1 ? ',\n' : '\n';
  }
  yield '}\n';
}

function* mapIter<T, U>(items: Iterable<T>, f: (x: T) => U): Generator<U> {
  for (const x of items) yield f(x);
}

/** Joins small pieces into pieces of about `size` characters (fewer writes). */
export function* batched(pieces: Iterable<string>, size = 1 << 18): Generator<string> {
  let buf: string[] = [];
  let len = 0;
  for (const p of pieces) {
    buf.push(p);
    len += p.length;
    if (len >= size) {
      yield buf.join('');
      buf = [];
      len = 0;
    }
  }
  if (len > 0) yield buf.join('');
}

/** Widest container printed on one line. */
const INLINE_WIDTH = 240;

/**
 * JSON.stringify with 2-space indentation, except that an array or object holding
 * no containers (or only arrays of scalars, like a folio's `pfns`) and fitting in
 * INLINE_WIDTH stays on one line (`"pfns": ["0x…", "0x…"]`, one folio per line,
 * one `--pages` entry per line), so a report reads as a table.
 */
export function prettyJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((v: unknown) => [null, v])
    : Object.entries(value).filter(([, v]) => v !== undefined);
  const open = Array.isArray(value) ? '[' : '{';
  const close = Array.isArray(value) ? ']' : '}';
  if (entries.length === 0) return open + close;
  const key = (k: string | null): string => (k === null ? '' : `${JSON.stringify(k)}: `);
  const scalar = (v: unknown): boolean => v === null || typeof v !== 'object';
  const flat = entries.every(([, v]) => scalar(v) || (Array.isArray(v) && v.every(scalar)));
  if (flat) {
    const line = open + entries.map(([k, v]) => key(k) + (Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v))).join(', ') + close;
    if (line.length + indent.length <= INLINE_WIDTH) return line;
  }
  const inner = `${indent}  `;
  return `${open}\n${entries.map(([k, v]) => inner + key(k) + prettyJson(v, inner)).join(',\n')}\n${indent}${close}`;
}
