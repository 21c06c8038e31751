/**
 * `dax-refsim check <trace> [--against <reference>]`: replays a recorded trace under
 * the profile its header names (or `--model`/`--kernel`/`--kconfig`) and compares every
 * observation (probe fields at their function's entry or return, snap lines, page_ref
 * counts) with the simulated state; with `--against`, replays the trace under the
 * reference trace's profile and compares with the reference's snap lines phase by phase.
 * Exit codes: {@link CHECK_EXIT_CODES}.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { checkTraceAgainst, checkTraceFile } from '../../check/check-file.ts';
import { capOutcome, checkJson, errorFindingTotal, mismatchTotal } from '../../check/result.ts';
import { MAX_UNKNOWN_LINES, writeCheckText } from '../../check/report-text.ts';
import type { PipelineOptions } from '../../check/pipeline.ts';
import type { CheckOutcome } from '../../check/result.ts';
import { InputOptionError, parsePmem, parseProbesFile } from '../../check/inputs.ts';
import { inputName, isPlainText, isStdin, requireInput } from '../../io/open-input.ts';
import type { ProbeDefinition } from '../../trace/probe-definition.ts';
import type { CheckRun } from '../../check/run-check.ts';
import { findingEvidence, type EvidenceLine } from '../../check/finding-evidence.ts';
import { evidenceInputOf } from '../../check/evidence-input.ts';
import { FileNotFoundError } from '../../engine/replay.ts';
import { checkOutputTarget, chunkedWriter, writeFileAtomicStreamed } from '../../io/write-file.ts';
import { readWantedLines } from '../../io/wanted-lines.ts';
import { writePrettyJson } from '../../report/json-stream.ts';
import { parseKconfig, type Kconfig } from '../../models/index.ts';
import { formatIssue } from '../../trace/issues.ts';
import { IssueList, MAX_PRINTED_ISSUES, partialNotice, partialOf } from '../issue-list.ts';
import { withInputProgress } from '../progress.ts';
import { EXIT, type CliContext, type ExitCode } from '../context.ts';
import { assertNotEmpty, InputIssues, UsageError } from '../errors.ts';
import { OpBoundError } from '../../engine/op-bounds.ts';
import { locateResyncBound, locateTraceOpBound } from '../../engine/locate-trace-op.ts';
import { ResyncBoundError } from '../../check/resync.ts';

/** The check command's arguments. */
export interface CheckArgs {
  readonly trace: string;
  readonly against?: string;
  readonly model?: string;
  readonly kernel?: string;
  readonly kconfig?: string;
  readonly 'vmemmap-base'?: string;
  readonly pmem?: string | readonly string[];
  readonly probes?: string;
  readonly format: 'text' | 'json';
  readonly out?: string;
  readonly lenient?: boolean;
  readonly quiet?: boolean;
  readonly 'max-details'?: number;
}

/** Mismatches, untraced changes, unknowns and findings listed in full by default (the rest counted). */
export const DEFAULT_MAX_DETAILS = 1000;

/** What --help says about exit codes (README.md says the same). */
export const CHECK_EXIT_CODES = [
  'Exit codes:',
  '  0  something was compared; no mismatch and no error-severity finding (warnings, unknowns allowed)',
  '  1  a mismatch, or an error-severity finding (a WARN/BUG condition the kernel would raise)',
  '  2  bad input or usage (unreadable line, missing file, bad option, no kernel and no evidence of the model),',
  '     or nothing compared (no observation could be read)',
  '  3  internal error (a bug: please report it)',
].join('\n');

/**
 * The fields check reads but does not compare, and why (--help and the README say the
 * same): every recorded number is an observation or is said not to be one.
 */
export const CHECK_NOT_COMPARED = [
  'Read but not compared (Ops mode, with probe definitions):',
  '  page_ref ret: compared in the page_ref mode, and at a page_ref event no',
  '    probe event encloses (probe lines filtered out); inside an Op lifted',
  '    from probes, count and mapcount are compared and ret is what they imply.',
  '  refs= of try_grab_folio(_fast), gup_put_folio, __put_devmap_managed_*_refs;',
  '  npages=/n= of unpin_user_pages(_dirty_lock), unpin_user_folio: inputs of',
  '    the lifter, which sizes the Op from them (from the caller\'s nr where one',
  '    is traced); the Op\'s effect is compared through the ref= and snap values',
  '    that follow, not the count itself.',
  '  e_/o_/p_ of a snap, entire=/large=/order=/pincount= of a probe, on a page',
  '    that heads no folio in the replay: these offsets are the page[1] words',
  '    of a folio head (entire and large mapcounts, order, _pincount); on any',
  '    other page they fall in the next struct page (its flags or mapping),',
  '    not a counter of this one.',
].join('\n');

function requireFile(path: string, flag: string, expected: string): void {
  if (!existsSync(path)) throw new FileNotFoundError(`${flag} ${path}: not found`);
  // a directory (or a device, a FIFO) is not "not found": say what it is and what was expected
  if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: a directory; expected ${expected}`);
  if (!statSync(path).isFile()) throw new UsageError(`${flag} ${path}: not a regular file; expected ${expected}`);
  assertNotEmpty(path);
}

/** `--kconfig KEY=VAL,…` or a path to a kernel .config. */
function readKconfig(arg: string | undefined): Kconfig | undefined {
  if (arg === undefined) return undefined;
  if (existsSync(arg) && statSync(arg).isFile()) return parseKconfig(readFileSync(arg, 'utf8'));
  if (!arg.includes('=')) throw new UsageError(`--kconfig ${arg}: not found (expected KEY=VAL,… or a .config file)`);
  return parseKconfig(arg);
}

function parseBase(arg: string | undefined): bigint | undefined {
  if (arg === undefined) return undefined;
  if (!/^0x[0-9a-f]+$/i.test(arg.trim())) throw new UsageError(`--vmemmap-base ${arg}: expected a hex address (0xffffea0000000000)`);
  return BigInt(arg.trim());
}

/** Runs the check command; reports its exit code through `ctx`, throws input errors. */
export async function runCheck(args: CheckArgs, ctx: CliContext): Promise<void> {
  requireInput(args.trace);
  assertNotEmpty(args.trace);
  // a bad --out fails before any work, not after a long replay
  if (args.out !== undefined) checkOutputTarget(args.out);
  if (args.against !== undefined) requireFile(args.against, '--against', 'a trace file');
  const kconfig = readKconfig(args.kconfig);
  const vmemmapBase = parseBase(args['vmemmap-base']);
  const pmem = optionValue(() => [args.pmem ?? []].flat().map((p, i) => parsePmem(String(p), i)));
  const probes = args.probes === undefined ? undefined : optionValue(() => readProbes(args.probes!));
  const maxDetails = args['max-details'] ?? DEFAULT_MAX_DETAILS;
  if (!Number.isSafeInteger(maxDetails) || maxDetails < 0) throw new UsageError(`--max-details ${args['max-details']}: expected a whole number, 0 or more`);
  const opts: PipelineOptions = {
    ...(args.model !== undefined ? { model: args.model } : {}),
    ...(args.kernel !== undefined ? { kernel: args.kernel } : {}),
    ...(kconfig !== undefined ? { kconfig } : {}),
    ...(vmemmapBase !== undefined ? { vmemmapBase } : {}),
    ...(pmem.length > 0 ? { pmem } : {}),
    ...(probes !== undefined ? { probes } : {}),
    // at most --max-details of each kind are kept in full and the rest counted, so memory
    // stays flat however much of a long trace disagrees; the text report prints the
    // first MAX_UNKNOWN_LINES unknowns and counts the rest by reason
    maxDetails,
    keepUnknowns: args.format === 'text' ? Math.min(MAX_UNKNOWN_LINES, maxDetails) : maxDetails,
  };
  // --against: the trace's Ops under the reference's profile; its lines are the reference's
  const run = await (args.against !== undefined ? checkTraceAgainst(args.trace, args.against, opts) : checkTraceFile(args.trace, opts)).catch(async (e: unknown) => {
    // an Op over its bound: name the count field of the trace line it was lifted from
    if (e instanceof OpBoundError) await locateTraceOpBound(args.trace, inputName(args.trace), e);
    // a snap value too far to resync: name it where it was read (--against: the reference's snaps)
    const snaps = args.against ?? args.trace;
    if (e instanceof ResyncBoundError) await locateResyncBound(snaps, inputName(snaps), e);
    throw e;
  });
  const bad = new IssueList(args.trace);
  for (const i of run.issues) if (i.severity === 'error') bad.add(formatIssue(i));
  if (bad.count > 0 && !args.lenient) throw new InputIssues(bad.lines());
  // --lenient: the bad lines were skipped; say so, and mark the report partial
  for (const l of bad.lines()) ctx.io.stderr(`skipped (--lenient): ${l}\n`);
  for (const w of run.issues.filter((i) => i.severity !== 'error').slice(0, MAX_PRINTED_ISSUES)) ctx.io.stderr(`${formatIssue(w)}\n`);
  // --against keeps every detail (a check of a trace against another): cut here to the same cap
  const o = capOutcome(run.outcome, maxDetails, opts.keepUnknowns ?? maxDetails);
  const linesOf = args.against ?? args.trace;
  const wanted = new Set([...o.mismatches.map((m) => m.line)]);
  // the evidence re-reads the trace: a plain-text file only (not stdin, not compressed)
  const evidence = args.format === 'text' && args.against === undefined && !isStdin(args.trace) && isPlainText(args.trace) ? await evidenceOf(args.trace, run, vmemmapBase) : new Map<number, EvidenceLine[]>();
  const lines = args.format === 'text' ? await lineTexts(linesOf, wanted) : new Map<number, string>();
  const partial = partialOf(bad);
  // the report is written as it is made, never held whole (a long list of details would
  // pass V8's longest string): to stdout, or to --out's temporary file, renamed at the end
  const produce = (write: (text: string) => void): void => {
    if (args.format === 'json') {
      writePrettyJson(partial === undefined ? checkJson(o) : { partial, ...checkJson(o) }, write);
      write('\n');
      return;
    }
    if (partial !== undefined) write(`${partialNotice(partial)}\n`);
    writeCheckText((line) => write(`${line}\n`), inputName(linesOf), o, (l) => lines.get(l), evidence);
  };
  if (args.out !== undefined) await writeFileAtomicStreamed(args.out, produce, { inputs: args.against !== undefined ? [args.trace, args.against] : [args.trace] });
  else {
    const out = chunkedWriter((chunk) => ctx.io.stdout(chunk));
    produce(out.write);
    out.end();
  }
  for (const w of o.warnings ?? []) ctx.io.stderr(`dax-refsim: warning: ${w}\n`);
  ctx.exit(checkExit(o));
}

/**
 * The exit code of a check: 2 when it compared nothing (an `ok` would claim what it
 * never saw), 1 on a mismatch or an error-severity finding, else 0.
 */
export function checkExit(o: CheckOutcome): ExitCode {
  if (o.observations === 0) return EXIT.usage;
  // the totals, not the lists: a --max-details cap changes what is listed, never the exit code
  if (mismatchTotal(o) > 0 || errorFindingTotal(o) > 0) return EXIT.findings;
  return EXIT.ok;
}

/** A bad --pmem/--probes value is a usage error (exit 2). */
function optionValue<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputOptionError) throw new UsageError(e.message);
    throw e;
  }
}

/** The definitions of a --probes file. */
function readProbes(path: string): ProbeDefinition[] {
  requireFile(path, '--probes', 'a probe set file (kprobe_events definitions, one a line)');
  return parseProbesFile(readFileSync(path, 'utf8'), path);
}

/**
 * The trace's evidence for the findings that need it (a missed wakeup is proven by what
 * the trace does not record after the put): a second read of the trace, only then.
 */
async function evidenceOf(trace: string, run: CheckRun, vmemmapBase: bigint | undefined): Promise<Map<number, EvidenceLine[]>> {
  // only what the listed findings' evidence reads is kept, not the trace (evidence-input.ts)
  const input = await evidenceInputOf(trace, run.outcome.findings, vmemmapBase);
  if (input === null) return new Map();
  return findingEvidence(run.outcome.findings, { ...input, putPath: run.model.profile.dio.note, profile: run.model.profile.name });
}

/** The text of the wanted lines of a file (one streamed pass, only when there are some). */
async function lineTexts(path: string, wanted: ReadonlySet<number>): Promise<Map<number, string>> {
  // stdin was read once, and a compressed or binary input is not the text the lines number
  if (wanted.size === 0 || isStdin(path) || !isPlainText(path)) return new Map();
  return readWantedLines(path, wanted);
}

/** The yargs module of `check`. */
export function checkCommand(ctx: CliContext): CommandModule<object, CheckArgs> {
  return {
    command: 'check <trace>',
    describe: 'Replay a recorded ftrace / trace-cmd trace under its kernel\'s model and compare every observation (or predict --against another kernel\'s trace)',
    builder: (y: Argv) =>
      y
        .positional('trace', { type: 'string', demandOption: true, describe: 'recorded trace: tracefs text or trace-cmd report output, gzip or zstd compressed, a trace.dat (through trace-cmd report), or - for stdin' })
        .option('against', { type: 'string', describe: 'replay <trace> under this trace\'s profile and compare with its snap lines, phase by phase' })
        .option('model', { type: 'string', describe: 'legacy | unified | <family>@<version> instead of the header\'s kernel' })
        .option('kernel', { type: 'string', describe: 'kernel release to pick the profile by, e.g. 6.12 (default: the header\'s)' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… or a kernel .config file (on top of the header\'s # kconfig:)' })
        .option('vmemmap-base', { type: 'string', describe: 'VMEMMAP_START of the recording kernel (default 0xffffea0000000000)' })
        .option('pmem', { type: 'string', describe: 'a pgmap the header would give: START-END[:fsdax|devdax[@4K|2M|1G]] (physical bytes in hex, END inclusive; repeatable)' })
        .option('probes', { type: 'string', describe: 'a kprobe_events file: the probe definitions the header would give' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
        .option('out', { type: 'string', describe: 'write the report to FILE (atomically) instead of stdout' })
        .option('max-details', { type: 'number', default: DEFAULT_MAX_DETAILS, describe: 'list at most N mismatches, untraced changes, unknowns and findings each (the text report at most 200 unknowns); the rest are counted exactly, and the report says how many were not listed' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar on stderr' })
        .epilogue(`${CHECK_EXIT_CODES}\n\n${CHECK_NOT_COMPARED}`) as unknown as Argv<CheckArgs>,
    handler: (args) => withInputProgress('check', args.trace, args.quiet, ctx, (c) => runCheck(args, c)),
  };
}
