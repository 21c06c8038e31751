/**
 * The text form of a check: one summary line (what `check` concluded), then each
 * mismatch with the trace line it was read from, each untraced change, each unknown
 * and the model's findings. Values in, text out, a line at a time (a report of a long
 * trace is never one string); the caller supplies the lines.
 */
import { errorFindingTotal, findingTotal, mismatchTotal, untracedTotal, type CheckOutcome } from './result.ts';
import type { EvidenceLine } from './finding-evidence.ts';
import { wrap } from '../report/wrap.ts';
import { OTHER_REASONS } from './tally.ts';

/** Unknowns printed one per line in the text report; the rest are counted by reason. */
export const MAX_UNKNOWN_LINES = 200;

/**
 * A finding message as the start of a sentence: capitalised, unless it begins with a
 * kernel or libc name (`mprotect() of mm:…`), which keeps its case (`Mprotect()` names
 * nothing).
 */
export function sentenceStart(message: string): string {
  if (/^[a-z_][a-z0-9_]*\(/.test(message)) return message;
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
}

/** The one-line verdict. */
export function checkSummary(o: CheckOutcome): string {
  const errors = errorFindingTotal(o);
  const verdict = o.observations === 0 ? 'nothing compared' : mismatchTotal(o) > 0 ? 'MISMATCH' : errors > 0 ? 'FINDINGS' : 'ok';
  const resting = (o.assumptions ?? []).length > 0 ? ` (assuming the ${(o.assumptions ?? []).length} assumption(s) below)` : '';
  const lost = o.lost !== undefined && o.lost.events > 0 ? `, ${o.lost.events} events lost` : '';
  return `${verdict}${resting}: ${o.observations} observations, ${o.matched} matched, ${o.unknown} unknown, ${untracedTotal(o)} untraced, ${mismatchTotal(o)} mismatches, ${findingTotal(o)} findings${lost}`;
}

/**
 * The line saying how many of a kind a --max-details cap left out, or nothing. Counts are
 * plain digits (`2998000`), as in the summary line and every other command's text: one
 * style, and no locale in it.
 */
function notListedLine(o: CheckOutcome, n: number, one: string, many: string): string[] {
  if (n <= 0 || o.notListed === undefined) return [];
  return [`… and ${n} more ${n === 1 ? one : many} not listed (--max-details ${o.notListed.maxDetails})`];
}

/** The whole text report as one string (formatCheckText's lines joined; for short reports and tests). */
export function formatCheckText(file: string, o: CheckOutcome, lineText: (line: number) => string | undefined, evidence: ReadonlyMap<number, readonly EvidenceLine[]> = new Map()): string {
  const out: string[] = [];
  writeCheckText((line) => void out.push(line), file, o, lineText, evidence);
  return `${out.join('\n')}\n`;
}

/**
 * The whole text report, one line (without its newline) at a time to `emit`. `lineText`
 * gives a trace line's text (of the checked trace, or B's with --against); `evidence`
 * the trace's evidence per finding (by index), printed under it: prose wrapped at 80
 * columns, trace lines quoted whole. A kind cut by --max-details ends with a line
 * saying how many more there are.
 */
export function writeCheckText(emit: (line: string) => void, file: string, o: CheckOutcome, lineText: (line: number) => string | undefined, evidence: ReadonlyMap<number, readonly EvidenceLine[]> = new Map()): void {
  const out = { push: (...lines: string[]): void => lines.forEach((l) => emit(l)) };
  const kconfig = Object.entries(o.kconfig).map(([k, v]) => `${k}=${v}`).join(' ');
  if (o.against) {
    out.push(`${o.against.trace} (kernel ${o.against.kernel}) replayed under ${file}: kernel ${o.kernel}, profile ${o.profile}`);
    if (o.against.unobservable.length > 0) {
      out.push(`not observable in ${o.against.trace}: ${o.against.unobservable.map((u) => `${u.kind} (${u.reason})`).join('; ')}`);
    }
    for (const u of o.against.replayed) {
      out.push(`replayed as a put: ${o.against.trace} lines ${u.lines[0]}–${u.lines[1]}, pfn ${u.pfn} ${u.field} ${u.before} -> ${u.after} with no recorded event (its own snaps show it)`);
    }
  } else out.push(`${file}: kernel ${o.kernel}, profile ${o.profile}`);
  if (kconfig !== '') out.push(`kconfig: ${kconfig}`);
  for (const d of o.details ?? []) out.push(`  ${d}`);
  for (const w of o.warnings ?? []) out.push(`warning: ${w}`);
  out.push(checkSummary(o));
  for (const a of o.assumptions ?? []) out.push(`assumption: ${a}`);
  for (const l of o.lost?.at ?? []) {
    out.push(`lost: ${l.events} event(s) ${l.line === 0 ? 'before the first event (entries-in-buffer/entries-written: the ring buffer overwrote them)' : `at line ${l.line}${l.cpu === null ? '' : ` (CPU ${l.cpu}, ${l.how})`}`}; later disagreements are unknown`);
  }
  if ((o.skipped ?? []).length > 0) out.push(`skipped (not lifted): ${(o.skipped ?? []).map((s) => `${s.count} ${s.event}`).join(', ')}`);
  for (const m of o.mismatches) {
    out.push(`mismatch at line ${m.line} (${m.function}): pfn ${m.pfn} ${m.field} recorded ${m.recorded}, simulated ${m.simulated ?? 'none'}`);
    const text = lineText(m.line);
    if (text !== undefined) out.push(`  ${m.line} | ${text.trim()}`);
  }
  out.push(...notListedLine(o, o.notListed?.mismatches ?? 0, 'mismatch', 'mismatches'));
  for (const u of o.untraced) {
    // line 0: no earlier line of the page (or no earlier snap) bounds the change, only the trace's start
    const where = u.lines[0] > 0 ? `between lines ${u.lines[0]} and ${u.lines[1]}` : `before line ${u.lines[1]}`;
    out.push(`untraced change ${where}: pfn ${u.pfn} ${u.field} ${u.before} -> ${u.after} (no recorded event explains it; continuing from the recorded value)`);
  }
  out.push(...notListedLine(o, o.notListed?.untraced ?? 0, 'untraced change', 'untraced changes'));
  // a long trace can have unknowns by the hundred thousand: the first ones, then a count per reason (the JSON has them all)
  for (const u of o.unknowns.slice(0, MAX_UNKNOWN_LINES)) {
    out.push(`unknown at line ${u.line} (${u.function}): pfn ${u.pfn} ${u.field} recorded ${u.recorded}${u.simulated === null ? '' : `, simulated ${u.simulated}`}: ${u.reason}`);
  }
  if (o.unknowns.length > MAX_UNKNOWN_LINES || o.unknownsOmitted !== undefined) {
    const byReason = new Map<string, number>();
    for (const u of o.unknowns.slice(MAX_UNKNOWN_LINES)) byReason.set(`${u.field}: ${u.reason}`, (byReason.get(`${u.field}: ${u.reason}`) ?? 0) + 1);
    // those a check kept no more of (keepUnknowns) come after the kept ones
    for (const [why, n] of o.unknownsOmitted ?? []) byReason.set(why, (byReason.get(why) ?? 0) + n);
    for (const [why, n] of byReason) {
      // past --max-details reasons, the rest are one count (a reason may name a line)
      if (why === OTHER_REASONS) out.push(`… and ${n} more unknowns of other reasons not listed (--max-details ${o.notListed?.maxDetails ?? 0})`);
      else out.push(`… and ${n} more unknown ${why}`);
    }
  }
  // in --against mode the Ops and their lines are the replayed trace's
  const of = o.against ? ` of ${o.against.trace}` : '';
  o.findings.forEach((f, i) => {
    // a kernel reader knows the trace's lines, not the lifter's Op numbers
    const message = f.message.replace(/\(Op #(\d+)\)|Op #(\d+)/g, (m, a: string | undefined, b: string | undefined) => {
      const line = o.findingLines.get(Number(a ?? b));
      if (line === undefined) return m;
      return a !== undefined ? `(line ${line}${of})` : `the Op at line ${line}${of}`;
    });
    const line = o.findingLines.get(f.seq);
    const at = line === undefined ? `Op #${f.seq}` : `line ${line}${of}`;
    out.push(`finding ${f.code} (${f.severity}) at ${at}${f.pfn === null ? '' : `, pfn ${f.pfn}`}, in ${f.function}:`);
    out.push(...wrap(`${sentenceStart(message)}.`, '  ', '  '));
    for (const e of evidence.get(i) ?? []) {
      if ('quote' in e) out.push(`    ${e.line} | ${e.quote}`);
      else out.push(...wrap(e.text, '  ', '    '));
    }
  });
  out.push(...notListedLine(o, o.notListed?.findings ?? 0, 'finding', 'findings'));
}
