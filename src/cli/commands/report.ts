/**
 * `dax-refsim report <input> --html out.html`: the self-contained HTML page of the
 * run under each model (src/visual/html.ts), with the diff of two. A recorded trace
 * is also checked (streamed, as `check` does): its observations are listed by trace
 * line with the mismatches highlighted (src/visual/check-view.ts). A page_ref-only
 * trace (no probe definitions) lifts to no Ops the models could replay: its page
 * shows the recorded counts against the recording kernel's model instead of the
 * two-model timelines, and reads the trace as a stream, never whole.
 */
import type { Argv, CommandModule } from 'yargs';
import { EXIT, type CliContext } from '../context.ts';
import { readVisualInput } from './visual-input.ts';
import { checkOutputTarget, writeFileAtomic } from '../../io/write-file.ts';
import { htmlReport } from '../../visual/html.ts';
import { diffOps } from '../../diff/diff-runs.ts';
import { opTimes } from './trace-times.ts';
import { progress } from '../progress.ts';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolveInput } from './op-input.ts';
import { isDaxFile } from '../../io/dax-file.ts';
import { sniffFormat } from '../../engine/replay.ts';
import { checkTraceFile } from '../../check/check-file.ts';
import type { CheckOutcome } from '../../check/result.ts';
import type { ObservationVerdict } from '../../check/tally.ts';
import { formatIssue } from '../../trace/issues.ts';
import { isPlainText } from '../../io/open-input.ts';
import { InputIssues } from '../errors.ts';
import { parseKconfig, modelFor } from '../../models/index.ts';
import { checkSectionHtml, countChartsHtml, CountCollector, ObservationCollector } from '../../visual/check-view.ts';
import { htmlPage } from '../../visual/html.ts';
import { locatingOpBounds } from '../op-bound-position.ts';

/** The report command's arguments. */
export interface ReportArgs {
  readonly input: string;
  readonly html: string;
  readonly models?: string;
  readonly kconfig?: string;
  readonly quiet?: boolean;
}

/** Runs the report. Exit 0, or 1 when the models diverge or report findings. */
export async function runReport(args: ReportArgs, ctx: CliContext): Promise<void> {
  checkOutputTarget(args.html, '--html');
  const kc = args.kconfig === undefined ? {} : parseKconfig(args.kconfig);
  // a bad --models fails before the input is read
  for (const n of (args.models ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) modelFor(n, { kconfig: kc });
  const file = resolveInput(args.input);
  const trace = !isDaxFile(file) && (await sniffFormat(file)) === 'trace';
  const check = trace ? await checkOf(file, args) : undefined;
  if (check && check.outcome.mode === 'refs') return reportRecorded(args, ctx, file, check);
  // a recording is drawn under its own kernel's profile on its family's side (6.1's
  // O_DIRECT FOLL_GET, and so its missed wakeup, exist only there), as diff does
  const { input, models } = await readVisualInput(args.input, args.models ?? (check ? pairWith(check.outcome.profile) : 'legacy,unified'), args.kconfig);
  const diff = models.length === 2 ? diffOps(models[0]!, models[1]!, input.ops) : undefined;
  const times = opTimes(input);
  const bar = progress('report', input.ops.length * models.length, args.quiet ?? false);
  const page = htmlReport({
    title: `dax-refsim report: ${input.description ?? input.file}`,
    file: input.file, models, ops: input.ops, tsOf: (op) => (bar.tick(), times(op)), timeUnit: input.format === 'trace' ? 'µs' : 'Op',
    divergences: diff?.divergences ?? [], ...(diff ? { summary: diff.summary } : {}),
    ...(check ? { marks: check.outcome.mismatches.map((m) => ({ line: m.line, pfn: Number(m.pfn), text: `mismatch at line ${m.line} (${m.function}): pfn ${m.pfn} ${m.field} recorded ${m.recorded}, simulated ${m.simulated ?? '—'}` })) } : {}),
    ...(check ? { extra: checkSectionHtml(check.outcome, check.collector, await traceLines(file, check.collector.rows().map((r) => r.line))) } : {}),
  });
  bar.stop();
  await writeFileAtomic(args.html, page, { inputs: [input.file] });
  const checked = check ? `, check: ${check.outcome.observations} observations, ${check.outcome.mismatches.length} mismatches, ${check.outcome.findings.length} findings` : '';
  ctx.io.stderr(`${args.html}: ${page.length} bytes, ${input.ops.length} Ops, ${diff?.divergences.length ?? 0} divergences${checked}\n`);
  ctx.exit((diff?.divergences.length ?? 0) > 0 || (check?.outcome.mismatches.length ?? 0) > 0 || (check?.outcome.findings.length ?? 0) > 0 ? EXIT.findings : EXIT.ok);
}

/** The recording's profile and the newest of the other family, legacy first. */
function pairWith(profile: string): string {
  return modelFor(profile).profile.family === 'legacy' ? `${profile},unified` : `legacy,${profile}`;
}

/** A trace's check, with its observations collected for the page. */
interface TraceCheck {
  readonly outcome: CheckOutcome;
  readonly collector: ObservationCollector;
}

/** Checks a trace as `check` does (its recording kernel's profile; --kconfig on top), streamed. */
async function checkOf(file: string, args: ReportArgs, observe?: (o: ObservationVerdict) => void): Promise<TraceCheck> {
  const collector = new ObservationCollector();
  const kconfig = args.kconfig === undefined ? undefined : parseKconfig(args.kconfig);
  const run = await checkTraceFile(file, { ...(kconfig ? { kconfig } : {}), observe: observe ?? collector.observe });
  const errors = run.issues.filter((i) => i.severity === 'error');
  if (errors.length) throw new InputIssues(errors.slice(0, 20).map(formatIssue));
  return { outcome: run.outcome, collector };
}

/**
 * The page of a page_ref-only trace: the check, and the recorded count of the pages
 * with mismatches or unknowns (else the busiest) against the model's. The trace is
 * read as a stream three times (the check, the drawn pages' counts, the listed lines).
 */
async function reportRecorded(args: ReportArgs, ctx: CliContext, file: string, check: TraceCheck): Promise<void> {
  const o = check.outcome;
  const pages = check.collector.pages();
  const counts = new CountCollector(pages, check.collector.perPage);
  const bar = progress('report', check.collector.total, args.quiet ?? false);
  await checkOf(file, args, (v) => (bar.tick(), counts.observe(v)));
  bar.stop();
  const rows = check.collector.rows();
  const allLines = [...counts.points.values()].flat().map((p) => p.line);
  const first = allLines.length ? Math.min(...allLines) : 1;
  const last = allLines.length ? Math.max(...allLines) : 1;
  const title = `dax-refsim report: ${file}`;
  const m = o.mismatches.length;
  const summary = [
    ['input', file],
    ['recorded on', `kernel ${o.kernel}`],
    ['profile', o.profile],
    ['observations', `${o.observations}: ${o.matched} matched, ${o.unknown} unknown, ${o.untraced.length} untraced, ${m} mismatch${m === 1 ? '' : 'es'}`],
    ['findings', String(o.findings.length)],
  ];
  const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<table id="summary">${summary.map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${esc(v!)}</td></tr>`).join('')}</table>`,
    `<p class="note" id="no-ops">${esc(`This trace has no probe definitions: its page_ref events are the recording kernel's own refcount changes, not Ops that two models could replay, so no model timelines or divergences are drawn. Each event is checked against ${o.profile} instead, and ${pages.length} of its ${check.collector.perPage.size} pages are drawn (those with mismatches or unknowns first, then the most observed).`)}</p>`,
    '<div id="holders" class="holders"><em>Click a point to see its values.</em></div>',
    countChartsHtml(o.profile, counts.points, counts.sampled, first, last),
    checkSectionHtml(o, check.collector, await traceLines(file, rows.map((r) => r.line))),
  ].join('\n');
  const page = htmlPage(title, body);
  await writeFileAtomic(args.html, page, { inputs: [file] });
  ctx.io.stderr(`${args.html}: ${page.length} bytes, check: ${o.observations} observations, ${m} mismatches, ${pages.length} pages drawn\n`);
  ctx.exit(m > 0 || o.findings.length > 0 ? EXIT.findings : EXIT.ok);
}

/** The text of the given lines of a plain-text trace, read as a stream (nothing for a compressed one). */
async function traceLines(file: string, lines: readonly number[]): Promise<(line: number) => string | undefined> {
  const wanted = new Set(lines);
  const got = new Map<number, string>();
  if (wanted.size === 0 || !isPlainText(file)) return () => undefined;
  const last = Math.max(...wanted);
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (wanted.has(n)) got.set(n, text);
    if (n >= last) break;
  }
  rl.close();
  return (line) => got.get(line);
}

/** The yargs module of `report`. */
export function reportCommand(ctx: CliContext): CommandModule<object, ReportArgs> {
  return {
    command: 'report <input>',
    describe: 'Write a self-contained HTML report: timelines of both models, holders on click, divergences and findings',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'a .dax scenario, a scenario folder, an Op JSONL file or a recorded trace' })
        .option('html', { type: 'string', demandOption: true, describe: 'the HTML file to write' })
        .option('models', { type: 'string', describe: 'profiles, comma-separated (default legacy,unified)' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… applied to the profiles' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar on stderr' }) as unknown as Argv<ReportArgs>,
    handler: (args) => locatingOpBounds(args.input, () => runReport(args, ctx)),
  };
}
