/**
 * diff reports: text for a mail (a summary table, then per class its headline once and
 * each episode with what the runs did, wrapped at 80 columns), JSON (the issue #4 shape
 * plus `episodes`) and Markdown for a bug report. Values in, strings out; no I/O.
 */
import { hex } from '../kernel/constants.ts';
import { prettyJson } from './replay-json.ts';
import type { DiffResult } from '../diff/diff-runs.ts';
import { DIVERGENCE_CLASSES, type DivergenceClass, type Episode, type EpisodeStep, type FieldValue } from '../diff/divergence.ts';
import { headline } from '../diff/explain.ts';
import { wrap } from './wrap.ts';

/** The JSON of one episode step. */
function stepJson(s: EpisodeStep): Record<string, unknown> {
  return { seq: s.seq, op: s.op, ...(s.line !== undefined ? { line: s.line } : {}), a: s.a, b: s.b };
}

/** The JSON document of a diff (stable key order, pfns as hex strings). */
export function diffJson(r: DiffResult): string {
  const doc = {
    models: r.models,
    ops: r.ops,
    divergences: r.divergences.map((d) => ({
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
    summary: r.summary,
    episodes: r.episodes.map((e) => ({
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
    })),
  };
  return `${prettyJson(doc)}\n`;
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
function span(e: Episode): string {
  if (e.end === null) return `from #${e.start.seq}, still different at the end`;
  return e.end.seq === e.start.seq ? `at #${e.start.seq}` : `from #${e.start.seq} until #${e.end.seq}`;
}

/** One row of the report: a class's divergence or episode on a range. */
interface Row {
  readonly cls: DivergenceClass;
  readonly field: string;
  readonly pfns: readonly [number, number];
  readonly a: FieldValue;
  readonly b: FieldValue;
  readonly when: string;
  /** The Op steps of the row: seq and lines (an Op line, then a line per side). */
  readonly steps: readonly { readonly seq: number; readonly lines: readonly string[] }[];
  readonly starts: number;
  readonly ends: number | null;
}

function rowsOf(r: DiffResult, first: boolean): Row[] {
  if (first) {
    return r.divergences.map((d) => ({
      cls: d.class, field: d.field, pfns: d.pfns, a: d.a, b: d.b,
      when: `at #${d.seq}${d.line !== undefined ? ` (line ${d.line}${d.phase !== undefined ? `, PHASE ${d.phase}` : ''})` : ''}`,
      steps: [{ seq: d.seq, lines: d.explanation.split('\n').slice(1) }], starts: d.seq, ends: null,
    }));
  }
  return r.episodes.map((e) => ({
    cls: e.class, field: e.field, pfns: e.pfns, a: e.a, b: e.b, when: span(e) + (e.elided ? ` (${e.elided} changes not shown)` : ''),
    steps: e.steps.filter((t) => t.seq >= 0), starts: e.start.seq, ends: e.end?.seq ?? null,
  }));
}

/** Per compared range, every Op step of its rows once, in Op order, tagged with the rows that start or end there. */
function stories(rows: readonly Row[], first: boolean): { range: string; steps: { seq: number; lines: readonly string[]; tags: string }[] }[] {
  const byRange = new Map<string, Row[]>();
  for (const row of rows) {
    const k = range(row);
    const list = byRange.get(k);
    if (list) list.push(row);
    else byRange.set(k, [row]);
  }
  return [...byRange].map(([k, list]) => {
    const steps = new Map<number, readonly string[]>();
    for (const row of list) for (const t of row.steps) if (!steps.has(t.seq)) steps.set(t.seq, t.lines);
    return {
      range: k,
      steps: [...steps].sort((x, y) => x[0] - y[0]).map(([seq, lines]) => {
        const begin = list.filter((x) => x.starts === seq && (x.ends !== seq || first)).map((x) => x.cls);
        const point = first ? [] : list.filter((x) => x.starts === seq && x.ends === seq).map((x) => x.cls);
        const end = list.filter((x) => x.ends === seq && x.starts !== seq).map((x) => x.cls);
        const tags = [
          begin.length ? `${first ? 'first' : 'begins'}: ${[...new Set(begin)].join(', ')}` : '',
          point.length ? `at this Op only: ${[...new Set(point)].join(', ')}` : '',
          end.length ? `agree again: ${[...new Set(end)].join(', ')}` : '',
        ].filter((t) => t !== '').join('; ');
        return { seq, lines, tags };
      }),
    };
  });
}

/**
 * Plain text for a mail: a summary table; per class its headline once and a row per
 * episode (or, with `first`, per first divergence); then, per compared range, what the
 * two runs did at each of those Ops, each Op once. Wrapped at 80 columns.
 */
export function diffText(r: DiffResult, opts: DiffReportOptions = {}): string {
  const [a, b] = r.models;
  const first = opts.first === true;
  const rows = rowsOf(r, first);
  const what = first ? 'first divergence(s)' : 'episode(s) of difference';
  const lines = [`dax-refsim diff: ${a} vs ${b}, ${r.ops} ops, ${rows.length} ${what}`, ''];
  const w = Math.max(...DIVERGENCE_CLASSES.map((c) => c.length));
  lines.push(`${'class'.padEnd(w)}  count`);
  for (const c of DIVERGENCE_CLASSES) lines.push(`${c.padEnd(w)}  ${rows.filter((x) => x.cls === c).length}`);
  for (const c of DIVERGENCE_CLASSES) {
    const cs = rows.filter((x) => x.cls === c);
    if (cs.length === 0) continue;
    lines.push('', ...wrap(`${c}: ${headline(c, cs[0]!.field)}`));
    for (const x of cs) lines.push(...wrap(`${range(x)} ${x.field}: ${a} ${value(x.a)}, ${b} ${value(x.b)}; ${x.when}`, '  ', '    '));
  }
  for (const st of stories(rows, first)) {
    lines.push('', `What the runs did on ${st.range}:`);
    for (const t of st.steps) {
      const [opLine, ...sides] = t.lines;
      lines.push(...wrapLine(`${opLine!.replace(/:$/, '')}${t.tags ? ` (${t.tags})` : ''}:`, '  '));
      for (const l of sides) lines.push(...wrapLine(l, '  '));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown for a bug report: the summary, per class its headline and a table of rows, then what the runs did per range. */
export function diffMarkdown(r: DiffResult, opts: DiffReportOptions = {}): string {
  const [a, b] = r.models;
  const first = opts.first === true;
  const rows = rowsOf(r, first);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`# dax-refsim diff: \`${a}\` vs \`${b}\``, '', `${r.ops} ops, ${rows.length} ${first ? 'first divergence(s)' : 'episode(s) of difference'}.`, '', '| class | count |', '|---|---|'];
  for (const c of DIVERGENCE_CLASSES) out.push(`| ${c} | ${rows.filter((x) => x.cls === c).length} |`);
  for (const c of DIVERGENCE_CLASSES) {
    const cs = rows.filter((x) => x.cls === c);
    if (cs.length === 0) continue;
    out.push('', `## ${c}`, '', headline(c, cs[0]!.field), '', `| pfns | field | ${esc(a)} | ${esc(b)} | when |`, '|---|---|---|---|---|');
    for (const x of cs) out.push(`| ${range(x)} | ${x.field} | ${esc(mdValue(x.a))} | ${esc(mdValue(x.b))} | ${x.when} |`);
  }
  const st = stories(rows, first);
  if (st.length) out.push('', '## What the runs did');
  for (const s of st) {
    out.push('', `### ${s.range}`, '');
    for (const t of s.steps) {
      const [opLine, ...sides] = t.lines;
      // a list item wraps like the text form (a Markdown paragraph continues on the next line)
      out.push(...wrap(`**${opLine!.replace(/:$/, '')}**${t.tags ? ` (${t.tags})` : ''}`, '- ', '  '));
      for (const l of sides) out.push(...wrap(l.trim(), '  - ', '    '));
    }
  }
  return `${out.join('\n')}\n`;
}
