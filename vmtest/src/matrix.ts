/**
 * The matrix: one cell per kernel × target × workload, from `check --format json`,
 * and its text table. A cell passes when check exited 0 on a complete trace with at
 * least one observation.
 */

/** The part of check's JSON report a cell uses. */
export interface CheckJson {
  kernel: string | null;
  profile: string | null;
  observations: number;
  matched: number;
  unknown: number;
  untraced: unknown[];
  mismatches: { line: number; pfn: string | null; field: string; recorded: unknown; simulated: unknown; function: string | null }[];
}

export type CellStatus = 'ok' | 'mismatch' | 'untraced' | 'no-observations' | 'no-trace' | 'check-error';

export interface Cell {
  kernel: string;
  target: string;
  workload: string;
  status: CellStatus;
  /** Trace file, relative to the repository. */
  trace: string | null;
  /** The workload's (recorder's) exit status in the guest. */
  rc: string | null;
  profile: string | null;
  observations: number;
  matched: number;
  unknown: number;
  untraced: number;
  mismatches: CheckJson['mismatches'];
  /** Why a cell has no verdict (no trace, check failed). */
  note: string | null;
  /** Guest seconds the run took (recorder set-up, workload, trace output), when known. */
  seconds?: number;
}

/** Validates check's JSON enough to count on it; throws with what is missing. */
export function parseCheckJson(text: string): CheckJson {
  const v = JSON.parse(text) as Record<string, unknown>;
  for (const k of ['observations', 'matched', 'unknown'] as const) {
    if (typeof v[k] !== 'number') throw new Error(`check JSON: ${k} is not a number`);
  }
  if (!Array.isArray(v.untraced) || !Array.isArray(v.mismatches)) throw new Error('check JSON: untraced/mismatches are not arrays');
  return v as unknown as CheckJson;
}

/**
 * A cell from a check run: exit 0 → ok, 1 with mismatches → mismatch, anything else →
 * check-error. With `strictUntraced` (the page_ref tier, where every refcount change
 * is a tracepoint) a clean check that still reports untraced changes does not pass.
 */
export function cellFromCheck(base: Pick<Cell, 'kernel' | 'target' | 'workload' | 'trace' | 'rc'>, exit: number | null, stdout: string, stderr: string, strictUntraced = false): Cell {
  let j: CheckJson | null = null;
  let err: string | null = null;
  try {
    j = parseCheckJson(stdout);
  } catch (e) {
    err = (e as Error).message;
  }
  const counts = {
    profile: j?.profile ?? null,
    observations: j?.observations ?? 0,
    matched: j?.matched ?? 0,
    unknown: j?.unknown ?? 0,
    untraced: j?.untraced.length ?? 0,
    mismatches: j?.mismatches ?? [],
  };
  // a trace with nothing to compare checks nothing: the recorder's probes saw none of the workload's pages
  if (j !== null && exit === 0 && j.observations === 0) return { ...base, ...counts, status: 'no-observations', note: 'check found no observation in the trace' };
  if (j !== null && exit === 0 && strictUntraced && j.untraced.length > 0) {
    return { ...base, ...counts, status: 'untraced', note: `${j.untraced.length} refcount changes untraced on a page_ref kernel` };
  }
  if (j !== null && exit === 0) return { ...base, ...counts, status: 'ok', note: null };
  if (j !== null && exit === 1 && j.mismatches.length > 0) return { ...base, ...counts, status: 'mismatch', note: null };
  const why = stderr.trim().split('\n').slice(0, 3).join(' | ') || err || 'no output';
  return { ...base, ...counts, status: 'check-error', note: `check exited ${exit ?? 'by a signal'}: ${why}` };
}

export function noTraceCell(base: Pick<Cell, 'kernel' | 'target' | 'workload' | 'rc'>, note: string): Cell {
  return { ...base, trace: null, status: 'no-trace', profile: null, observations: 0, matched: 0, unknown: 0, untraced: 0, mismatches: [], note };
}

export function cellPassed(c: Cell): boolean {
  return c.status === 'ok';
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

const STATUS_TEXT: Readonly<Record<CellStatus, string>> = { ok: 'ok', mismatch: 'MISMATCH', untraced: 'UNTRACED', 'no-observations': 'NO OBSERVATIONS', 'no-trace': 'NO TRACE', 'check-error': 'CHECK ERROR' };

/** The matrix table, then one line per mismatch and per cell without a verdict. */
export function formatMatrix(cells: readonly Cell[]): string {
  const head = ['kernel', 'target', 'workload', 'profile', 'obs', 'matched', 'unknown', 'untraced', 'mismatch', 'secs', 'result'];
  const rows = cells.map((c) => [c.kernel, c.target, c.workload, c.profile ?? '-', String(c.observations), String(c.matched), String(c.unknown), String(c.untraced), String(c.mismatches.length), c.seconds === undefined ? '-' : c.seconds.toFixed(1), STATUS_TEXT[c.status]]);
  const numeric = new Set([4, 5, 6, 7, 8, 9]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => r.map((s, i) => pad(s, widths[i]!, numeric.has(i))).join('  ').trimEnd();
  const lines = [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  const details: string[] = [];
  for (const c of cells) {
    for (const m of c.mismatches) {
      details.push(`  ${c.trace ?? '?'}:${m.line} ${m.field} pfn ${m.pfn ?? '-'}: recorded ${JSON.stringify(m.recorded)}, simulated ${JSON.stringify(m.simulated)}${m.function !== null ? ` (${m.function})` : ''}`);
    }
    if (c.note !== null) details.push(`  ${c.kernel} ${c.target} ${c.workload}: ${c.note}`);
  }
  if (details.length > 0) lines.push('', 'mismatches and cells without a verdict:', ...details);
  return lines.join('\n') + '\n';
}

/** Totals for the summary line and CI. */
export function totals(cells: readonly Cell[]): { cells: number; passed: number; failed: number; mismatches: number; observations: number } {
  let passed = 0;
  let mismatches = 0;
  let observations = 0;
  for (const c of cells) {
    if (cellPassed(c)) passed++;
    mismatches += c.mismatches.length;
    observations += c.observations;
  }
  return { cells: cells.length, passed, failed: cells.length - passed, mismatches, observations };
}
