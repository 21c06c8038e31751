/**
 * `report --html`: one self-contained page (no network: inline CSS and a few lines
 * of inline JS; the charts are SVG rendered here, at build time). Summary, per-folio
 * refcount/mapcount timelines of every model on one time axis with the divergences
 * marked and the holders of each point on hover (title) and click (panel), the
 * divergence table with one explanation per class, and the findings. Long inputs are
 * sampled (the page says how). Pure: values in, a string out.
 */
import type { Op } from '../events/op.ts';
import type { RefcountModel } from '../models/model.ts';
import type { Finding } from '../state/finding.ts';
import { hex } from '../kernel/constants.ts';
import { DIVERGENCE_CLASSES, type Divergence, type DivergenceClass } from '../diff/divergence.ts';
import { describeHolder } from '../holders/tracker.ts';
import { runTimeline } from './timeline.ts';
import type { HoldersRun } from '../holders/run.ts';
import { findRange } from '../state/sim-state.ts';
import { initialRefcount } from '../state/page.ts';
import { compoundHead, folioMapcount, folioPincount, source } from '../state/accessors.ts';

/** Most folios drawn (those with divergences first, then the busiest). */
export const MAX_FOLIOS = 24;
/** Most points per series drawn. */
export const MAX_POINTS = 400;

/** One point of a folio's series in one model. */
interface Point {
  readonly ts: number;
  readonly seq: number;
  readonly refcount: number;
  readonly mapcount: number;
  readonly pincount: number;
  readonly holders: string;
}

/** What the page is built from. */
export interface HtmlReportInput {
  readonly title: string;
  readonly file: string;
  readonly models: readonly RefcountModel[];
  readonly ops: readonly Op[];
  readonly tsOf: (op: Op) => number;
  /** The time axis unit: µs of the trace, or Op seq. */
  readonly timeUnit: 'µs' | 'Op';
  readonly divergences: readonly Divergence[];
  readonly summary?: Readonly<Record<DivergenceClass, number>>;
  /** More of the page after the findings (the check of a recorded trace). */
  readonly extra?: string;
  /** The check's mismatches of a recorded trace, marked on their folio's timeline at their trace line. */
  readonly marks?: readonly { readonly line: number; readonly pfn: number; readonly text: string }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** y on a log-like axis: refcounts run from 0 to 1024+ (the pin bias), mapcounts stay small. */
function yv(v: number): number {
  return Math.log2(1 + Math.max(0, v));
}

/** Keeps at most max points: every k-th, plus the first, the last and the ones at `keep` seqs. */
function sample(points: readonly Point[], max: number, keep: ReadonlySet<number>): Point[] {
  if (points.length <= max) return [...points];
  const k = Math.ceil(points.length / max);
  return points.filter((p, i) => i % k === 0 || i === points.length - 1 || keep.has(p.seq));
}

/** Builds the page. */
export function htmlReport(input: HtmlReportInput): string {
  const { models, ops, tsOf, divergences } = input;
  // a folio inside a divergence's compared range is drawn under the range's head, as diff keys it
  const rangeHeads = new Map<number, number>();
  for (const d of divergences) rangeHeads.set(d.pfn, d.pfn);
  const series = new Map<number, Map<string, Point[]>>();
  const findings = new Map<string, readonly Finding[]>();
  let totalPoints = 0;
  const runs = new Map<string, HoldersRun>();
  // per model, the large folios it made (head → largest order): a page inside one is
  // no folio of its own in that model
  const large = new Map<string, Map<number, number>>();
  for (const m of models) {
    const big = new Map<number, number>();
    large.set(m.profile.name, big);
    const run = runTimeline(m, ops, tsOf, (s) => {
      for (const f of s.folios) {
        if (f.order > 0) big.set(f.head, Math.max(big.get(f.head) ?? 0, f.order));
        const key = rangeHeads.get(f.head) ?? f.head;
        let byModel = series.get(key);
        if (!byModel) series.set(key, (byModel = new Map<string, Point[]>()));
        let pts = byModel.get(m.profile.name);
        if (!pts) byModel.set(m.profile.name, (pts = [] as Point[]));
        const holders = s.tracker.holdersOf(f.head).map(describeHolder).join('\n');
        pts.push({ ts: s.ts, seq: s.op.seq, refcount: f.refcount, mapcount: f.mapcount, pincount: f.pincount, holders });
        totalPoints++;
      }
    });
    findings.set(m.profile.name, run.runner.findings);
    runs.set(m.profile.name, run);
  }
  const divHeads = new Set(divergences.map((d) => d.pfn));
  const heads = [...series.keys()].sort((a, b) => {
    const da = divHeads.has(a) ? 0 : 1;
    const db = divHeads.has(b) ? 0 : 1;
    if (da !== db) return da - db;
    const na = [...series.get(a)!.values()].reduce((s, p) => s + p.length, 0);
    const nb = [...series.get(b)!.values()].reduce((s, p) => s + p.length, 0);
    return nb - na || a - b;
  });
  const shown = heads.slice(0, MAX_FOLIOS).sort((a, b) => a - b);
  const t0 = ops.length ? tsOf(ops[0]!) : 0;
  const t1 = ops.length ? Math.max(t0 + 1, tsOf(ops[ops.length - 1]!)) : 1;
  const divSeqs = new Set(divergences.map((d) => d.seq));
  const notes = new Map<number, string[]>();
  for (const head of shown) notes.set(head, fillSeries(head, series.get(head)!, runs, large, ops.length ? ops[0]!.seq : 0, t0));
  let sampled = false;
  const markAt = marksByHead(input, runs, new Set(shown));
  const charts = shown.map((head) => {
    const byModel = series.get(head)!;
    const divs = divergences.filter((d) => d.pfn === head);
    const out = chart(head, models.map((m) => m.profile.name), byModel, divs, ops, tsOf, t0, t1, divSeqs, () => void (sampled = true), markAt.get(head) ?? [], notes.get(head) ?? []);
    return out;
  });
  const sampling: string[] = [];
  if (heads.length > shown.length) sampling.push(`Showing ${shown.length} of ${heads.length} folios: those with divergences first, then those whose counts changed most.`);
  if (sampled) sampling.push(`Each timeline keeps at most ${MAX_POINTS} points per model (every k-th change; the points of divergences, the first and the last are always kept); ${totalPoints} changes in all.`);
  const body = [
    `<h1>${esc(input.title)}</h1>`,
    summaryHtml(input, findings),
    sampling.length ? `<p class="note" id="sampling">${sampling.map(esc).join(' ')}</p>` : '',
    '<h2>Timelines</h2>',
    `<p class="legend">${models.map((m, i) => `<span style="color:${COLORS[i % COLORS.length]}">■ ${esc(m.profile.name)}</span>`).join(' ')} — solid: _refcount, dashed: mapcount; y is log₂(1+v) (the 1024 pin bias fits beside small counts); black dotted lines: divergences${input.marks?.length ? ', orange dashed lines: the check\'s mismatches (see Check below)' : ''}. Hover a point for its holders, click it to pin them below.</p>`,
    '<div id="holders" class="holders"><em>Click a point to see who holds the references.</em></div>',
    charts.join('\n'),
    divergenceHtml(divergences),
    findingsHtml(findings),
    input.extra ?? '',
  ].join('\n');
  return htmlPage(input.title, body);
}

/** A self-contained page around `body` (its CSS and script inline). */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
${body}
<script>${JS}</script>
</body></html>
`;
}

/**
 * The check's mismatches by the drawn folio that holds their page (in any model's
 * final state), each at the time of the last Op lifted at or before its trace line.
 */
function marksByHead(input: HtmlReportInput, runs: Map<string, HoldersRun>, shown: ReadonlySet<number>): Map<number, { ts: number; text: string }[]> {
  const out = new Map<number, { ts: number; text: string }[]>();
  if (!input.marks?.length) return out;
  const lined = input.ops.filter((o) => o.line !== undefined).map((o) => [o.line!, input.tsOf(o)] as const);
  for (const m of input.marks) {
    let ts = lined.length ? lined[0]![1] : 0;
    for (const [line, t] of lined) if (line <= m.line) ts = t;
    const heads = new Set<number>([m.pfn]);
    for (const run of runs.values()) {
      const state = run.runner.state();
      if (findRange(state.ranges, m.pfn)) heads.add(compoundHead(source(state), m.pfn));
    }
    for (const h of heads) if (shown.has(h)) out.set(h, [...(out.get(h) ?? []), { ts, text: m.text }]);
  }
  return out;
}

/**
 * A model that never changed a folio still draws it: flat at its value (no page_ref,
 * rmap or pin event touched it), and a series that starts after the first Op starts
 * from memmap_init's value. A model in which the page was part of a larger folio
 * (unified's PMD folio, where legacy has 512 order-0 pages) draws nothing there: its
 * references were counted on that folio's head (compound_head()). Returns the notes
 * that say so.
 */
function fillSeries(head: number, byModel: Map<string, Point[]>, runs: Map<string, HoldersRun>, large: Map<string, Map<number, number>>, firstSeq: number, t0: number): string[] {
  const notes: string[] = [];
  for (const [name, run] of runs) {
    const state = run.runner.state();
    const range = findRange(state.ranges, head);
    if (!range) continue;
    const pts = byModel.get(name) ?? [];
    const outer = [...(large.get(name) ?? [])].find(([h, o]) => h < head && head < h + 2 ** o);
    if (outer) {
      // its points are the Ops after which it was a folio of its own (compound_head() = itself)
      const [h, o] = outer;
      notes.push(`${name}: ${hex(head)} was a page of the order-${o} folio ${hex(h)}–${hex(h + 2 ** o - 1)}, whose _refcount counted its references (see folio ${hex(h)}); drawn only where it is a folio of its own.`);
      continue;
    }
    const other = Math.max(0, ...[...large].filter(([n]) => n !== name).map(([, big]) => big.get(head) ?? 0));
    const mine = large.get(name)?.get(head) ?? 0;
    if (other > mine) {
      notes.push(`${name}: order-${mine} folios in ${hex(head)}–${hex(head + 2 ** other - 1)}; drawn: the one at ${hex(head)} (the other pages whose counts changed have their own timelines).`);
    }
    if (pts.length === 0) {
      const src = source(state);
      const refcount = src.page(head)?.refcount ?? 0;
      const holders = run.tracker.current(head, state).map(describeHolder).join('\n');
      pts.push({ ts: t0, seq: firstSeq, refcount, mapcount: folioMapcount(src, head), pincount: folioPincount(src, head) ?? 0, holders });
      byModel.set(name, pts);
    } else if (pts[0]!.seq > firstSeq) {
      const idle = initialRefcount(range, head);
      pts.unshift({ ts: t0, seq: firstSeq, refcount: idle, mapcount: 0, pincount: 0, holders: idle ? `idle refs ${idle} memmap_init (${range.pgmapType}) of ${range.pgmap}` : '' });
    }
  }
  return notes;
}

function summaryHtml(input: HtmlReportInput, findings: Map<string, readonly Finding[]>): string {
  const rows = [
    ['input', input.file],
    ['profiles', input.models.map((m) => m.profile.name).join(', ')],
    ['Ops', String(input.ops.length)],
    ['findings', [...findings].map(([m, f]) => `${m}: ${f.length}`).join(', ')],
    ['divergences', input.summary ? DIVERGENCE_CLASSES.filter((c) => input.summary![c] > 0).map((c) => `${c}: ${input.summary![c]}`).join(', ') || 'none' : 'n/a (one model)'],
    ['time axis', input.timeUnit === 'µs' ? 'trace timestamp (µs from the first Op)' : 'Op seq (no trace timestamps)'],
  ];
  return `<table id="summary">${rows.map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${esc(v!)}</td></tr>`).join('')}</table>`;
}

function chart(
  head: number, names: readonly string[], byModel: Map<string, Point[]>, divs: readonly Divergence[], ops: readonly Op[],
  tsOf: (op: Op) => number, t0: number, t1: number, keep: ReadonlySet<number>, onSample: () => void, marks: readonly { ts: number; text: string }[],
  notes: readonly string[],
): string {
  const W = 900;
  const H = 180;
  const L = 40;
  const R = 10;
  const T = 10;
  const B = 20;
  let ymax = 1;
  for (const pts of byModel.values()) for (const p of pts) ymax = Math.max(ymax, yv(p.refcount), yv(p.mapcount));
  const x = (t: number): number => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v: number): number => T + (1 - yv(v) / ymax) * (H - T - B);
  const parts: string[] = [];
  for (const tick of [0, 1, 2, 4, 16, 64, 256, 1024, 4096]) {
    if (yv(tick) > ymax) break;
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/><text class="tick" x="${L - 4}" y="${(y(tick) + 3).toFixed(1)}" text-anchor="end">${tick}</text>`);
  }
  const bySeq = new Map(ops.map((o) => [o.seq, o]));
  for (const d of divs) {
    const op = bySeq.get(d.seq);
    const xd = x(op ? tsOf(op) : d.seq).toFixed(1);
    parts.push(`<line class="div" x1="${xd}" x2="${xd}" y1="${T}" y2="${H - B}"><title>${esc(`#${d.seq} ${d.op}: ${d.class} (${d.field}: ${String(d.a)} vs ${String(d.b)})`)}</title></line>`);
  }
  for (const mk of marks) {
    const xm = x(mk.ts).toFixed(1);
    parts.push(`<line class="mismatch" x1="${xm}" x2="${xm}" y1="${T}" y2="${H - B}"><title>${esc(mk.text)}</title></line>`);
  }
  names.forEach((name, i) => {
    const all = byModel.get(name) ?? [];
    // a model in which this is never a folio of its own draws nothing here (its note says why)
    if (all.length === 0) return;
    const pts = sample(all, MAX_POINTS, keep);
    if (pts.length < all.length) onSample();
    const color = COLORS[i % COLORS.length]!;
    for (const [field, dash] of [['refcount', ''], ['mapcount', ' stroke-dasharray="5,3"']] as const) {
      let d = '';
      let prevY: number | undefined;
      for (const p of pts) {
        const px = x(p.ts).toFixed(1);
        const py = y(p[field]).toFixed(1);
        d += prevY === undefined ? `M${px},${py}` : `H${px}V${py}`;
        prevY = Number(py);
      }
      if (pts.length) d += `H${(W - R).toFixed(1)}`;
      parts.push(`<path class="line ${field}" data-model="${esc(name)}" d="${d}" stroke="${color}"${dash}/>`);
    }
    for (const p of pts) {
      const text = `${name} after #${p.seq}: _refcount ${p.refcount}, mapcount ${p.mapcount}, pins ${p.pincount}\n${p.holders || '(no references)'}`;
      parts.push(`<circle class="pt" cx="${x(p.ts).toFixed(1)}" cy="${y(p.refcount).toFixed(1)}" r="4" fill="${color}" data-model="${esc(name)}" data-seq="${p.seq}" data-info="${esc(text)}"><title>${esc(text)}</title></circle>`);
    }
  });
  const models = names.filter((n) => byModel.has(n));
  const badges = (divs.length ? ` <span class="badge">${divs.length} divergence${divs.length > 1 ? 's' : ''}</span>` : '') + (marks.length ? ` <span class="badge mm">${marks.length} mismatch${marks.length > 1 ? 'es' : ''}</span>` : '');
  const xticks = timeTicks(t0, t1).map((t) => `<line class="axis" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${H - B}" y2="${H - B + 4}"/><text class="tick" x="${x(t).toFixed(1)}" y="${H - 4}" text-anchor="${x(t) > W - R - 20 ? 'end' : 'middle'}">${t}</text>`).join('');
  const shape = notes.map((n) => `<p class="shape">${esc(n)}</p>`).join('');
  return `<section class="folio" data-head="${hex(head)}" data-models="${esc(models.join(','))}"><h3>folio ${hex(head)}${badges}</h3>${shape}
<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="folio ${hex(head)} refcount and mapcount">${parts.join('')}<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>${xticks}</svg></section>`;
}

/** At most about 10 round times in [t0, t1] for the time axis (1, 2 or 5 × 10^k apart; whole Ops). */
function timeTicks(t0: number, t1: number): number[] {
  const span = Math.max(1, t1 - t0);
  const p = 10 ** Math.floor(Math.log10(span / 10));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * p).find((s) => span / s <= 10) ?? 10 * p);
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

function divergenceHtml(divs: readonly Divergence[]): string {
  if (divs.length === 0) return '<h2>Divergences</h2><p>None.</p>';
  const groups: string[] = [];
  for (const c of DIVERGENCE_CLASSES) {
    const rows = divs.filter((d) => d.class === c);
    if (!rows.length) continue;
    groups.push(`<tbody class="div-class" data-class="${c}"><tr class="explain"><th colspan="6">${esc(c)} (${rows.length}): ${esc(rows[0]!.explanation)}</th></tr>${rows.map((d) => `<tr class="div-row" data-class="${c}" data-head="${hex(d.pfn)}"><td>#${d.seq}${d.line !== undefined ? ` (line ${d.line})` : ''}</td><td>${esc(d.op)}</td><td>${hex(d.pfns[0])}–${hex(d.pfns[1])}</td><td>${esc(d.field)}</td><td>${esc(String(d.a))}</td><td>${esc(String(d.b))}</td></tr>`).join('')}</tbody>`);
  }
  return `<h2>Divergences</h2><p>One explanation per class (the first divergence's); the rows are the first divergence per range and class.</p><table id="divergences"><thead><tr><th>Op</th><th>type</th><th>range</th><th>field</th><th>A</th><th>B</th></tr></thead>${groups.join('')}</table>`;
}

function findingsHtml(findings: Map<string, readonly Finding[]>): string {
  const rows: string[] = [];
  for (const [m, fs] of findings) for (const f of fs) rows.push(`<tr class="finding ${f.severity}"><td>${esc(m)}</td><td>#${f.seq}</td><td>${esc(f.code)}</td><td>${f.pfn >= 0 ? hex(f.pfn) : ''}</td><td>${esc(f.function)}</td><td>${esc(f.message)}</td></tr>`);
  if (!rows.length) return '<h2>Findings</h2><p>None.</p>';
  return `<h2>Findings</h2><table id="findings"><thead><tr><th>model</th><th>seq</th><th>code</th><th>pfn</th><th>function</th><th>message</th></tr></thead>${rows.join('')}</table>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
#summary th{background:#f4f4f4}.note{background:#fff6d5;padding:.4em}
svg{background:#fcfcfc;border:1px solid #ddd;display:block}.line{fill:none;stroke-width:2}
.grid{stroke:#eee}.axis{stroke:#888}.tick{font-size:10px;fill:#666}.div{stroke:#000;stroke-width:1.5;stroke-dasharray:2,3;stroke-opacity:.7}
.pt{cursor:pointer;stroke:#fff;stroke-width:1}.pt.sel{stroke:#000;stroke-width:2}
.badge{background:#e00;color:#fff;border-radius:8px;padding:0 6px;font-size:12px}.badge.mm{background:#e80}
.mismatch{stroke:#e80;stroke-width:3;stroke-dasharray:4,2}
.holders{position:sticky;top:0;background:#eef6ff;border:1px solid #9bc;padding:.5em;white-space:pre;font-family:monospace;min-height:3em;z-index:1}
tr.explain th{background:#fdeaea}tr.finding.error td{background:#fdeaea}tr.finding.warn td{background:#fff6d5}
tr.obs.mismatch td{background:#f8c8c8;font-weight:bold}tr.obs.unknown td,tr.obs.untraced td{background:#eee;color:#555}
.shape{color:#555;margin:.2em 0}td.src{font-family:monospace;font-size:11px;white-space:pre}.assumption{color:#555}`;

const JS = `document.addEventListener('click',function(e){var t=e.target;if(!t||!t.classList||!t.classList.contains('pt'))return;
document.querySelectorAll('.pt.sel').forEach(function(p){p.classList.remove('sel')});t.classList.add('sel');
var s=t.closest('section');var h=document.getElementById('holders');if(!h)return;h.textContent=(s?s.querySelector('h3').textContent+' — ':'')+t.getAttribute('data-info');});`;
