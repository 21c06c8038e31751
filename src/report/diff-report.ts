/**
 * diff reports: text for a mail (a summary table, then per class its headline once and
 * each episode with what the runs did, wrapped at 80 columns), JSON (the issue #4 shape
 * plus `episodes`) and Markdown for a bug report. Values in, strings out; no I/O.
 */
import { hex } from '../kernel/constants.ts';
import { prettyJson } from './replay-json.ts';
import type { DiffResult, SpilledDiffResult } from '../diff/diff-runs.ts';
import { ArrayEpisodes, EpisodeSpill, type EpisodeHead, type EpisodeSource } from '../diff/episode-store.ts';
import type { PartialInput } from '../cli/issue-list.ts';
import { DIVERGENCE_CLASSES, type DivergenceClass, type EpisodeStep, type FieldValue } from '../diff/divergence.ts';
import { headline } from '../diff/explain.ts';
import { wrap } from './wrap.ts';

/** The JSON of one episode step. */
function stepJson(s: EpisodeStep): Record<string, unknown> {
  return { seq: s.seq, op: s.op, ...(s.line !== undefined ? { line: s.line } : {}), a: s.a, b: s.b };
}

/** A diff to report: its episodes in an array (diffOps) or spilled (dax-refsim diff). */
export type DiffReportInput = DiffResult | SpilledDiffResult;

function episodesOf(r: DiffReportInput): EpisodeSource {
  return r.episodes instanceof EpisodeSpill ? r.episodes : new ArrayEpisodes(r.episodes);
}

/** Report text in pieces of about this many characters (few writes, no whole-report string). */
const CHUNK = 1 << 16;

/** Joins lines (each ending in a newline) into chunks of about CHUNK characters. */
function* chunked(lines: Iterable<string>): Generator<string> {
  let buf: string[] = [];
  let size = 0;
  for (const l of lines) {
    buf.push(l);
    size += l.length;
    if (size >= CHUNK) {
      yield buf.join('');
      buf = [];
      size = 0;
    }
  }
  if (buf.length) yield buf.join('');
}

/** The JSON document of a diff (stable key order, pfns as hex strings). */
export function diffJson(r: DiffReportInput): string {
  return [...diffJsonChunks(r)].join('');
}

/**
 * The JSON document of a diff in pieces, one episode at a time: the same bytes as
 * `prettyJson` of the whole document (with `partial` first when given, as markPartial
 * puts it), without holding it.
 */
export function* diffJsonChunks(r: DiffReportInput, partial?: PartialInput): Generator<string> {
  const head: [string, unknown][] = [
    ...(partial !== undefined ? [['partial', partial] as [string, unknown]] : []),
    ['models', r.models],
    ['ops', r.ops],
    [
      'divergences',
      r.divergences.map((d) => ({
        seq: d.seq,
        op: d.op,
        ...(d.line !== undefined ? { line: d.line } : {}),
        ...(d.phase !== undefined ? { phase: d.phase } : {}),
        pfn: hex(d.pfn),
        pfns: [hex(d.pfns[0]), hex(d.pfns[1])],
        class: d.class,
        field: d.field,
        a: d.a,
        b: d.b,
        explanation: d.explanation,
      })),
    ],
    ['summary', r.summary],
  ];
  // the document is an object holding `summary` (an object), so prettyJson never puts it on one line
  yield `{\n${head.map(([k, v]) => `  ${JSON.stringify(k)}: ${prettyJson(v, '  ')}`).join(',\n')},\n  "episodes": `;
  const eps = episodesOf(r);
  if (eps.length === 0) {
    yield '[]\n}\n';
    return;
  }
  yield* chunked(episodeJsonLines(eps));
  yield '\n  ]\n}\n';
}

function* episodeJsonLines(eps: EpisodeSource): Generator<string> {
  for (let i = 0; i < eps.length; i++) {
    const e = eps.get(i);
    const doc = {
      pfns: [hex(e.pfns[0]), hex(e.pfns[1])],
      class: e.class,
      field: e.field,
      a: e.a,
      b: e.b,
      headline: e.headline,
      start: stepJson(e.start),
      end: e.end === null ? null : stepJson(e.end),
      changes: e.changes.map(stepJson),
      ...(e.elided ? { elided: e.elided } : {}),
      explanation: e.explanation,
    };
    yield `${i === 0 ? '[\n' : ',\n'}    ${prettyJson(doc, '    ')}`;
  }
}

function value(v: FieldValue): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

/** Values in a Markdown table cell (a table row cannot wrap): a list run-length encoded (`1 ×30`), cut past MD_CELL columns (`--format json` has every value). */
const MD_CELL = 20;

function mdValue(v: FieldValue): string {
  if (!Array.isArray(v)) return value(v);
  const runs: string[] = [];
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j < v.length && v[j] === v[i]) j++;
    runs.push(j - i > 1 ? `${v[i]} ×${j - i}` : String(v[i]));
    i = j;
  }
  let text = '';
  for (const [k, r] of runs.entries()) {
    if (text.length + r.length > MD_CELL && k > 0) return `[${text}, …: ${v.length} in all]`;
    text = k === 0 ? r : `${text}, ${r}`;
  }
  return `[${text}]`;
}

function range(d: { readonly pfns: readonly [number, number] }): string {
  return d.pfns[0] === d.pfns[1] ? hex(d.pfns[0]) : `${hex(d.pfns[0])}–${hex(d.pfns[1])}`;
}

/** How a report is laid out. */
export interface DiffReportOptions {
  /** The first-divergence view (one row per compared range and class) instead of episodes. */
  readonly first?: boolean;
}

/** An explanation line wrapped for a mail: an Op line, or a side's sentence indented under it. */
function wrapLine(line: string, indent: string): string[] {
  const lead = /^ */.exec(line)![0].length;
  return wrap(line.trim(), indent + ' '.repeat(lead), indent + ' '.repeat(lead + 2));
}

/** When an episode ran: `#2 until #9` (the Op after which they agree), `#9 to the end`, `at #10`. */
function span(e: EpisodeHead): string {
  if (e.end === null) return `from #${e.start.seq}, still different at the end`;
  return e.end.seq === e.start.seq ? `at #${e.start.seq}` : `from #${e.start.seq} until #${e.end.seq}`;
}

/** One row of the report: a class's divergence or episode on a range (its steps read separately). */
interface Row {
  readonly field: string;
  readonly pfns: readonly [number, number];
  readonly a: FieldValue;
  readonly b: FieldValue;
  readonly when: string;
}

/** The steps of a row: seq and lines (an Op line, then a line per side). */
type Steps = readonly { readonly seq: number; readonly lines: readonly string[] }[];

/** The rows of a report, read one at a time (the episodes may be on disk). */
interface Rows {
  readonly length: number;
  cls(i: number): DivergenceClass;
  pfns(i: number): readonly [number, number];
  starts(i: number): number;
  ends(i: number): number | null;
  row(i: number): Row;
  steps(i: number): Steps;
}

function rowsOf(r: DiffReportInput, first: boolean): Rows {
  if (first) {
    const ds = r.divergences;
    return {
      length: ds.length,
      cls: (i) => ds[i]!.class,
      pfns: (i) => ds[i]!.pfns,
      starts: (i) => ds[i]!.seq,
      ends: () => null,
      row: (i) => {
        const d = ds[i]!;
        return { field: d.field, pfns: d.pfns, a: d.a, b: d.b, when: `at #${d.seq}${d.line !== undefined ? ` (line ${d.line}${d.phase !== undefined ? `, PHASE ${d.phase}` : ''})` : ''}` };
      },
      steps: (i) => [{ seq: ds[i]!.seq, lines: ds[i]!.explanation.split('\n').slice(1) }],
    };
  }
  const eps = episodesOf(r);
  return {
    length: eps.length,
    cls: (i) => eps.classAt(i),
    pfns: (i) => eps.pfnsAt(i),
    starts: (i) => eps.startAt(i),
    ends: (i) => eps.endAt(i),
    row: (i) => {
      const e = eps.head(i);
      return { field: e.field, pfns: e.pfns, a: e.a, b: e.b, when: span(e) + (e.elided ? ` (${e.elided} changes not shown)` : '') };
    },
    steps: (i) => eps.steps(i).filter((t) => t.seq >= 0),
  };
}

/** Rows per class, in row order. */
function byClass(rows: Rows): Map<DivergenceClass, number[]> {
  const out = new Map<DivergenceClass, number[]>(DIVERGENCE_CLASSES.map((c) => [c, []]));
  for (let i = 0; i < rows.length; i++) out.get(rows.cls(i))!.push(i);
  return out;
}

/** One compared range's story: every Op step of its rows once, in Op order, tagged with the rows that start or end there. */
interface Story {
  readonly range: string;
  readonly steps: readonly { readonly seq: number; readonly lines: readonly string[]; readonly tags: string }[];
}

/** Per compared range (in the order its first row comes), its story; one range's rows read at a time. */
function* stories(rows: Rows, first: boolean): Generator<Story> {
  const byRange = new Map<string, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const k = range({ pfns: rows.pfns(i) });
    const list = byRange.get(k);
    if (list) list.push(i);
    else byRange.set(k, [i]);
  }
  for (const [k, list] of byRange) {
    const steps = new Map<number, readonly string[]>();
    for (const i of list) for (const t of rows.steps(i)) if (!steps.has(t.seq)) steps.set(t.seq, t.lines);
    // the classes that begin, are at one Op only, or end at each seq, in row order
    const begin = new Map<number, DivergenceClass[]>();
    const point = new Map<number, DivergenceClass[]>();
    const end = new Map<number, DivergenceClass[]>();
    const push = (m: Map<number, DivergenceClass[]>, seq: number, c: DivergenceClass): void => {
      const l = m.get(seq);
      if (l) l.push(c);
      else m.set(seq, [c]);
    };
    for (const i of list) {
      const s = rows.starts(i);
      const e = rows.ends(i);
      const c = rows.cls(i);
      if (e !== s || first) push(begin, s, c);
      else push(point, s, c);
      if (e !== null && e !== s) push(end, e, c);
    }
    const tagsAt = (seq: number): string => {
      const b = begin.get(seq) ?? [];
      const p = point.get(seq) ?? [];
      const e = end.get(seq) ?? [];
      return [
        b.length ? `${first ? 'first' : 'begins'}: ${[...new Set(b)].join(', ')}` : '',
        p.length ? `at this Op only: ${[...new Set(p)].join(', ')}` : '',
        e.length ? `agree again: ${[...new Set(e)].join(', ')}` : '',
      ].filter((t) => t !== '').join('; ');
    };
    yield { range: k, steps: [...steps].sort((x, y) => x[0] - y[0]).map(([seq, lines]) => ({ seq, lines, tags: tagsAt(seq) })) };
  }
}

/**
 * Plain text for a mail: a summary table; per class its headline once and a row per
 * episode (or, with `first`, per first divergence); then, per compared range, what the
 * two runs did at each of those Ops, each Op once. Wrapped at 80 columns.
 */
export function diffText(r: DiffReportInput, opts: DiffReportOptions = {}): string {
  return [...diffTextChunks(r, opts)].join('');
}

/** diffText in pieces (the CLI writes them as they come). */
export function diffTextChunks(r: DiffReportInput, opts: DiffReportOptions = {}): Generator<string> {
  return chunked(textLines(r, opts));
}

function* textLines(r: DiffReportInput, opts: DiffReportOptions): Generator<string> {
  const [a, b] = r.models;
  const first = opts.first === true;
  const rows = rowsOf(r, first);
  const classes = byClass(rows);
  const what = first ? 'first divergence(s)' : 'episode(s) of difference';
  yield `dax-refsim diff: ${a} vs ${b}, ${r.ops} ops, ${rows.length} ${what}\n\n`;
  const w = Math.max(...DIVERGENCE_CLASSES.map((c) => c.length));
  yield `${'class'.padEnd(w)}  count\n`;
  for (const c of DIVERGENCE_CLASSES) yield `${c.padEnd(w)}  ${classes.get(c)!.length}\n`;
  for (const c of DIVERGENCE_CLASSES) {
    const cs = classes.get(c)!;
    if (cs.length === 0) continue;
    yield `\n${wrap(`${c}: ${headline(c, rows.row(cs[0]!).field)}`).join('\n')}\n`;
    for (const i of cs) {
      const x = rows.row(i);
      yield `${wrap(`${range(x)} ${x.field}: ${a} ${value(x.a)}, ${b} ${value(x.b)}; ${x.when}`, '  ', '    ').join('\n')}\n`;
    }
  }
  for (const st of stories(rows, first)) {
    yield `\nWhat the runs did on ${st.range}:\n`;
    for (const t of st.steps) {
      const [opLine, ...sides] = t.lines;
      const out = wrapLine(`${opLine!.replace(/:$/, '')}${t.tags ? ` (${t.tags})` : ''}:`, '  ');
      for (const l of sides) out.push(...wrapLine(l, '  '));
      yield `${out.join('\n')}\n`;
    }
  }
}

/** Markdown for a bug report: the summary, per class its headline and a table of rows, then what the runs did per range. */
export function diffMarkdown(r: DiffReportInput, opts: DiffReportOptions = {}): string {
  return [...diffMarkdownChunks(r, opts)].join('');
}

/** diffMarkdown in pieces. */
export function diffMarkdownChunks(r: DiffReportInput, opts: DiffReportOptions = {}): Generator<string> {
  return chunked(markdownLines(r, opts));
}

function* markdownLines(r: DiffReportInput, opts: DiffReportOptions): Generator<string> {
  const [a, b] = r.models;
  const first = opts.first === true;
  const rows = rowsOf(r, first);
  const classes = byClass(rows);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  yield `# dax-refsim diff: \`${a}\` vs \`${b}\`\n\n${r.ops} ops, ${rows.length} ${first ? 'first divergence(s)' : 'episode(s) of difference'}.\n\n| class | count |\n|---|---|\n`;
  for (const c of DIVERGENCE_CLASSES) yield `| ${c} | ${classes.get(c)!.length} |\n`;
  for (const c of DIVERGENCE_CLASSES) {
    const cs = classes.get(c)!;
    if (cs.length === 0) continue;
    yield `\n## ${c}\n\n${headline(c, rows.row(cs[0]!).field)}\n\n| pfns | field | ${esc(a)} | ${esc(b)} | when |\n|---|---|---|---|---|\n`;
    for (const i of cs) {
      const x = rows.row(i);
      yield `| ${range(x)} | ${x.field} | ${esc(mdValue(x.a))} | ${esc(mdValue(x.b))} | ${x.when} |\n`;
    }
  }
  let any = false;
  for (const s of stories(rows, first)) {
    if (!any) yield '\n## What the runs did\n';
    any = true;
    yield `\n### ${s.range}\n\n`;
    for (const t of s.steps) {
      const [opLine, ...sides] = t.lines;
      // a list item wraps like the text form (a Markdown paragraph continues on the next line)
      const out = wrap(`**${opLine!.replace(/:$/, '')}**${t.tags ? ` (${t.tags})` : ''}`, '- ', '  ');
      for (const l of sides) out.push(...wrap(l.trim(), '  - ', '    '));
      yield `${out.join('\n')}\n`;
    }
  }
}
