/**
 * The check of a recorded trace on the `report --html` page: every observation the
 * check decided (a recorded value at a trace line against the model's), listed by
 * trace line with the mismatches highlighted, and, for a page_ref-only trace, the
 * recorded count of the busiest pages against the model's, line by line.
 *
 * Bounded for long traces: the observations are collected as the check streams past
 * (ObservationCollector); up to MAX_ROWS of them are all listed, beyond that only the
 * first MAX_GROUPS mismatches and unknowns with the CONTEXT observations of the same
 * page before and after each (the page says so). Pure: values in, strings out.
 */
import type { ObservationVerdict } from '../check/tally.ts';
import type { CheckOutcome } from '../check/result.ts';
import { hex } from '../kernel/constants.ts';

/** Observations listed in full up to this many. */
export const MAX_ROWS = 5000;
/** Beyond MAX_ROWS: the mismatches (then unknowns) listed, each with its context. */
export const MAX_GROUPS = 200;
/** Observations of the same page shown before and after a listed mismatch. */
export const CONTEXT = 2;
/** Pages whose recorded count is drawn (page_ref-only traces). */
export const MAX_PAGES = 24;
/** Points per drawn page. */
export const MAX_PAGE_POINTS = 400;

/** One observation as the page lists it. */
export interface ObsRow {
  readonly line: number;
  readonly pfn: number;
  readonly field: string;
  readonly recorded: string;
  readonly simulated: string;
  readonly fn: string;
  readonly verdict: ObservationVerdict['verdict'];
}

function shownValue(v: number | bigint | string | null): string {
  if (v === null) return '—';
  return typeof v === 'bigint' ? `0x${v.toString(16)}` : String(v);
}

function rowOf(o: ObservationVerdict): ObsRow {
  return { line: o.line, pfn: o.pfn, field: o.field, recorded: shownValue(o.recorded), simulated: shownValue(o.simulated), fn: o.fn, verdict: o.verdict };
}

interface Group {
  readonly rows: ObsRow[];
  after: number;
}

/** Collects a streaming check's observations in bounded memory (pass it as `observe`). */
export class ObservationCollector {
  total = 0;
  /** Every observation, while there are at most MAX_ROWS. */
  private all: ObsRow[] | null = [];
  /** Observations and mismatches/unknowns per page. */
  readonly perPage = new Map<number, { n: number; bad: number }>();
  private readonly last = new Map<number, ObsRow[]>();
  private readonly groups: Group[] = [];
  private readonly awaiting = new Map<number, Group[]>();
  private badGroups = 0;

  readonly observe = (o: ObservationVerdict): void => {
    this.total++;
    const row = rowOf(o);
    const bad = o.verdict !== 'match';
    const p = this.perPage.get(o.pfn);
    if (p) {
      p.n++;
      if (bad) p.bad++;
    } else this.perPage.set(o.pfn, { n: 1, bad: bad ? 1 : 0 });
    if (this.all) {
      this.all.push(row);
      if (this.all.length > MAX_ROWS) this.all = null;
    }
    // context: the observations of this page after a listed mismatch
    const waiting = this.awaiting.get(o.pfn);
    if (waiting) {
      for (const g of waiting) {
        g.rows.push(row);
        g.after--;
      }
      const still = waiting.filter((g) => g.after > 0);
      if (still.length) this.awaiting.set(o.pfn, still);
      else this.awaiting.delete(o.pfn);
    }
    if (bad && this.badGroups < MAX_GROUPS) {
      this.badGroups++;
      const g: Group = { rows: [...(this.last.get(o.pfn) ?? []), row], after: CONTEXT };
      this.groups.push(g);
      this.awaiting.set(o.pfn, [...(this.awaiting.get(o.pfn) ?? []), g]);
    }
    let ring = this.last.get(o.pfn);
    if (!ring) this.last.set(o.pfn, (ring = []));
    ring.push(row);
    if (ring.length > CONTEXT) ring.shift();
  };

  /** True when every observation is kept (no more than MAX_ROWS). */
  get complete(): boolean {
    return this.all !== null;
  }

  /** The observations to list, by trace line: all of them, or the mismatches and unknowns with their context. */
  rows(): ObsRow[] {
    // an observation is decided when its marker is replayed, not always in line order
    if (this.all) return [...this.all].sort((a, b) => a.line - b.line);
    const seen = new Set<string>();
    const out: ObsRow[] = [];
    for (const g of this.groups) {
      for (const r of g.rows) {
        const k = `${r.line}:${r.pfn}:${r.field}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(r);
      }
    }
    return out.sort((a, b) => a.line - b.line || a.pfn - b.pfn);
  }

  /** The pages to draw: those with mismatches or unknowns first, then the most observed. */
  pages(max = MAX_PAGES): number[] {
    return [...this.perPage]
      .sort((a, b) => b[1].bad - a[1].bad || b[1].n - a[1].n || a[0] - b[0])
      .slice(0, max)
      .map(([pfn]) => pfn)
      .sort((a, b) => a - b);
  }
}

/** One point of a drawn page: its recorded and simulated count after one page_ref event. */
export interface CountPoint {
  readonly line: number;
  readonly recorded: number;
  readonly simulated: number | null;
  readonly verdict: ObservationVerdict['verdict'];
  /** The function and field. */
  readonly fn: string;
  /** A count (drawn at its value), else another field (marked on the time axis). */
  readonly onAxis: boolean;
}

/**
 * Collects the `count` observations of chosen pages (a second pass of the check):
 * every k-th per page, where k keeps a page under MAX_PAGE_POINTS, plus every one
 * that is not a match.
 */
export class CountCollector {
  readonly points = new Map<number, CountPoint[]>();
  private readonly stride: Map<number, number>;
  private readonly seen = new Map<number, number>();
  sampled = false;

  constructor(pages: readonly number[], counts: ReadonlyMap<number, { n: number }>) {
    this.stride = new Map(pages.map((p) => [p, Math.max(1, Math.ceil((counts.get(p)?.n ?? 1) / MAX_PAGE_POINTS))]));
    for (const p of pages) this.points.set(p, []);
  }

  readonly observe = (o: ObservationVerdict): void => {
    const k = this.stride.get(o.pfn);
    if (k === undefined) return;
    const i = this.seen.get(o.pfn) ?? 0;
    this.seen.set(o.pfn, i + 1);
    if (k > 1) this.sampled = true;
    const bad = o.verdict !== 'match';
    // the count axis holds counts; another field's disagreement is a mark at its line
    const count = o.field === 'count' || o.field === 'count before';
    if (!bad && (!count || i % k !== 0)) return;
    const num = (v: number | bigint | string | null): number | null => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);
    const recorded = num(o.recorded);
    if (recorded === null) return;
    this.points.get(o.pfn)!.push({ line: o.line, recorded, simulated: num(o.simulated), verdict: o.verdict, fn: `${o.fn} ${o.field}`, onAxis: count });
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Where each listed row stands in the final verdict (the report moves mismatches after lost events to unknown). */
function finalVerdicts(outcome: CheckOutcome): (r: ObsRow) => { verdict: string; why?: string } {
  const reasons = new Map<string, string>();
  for (const u of outcome.unknowns) reasons.set(`${u.line}:${u.pfn}:${u.field}`, u.reason);
  return (r) => {
    const why = r.verdict === 'match' ? undefined : reasons.get(`${r.line}:${hex(r.pfn)}:${r.field}`);
    return why === undefined ? { verdict: r.verdict } : { verdict: 'unknown', why };
  };
}

/** A trace line from its event name on (the task, CPU, flags and timestamp before it are left out). */
function eventText(line: string): string {
  const m = /\s\d+\.\d+:\s+(.*)$/.exec(line);
  return m ? m[1]! : line.trim();
}

/** The findings the check's replay raised, at the trace line of the Op that raised each. */
function checkFindingsHtml(outcome: CheckOutcome): string {
  if (outcome.findings.length === 0) return '';
  const rows = outcome.findings.map((f) => {
    const line = outcome.findingLines.get(f.seq);
    return `<tr class="finding ${f.severity}" data-code="${esc(f.code)}"><td>${line ?? ''}</td><td>${esc(f.code)}</td><td>${esc(f.severity)}</td><td>${esc(f.pfn ?? '')}</td><td>${esc(f.function)}</td><td>${esc(f.message)}</td></tr>`;
  });
  return `<table id="check-findings"><thead><tr><th>line</th><th>finding</th><th>severity</th><th>pfn</th><th>function</th><th>message</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The check summary and the observations table. `text` gives a trace line's text (when it was read). */
export function checkSectionHtml(outcome: CheckOutcome, collector: ObservationCollector, text: (line: number) => string | undefined): string {
  const rows = collector.rows();
  const m = outcome.mismatches.length;
  const head = [
    `<h2 id="check">Check against ${esc(outcome.profile)}</h2>`,
    `<p id="check-verdict">kernel ${esc(outcome.kernel)}, profile ${esc(outcome.profile)}: ${outcome.observations} observations, ${outcome.matched} matched, ${outcome.unknown} unknown, ${outcome.untraced.length} untraced, ${m} mismatch${m === 1 ? '' : 'es'}, ${outcome.findings.length} finding${outcome.findings.length === 1 ? '' : 's'}.</p>`,
    ...(outcome.assumptions ?? []).map((a) => `<p class="assumption">assumption: ${esc(a)}</p>`),
    checkFindingsHtml(outcome),
    collector.complete
      ? `<p class="note" id="obs-note">Every observation is listed by trace line; mismatches are red, unknowns grey.</p>`
      : `<p class="note" id="obs-note">${esc(`The check decided ${collector.total} observations: too many to list. Shown: the first ${MAX_GROUPS} that are not matches (mismatches, unknowns, untraced changes), each with up to ${CONTEXT} observations of the same page before and after it; the counts above are of every observation.`)}</p>`,
  ];
  const verdictOf = finalVerdicts(outcome);
  const trs = rows.map((r) => {
    const v = verdictOf(r);
    const t = text(r.line);
    return `<tr class="obs ${v.verdict}" id="L${r.line}-${hex(r.pfn)}-${esc(r.field)}" data-line="${r.line}" data-pfn="${hex(r.pfn)}" data-verdict="${v.verdict}"><td>${r.line}</td><td>${esc(r.fn)}</td><td>${hex(r.pfn)}</td><td>${esc(r.field)}</td><td>${esc(r.recorded)}</td><td>${esc(r.simulated)}</td><td>${esc(v.verdict)}${v.why ? `: ${esc(v.why)}` : ''}</td><td class="src">${t === undefined ? '' : esc(eventText(t))}</td></tr>`;
  });
  const table = rows.length
    ? `<table id="observations"><thead><tr><th>line</th><th>function</th><th>pfn</th><th>field</th><th>recorded</th><th>${esc(outcome.profile)}</th><th>verdict</th><th>trace line</th></tr></thead><tbody>${trs.join('')}</tbody></table>`
    : '<p>No observation to list.</p>';
  return [...head, table].join('\n');
}

/** The recorded count of each drawn page against the model's, by trace line (page_ref-only traces). */
export function countChartsHtml(model: string, points: ReadonlyMap<number, readonly CountPoint[]>, sampled: boolean, firstLine: number, lastLine: number): string {
  const W = 900;
  const H = 160;
  const L = 40;
  const R = 10;
  const T = 10;
  const B = 20;
  const l0 = firstLine;
  const l1 = Math.max(l0 + 1, lastLine);
  const x = (line: number): number => L + ((line - l0) / (l1 - l0)) * (W - L - R);
  const out: string[] = [
    '<h2>Recorded counts</h2>',
    `<p class="legend"><span style="color:#222">■ recorded</span> <span style="color:#1f77b4">■ ${esc(model)}</span> (dashed) — the page's _refcount after each page_ref event, by trace line; red: mismatch, grey: unknown (a point on the axis is a field other than the count: its mapcount, say). Hover a point for its values.</p>`,
  ];
  if (sampled) out.push(`<p class="note" id="count-sampling">${esc(`Each page keeps at most ${MAX_PAGE_POINTS} points (every k-th page_ref count, and every observation that is not a match).`)}</p>`);
  for (const [pfn, pts] of points) {
    let ymax = 1;
    const counts = pts.filter((p) => p.onAxis);
    for (const p of counts) ymax = Math.max(ymax, p.recorded, p.simulated ?? 0);
    const y = (v: number): number => T + (1 - Math.log2(1 + Math.max(0, v)) / Math.log2(1 + ymax)) * (H - T - B);
    const path = (get: (p: CountPoint) => number | null): string => {
      let d = '';
      for (const p of counts) {
        const v = get(p);
        if (v === null) continue;
        d += `${d === '' ? 'M' : 'H'}${x(p.line).toFixed(1)}${d === '' ? ',' : 'V'}${y(v).toFixed(1)}`;
      }
      return d;
    };
    const parts: string[] = [];
    for (const tick of [0, 1, 2, 4, 16, 64, 256, 1024, 4096]) {
      if (tick > ymax) break;
      parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/><text class="tick" x="${L - 4}" y="${(y(tick) + 3).toFixed(1)}" text-anchor="end">${tick}</text>`);
    }
    parts.push(
      `<path class="line recorded" d="${path((p) => p.recorded)}" stroke="#222"/>`,
      `<path class="line simulated" d="${path((p) => p.simulated)}" stroke="#1f77b4" stroke-dasharray="5,3"/>`,
    );
    for (const p of pts) {
      const fill = p.verdict === 'match' ? '#1f77b4' : p.verdict === 'mismatch' ? '#e00' : '#999';
      const info = `line ${p.line} ${p.fn}: recorded ${p.recorded}, ${model} ${p.simulated ?? '—'} (${p.verdict})`;
      const cy = p.onAxis ? y(p.recorded) : H - B;
      parts.push(`<circle class="pt obs-pt ${p.verdict}" cx="${x(p.line).toFixed(1)}" cy="${cy.toFixed(1)}" r="${p.verdict === 'match' ? 3 : 5}" fill="${fill}" data-line="${p.line}" data-info="${esc(info)}"><title>${esc(info)}</title></circle>`);
    }
    out.push(`<section class="page" data-pfn="${hex(pfn)}"><h3>page ${hex(pfn)}</h3><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="page ${hex(pfn)} recorded and simulated count">${parts.join('')}<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><text class="tick" x="${L}" y="${H - 4}">line ${l0}</text><text class="tick" x="${W - R}" y="${H - 4}" text-anchor="end">line ${l1}</text></svg></section>`);
  }
  return out.join('\n');
}
