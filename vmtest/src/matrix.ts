/**
 * The matrix: one cell per kernel × target × workload, from `check --format json`,
 * and its text table. A cell passes when check found no mismatch on a complete trace
 * with at least one observation, every finding it reports is one the workload's
 * PHASE markers (expectationProblems()) or the kernel's console (judgeConsole()) say
 * the kernel really showed, and the console shows no kernel warning of the run that
 * no finding predicts.
 */
import { CONSOLE_SITES, judgeConsole, traceTimes, type BootConsole, type ConfirmedLine } from './console.ts';

/** The part of check's JSON report a cell uses. */
export interface CheckJson {
  kernel: string | null;
  profile: string | null;
  observations: number;
  matched: number;
  unknown: number;
  untraced: unknown[];
  mismatches: { line: number; pfn: string | null; field: string; recorded: unknown; simulated: unknown; function: string | null }[];
  /** The model's findings; `line`: the trace line of the Op they are reported at. */
  findings?: { code: string; severity: string; pfn: string | null; function: string; message: string; line?: number }[];
}

/** A finding of a cell, placed in the workload phase its line falls in. */
export interface CellFinding {
  code: string;
  severity: string;
  line: number | null;
  pfn: string | null;
  function: string;
  /** The PHASE (with its alarm_fired=) the finding's line falls in, or null. */
  phase: string | null;
}

/**
 * A bounded wait of a workload (fsdax-race's cut_bounded()): the lines of its
 * `PHASE <word> begin` and end markers, and the end marker's alarm_fired=. 1 means the
 * punch or truncate slept until the workload's alarm (ALARM_S), i.e. no reference drop
 * woke it: what the missed-wakeup finding models.
 */
export interface PhaseWait {
  phase: string;
  begin: number;
  end: number;
  alarmFired: boolean;
}

export type CellStatus = 'ok' | 'mismatch' | 'finding' | 'untraced' | 'no-observations' | 'no-trace' | 'check-error';

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
  /** check's findings: on an ok cell, each is what the kernel really did. */
  findings: CellFinding[];
  /** The console lines (kernel WARNINGs, bad pud) that confirmed findings, when the console was judged. */
  console?: ConfirmedLine[];
  /** Why a cell has no verdict (no trace, check failed), or why its findings fail it. */
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

const MARKER = /tracing_mark_write: PHASE (\S+) (begin|ok|fail)\b(.*)$/;

/** The bounded waits of a trace: PHASE markers whose end marker prints alarm_fired=. */
export function phaseWaits(traceText: string): PhaseWait[] {
  const begins = new Map<string, number>();
  const out: PhaseWait[] = [];
  traceText.split('\n').forEach((text, i) => {
    const m = MARKER.exec(text);
    if (m === null) return;
    const [, phase, what, rest] = m as unknown as [string, string, string, string];
    if (what === 'begin') begins.set(phase, i + 1);
    const fired = /\balarm_fired=([01])\b/.exec(rest);
    if (what !== 'begin' && fired !== null && begins.has(phase)) out.push({ phase, begin: begins.get(phase)!, end: i + 1, alarmFired: fired[1] === '1' });
  });
  return out;
}

/** The bounded wait a trace line falls in, if any. */
function waitAt(waits: readonly PhaseWait[], line: number | null): PhaseWait | undefined {
  return line === null ? undefined : waits.find((w) => w.begin <= line && line <= w.end);
}

function phaseWords(w: PhaseWait): string {
  return `${w.phase} alarm_fired=${w.alarmFired ? 1 : 0}`;
}

/**
 * Whether the findings are what the kernel did, by the workload's own markers. A
 * missed-wakeup finding must fall in a bounded wait whose end says alarm_fired=1 (the
 * punch slept until the alarm: nothing woke it); one in a wait that ended without the
 * alarm, or outside every bounded wait, is a false finding. A wait that ended only by
 * the alarm with no missed-wakeup in it is a missed wakeup the model did not predict.
 * Any other error finding has no marker that confirms it, so it fails too (the model
 * may be wrong), unless the console judges it (`byConsole`: the codes with a console
 * message, when the console is read); warnings and notes pass here. Returns one
 * sentence per problem.
 */
export function expectationProblems(findings: readonly CellFinding[], waits: readonly PhaseWait[], byConsole: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = [];
  for (const f of findings) {
    const at = f.line === null ? 'at an unknown line' : `at line ${f.line}`;
    if (f.code === 'missed-wakeup') {
      const w = waitAt(waits, f.line);
      if (w === undefined) problems.push(`missed-wakeup ${at} falls in no alarm-bounded phase`);
      else if (!w.alarmFired) problems.push(`missed-wakeup ${at}, but phase ${w.phase} ended without the alarm (alarm_fired=0): something woke the waiter`);
    } else if (f.severity === 'error' && !byConsole.has(f.code)) problems.push(`${f.code} ${at}: no PHASE marker states that the kernel did this`);
  }
  for (const w of waits) {
    if (w.alarmFired && !findings.some((f) => f.code === 'missed-wakeup' && waitAt([w], f.line) !== undefined)) {
      problems.push(`phase ${w.phase} (lines ${w.begin}-${w.end}) slept until the alarm (alarm_fired=1), and check reports no missed-wakeup in it`);
    }
  }
  return problems;
}

/**
 * A cell from a check run. Exit 0, or exit 1 with no mismatch and error findings only:
 * the model matched the kernel, and the cell passes when its findings agree with the
 * workload's markers (`waits`, from phaseWaits(); expectationProblems()) and, given the
 * boot's console (`boot`, from parseBootConsole()), with the kernel messages of its run
 * (judgeConsole(); `traceText` times the findings), else it is a `finding` cell. Exit 1 with mismatches → mismatch; anything else → check-error. With
 * `strictUntraced` (the page_ref tier, where every refcount change is a tracepoint) a
 * clean check that still reports untraced changes does not pass.
 */
export function cellFromCheck(base: Pick<Cell, 'kernel' | 'target' | 'workload' | 'trace' | 'rc'>, exit: number | null, stdout: string, stderr: string, strictUntraced = false, waits: readonly PhaseWait[] = [], boot: BootConsole | null = null, traceText = ''): Cell {
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
    findings: (j?.findings ?? []).map((f): CellFinding => {
      const w = waitAt(waits, f.line ?? null);
      return { code: f.code, severity: f.severity, line: f.line ?? null, pfn: f.pfn, function: f.function, phase: w === undefined ? null : phaseWords(w) };
    }),
  };
  // check exits 1 on an error finding too: with no mismatch the model still matched the kernel
  const agreed = j !== null && (exit === 0 || (exit === 1 && j.mismatches.length === 0 && counts.findings.some((f) => f.severity === 'error')));
  // a trace with nothing to compare checks nothing: the recorder's probes saw none of the workload's pages
  if (j !== null && agreed && j.observations === 0) return { ...base, ...counts, status: 'no-observations', note: 'check found no observation in the trace' };
  if (j !== null && agreed && strictUntraced && j.untraced.length > 0) {
    return { ...base, ...counts, status: 'untraced', note: `${j.untraced.length} refcount changes untraced on a page_ref kernel` };
  }
  if (agreed) {
    const byConsole = new Set(boot === null ? [] : Object.keys(CONSOLE_SITES));
    const con = boot === null ? null : judgeConsole(counts.findings, boot, base.target, base.workload, traceTimes(traceText));
    const problems = [...expectationProblems(counts.findings, waits, byConsole), ...(con?.problems ?? [])];
    const withConsole = con === null ? counts : { ...counts, console: con.confirmed };
    return { ...base, ...withConsole, status: problems.length === 0 ? 'ok' : 'finding', note: problems.length === 0 ? null : problems.join('; ') };
  }
  if (j !== null && exit === 1 && j.mismatches.length > 0) return { ...base, ...counts, status: 'mismatch', note: null };
  const why = stderr.trim().split('\n').slice(0, 3).join(' | ') || err || 'no output';
  return { ...base, ...counts, status: 'check-error', note: `check exited ${exit ?? 'by a signal'}: ${why}` };
}

export function noTraceCell(base: Pick<Cell, 'kernel' | 'target' | 'workload' | 'rc'>, note: string): Cell {
  return { ...base, trace: null, status: 'no-trace', profile: null, observations: 0, matched: 0, unknown: 0, untraced: 0, mismatches: [], findings: [], note };
}

export function cellPassed(c: Cell): boolean {
  return c.status === 'ok';
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

const STATUS_TEXT: Readonly<Record<CellStatus, string>> = { ok: 'ok', mismatch: 'MISMATCH', finding: 'FINDING', untraced: 'UNTRACED', 'no-observations': 'NO OBSERVATIONS', 'no-trace': 'NO TRACE', 'check-error': 'CHECK ERROR' };

/**
 * The matrix table, then one line per mismatch and per cell without a verdict, then
 * the findings of the cells (on an ok cell: what the kernel did, confirmed by the
 * workload's markers or the console), then the console lines that confirmed them.
 */
export function formatMatrix(cells: readonly Cell[]): string {
  const head = ['kernel', 'target', 'workload', 'profile', 'obs', 'matched', 'unknown', 'untraced', 'mismatch', 'findings', 'secs', 'result'];
  const rows = cells.map((c) => [c.kernel, c.target, c.workload, c.profile ?? '-', String(c.observations), String(c.matched), String(c.unknown), String(c.untraced), String(c.mismatches.length), String(c.findings.length), c.seconds === undefined ? '-' : c.seconds.toFixed(1), STATUS_TEXT[c.status]]);
  const numeric = new Set([4, 5, 6, 7, 8, 9, 10]);
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
  const found: string[] = [];
  for (const c of cells) {
    for (const f of c.findings) {
      found.push(`  ${c.trace ?? '?'}:${f.line ?? '?'} ${f.code} (${f.severity}) pfn ${f.pfn ?? '-'} in ${f.function}${f.phase !== null ? `, phase ${f.phase}` : ''}${c.status === 'ok' ? '' : ` [${STATUS_TEXT[c.status]}]`}`);
    }
  }
  if (found.length > 0) lines.push('', 'findings (the kernel behaviour check reports; details in each .check.json):', ...found);
  const seen: string[] = [];
  for (const c of cells) {
    for (const l of c.console ?? []) {
      seen.push(`  ${c.kernel} ${l.file}:${l.line} ${l.text} <- ${c.target} ${c.workload}: ${l.codes.join(', ')}${l.earlier ? ' (printed before the run: WARN_ON_ONCE fired earlier in the boot)' : ''}`);
    }
  }
  if (seen.length > 0) lines.push('', 'console lines that confirm findings (kernel messages the findings model):', ...seen);
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
