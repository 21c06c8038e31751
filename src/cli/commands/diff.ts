/**
 * `dax-refsim diff <ops.jsonl | case folder>`: one Op stream through two models in
 * lockstep (one read of the input, one scan stepping both models), every divergence
 * classified and explained. Exit codes like diff(1): 0 none (after --semantic), 1
 * divergences, 2 bad input.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { filter, from, lastValueFrom, map, type Observable } from 'rxjs';
import { liftForDiff, requireOps } from '../../lift/lift-file.ts';
import { recordingProfile } from '../../check/profile-pick.ts';
import type { TraceHeader } from '../../trace/header-types.ts';
import { formatIssue } from '../../trace/issues.ts';
import type { Argv, CommandModule } from 'yargs';
import type { Op } from '../../events/op.ts';
import { JsonlDecoder } from '../../events/jsonl-decoder.ts';
import { formatJsonlIssue } from '../../events/issues.ts';
import { maxLineBytes, readLines$ } from '../../io/read-lines.ts';
import { checkOutputTarget, writeFileAtomic } from '../../io/write-file.ts';
import { FileNotFoundError } from '../../engine/replay.ts';
import { refuseStdin } from '../../io/open-input.ts';
import { locateOpBound } from '../../engine/replay-file.ts';
import { OpBoundError } from '../../engine/op-bounds.ts';
import { locateTraceOpBound } from '../../engine/locate-trace-op.ts';
import { diffWithSpill, type DiffResult, type SpilledDiffResult } from '../../diff/diff-runs.ts';
import { modelFor, parseKconfig, type RefcountModel } from '../../models/index.ts';
import { diffJsonChunks, diffMarkdownChunks, diffTextChunks } from '../../report/diff-report.ts';
import { IssueList, markPartial, partialOf, type PartialInput } from '../issue-list.ts';
import { withInputProgress } from '../progress.ts';
import { EXIT, type CliContext } from '../context.ts';
import { assertNotEmpty, InputIssues, UsageError } from '../errors.ts';
import { isDaxFile, locateDaxOpBound, readDaxFile } from '../../io/dax-file.ts';
import { SCENARIO_FILE } from '../../io/corpus.ts';

/** The diff command's arguments. */
export interface DiffArgs {
  readonly input: string;
  readonly models?: string;
  readonly kconfig?: string;
  readonly semantic: boolean;
  readonly first: boolean;
  readonly format: 'text' | 'json' | 'md';
  readonly out?: string;
  readonly lenient?: boolean;
  readonly quiet?: boolean;
}


/** `--models a,b`: two profile names. */
export function parseModels(text: string, kconfig?: string): [RefcountModel, RefcountModel] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length !== 2) throw new UsageError(`--models ${text}: expected two profiles, e.g. legacy,unified or legacy@6.12,unified@7.2`);
  const kc = kconfig === undefined ? {} : parseKconfig(kconfig);
  return [modelFor(names[0], { kconfig: kc }), modelFor(names[1], { kconfig: kc })];
}

/** The Ops of a JSONL file as one cold stream (read once, by the single subscription). */
export function opsOf(file: string, issues: IssueList): Observable<Op> {
  const decoder = new JsonlDecoder(file);
  return readLines$(file).pipe(
    map((rec) => decoder.decode(rec.text, rec.line, rec.terminated, rec.tooLong && maxLineBytes())),
    filter((d): d is Extract<typeof d, { kind: 'op' }> => {
      if (d.kind === 'issue') {
        issues.add(formatJsonlIssue(d.issue));
        return false;
      }
      if (d.kind === 'ref') {
        issues.add(`${file}: holds RefEvents; diff needs an Op stream (RefEvents are already one model's expansion)`);
        return false;
      }
      return d.kind === 'op';
    }),
    map((d) => d.event),
  );
}

/** Resolves a case folder to its scenario.dax (else its ops.jsonl). */
function inputFile(input: string): string {
  refuseStdin(input);
  if (!existsSync(input)) throw new FileNotFoundError(`${input}: not found`);
  if (statSync(input).isDirectory()) {
    const dax = join(input, SCENARIO_FILE);
    if (existsSync(dax)) return dax;
    const f = join(input, 'ops.jsonl');
    if (!existsSync(f)) throw new FileNotFoundError(`${f}: not found (expected a scenario folder holding ${SCENARIO_FILE} or ops.jsonl)`);
    return f;
  }
  assertNotEmpty(input);
  return input;
}

/** True when the file's first non-blank byte opens a JSON object (a JSONL stream), false for a trace. */
function isJsonl(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').trimStart();
    return text === '' || text.startsWith('{');
  } finally {
    closeSync(fd);
  }
}

/**
 * The Ops of the input: a JSONL stream read once, or a recorded trace lifted to Ops
 * (each Op keeps its trace line; divergences then name the line and its PHASE).
 */
async function inputOps(file: string, issues: IssueList): Promise<{ ops$: Observable<Op>; phaseOf?: (line: number) => string | undefined; header?: TraceHeader }> {
  if (isDaxFile(file)) return { ops$: from(readDaxFile(file).ops) };
  if (isJsonl(file)) return { ops$: opsOf(file, issues) };
  await requireOps(file, 'diff');
  const lifted = await liftForDiff(file);
  for (const i of lifted.issues) if (i.severity === 'error') issues.add(formatIssue(i));
  return { ops$: from(lifted.ops), phaseOf: (line) => lifted.phases.get(line), header: lifted.header };
}

/** The default pair when --models is not given. */
const DEFAULT_MODELS = 'legacy,unified';

/**
 * The two models of a diff. Without --models, a recorded trace is diffed under its
 * recording kernel's own profile on its family's side (6.1's O_DIRECT FOLL_GET, and so
 * its missed wakeup, exist only under legacy@6.1) and the newest profile of the other
 * family; anything else under `legacy,unified`.
 */
function modelsFor(args: DiffArgs, header: TraceHeader | undefined): [RefcountModel, RefcountModel] {
  if (args.models !== undefined) return parseModels(args.models, args.kconfig);
  const recording = header === undefined ? null : recordingProfile(header, args.kconfig === undefined ? {} : { kconfig: parseKconfig(args.kconfig) });
  if (recording === null) return parseModels(DEFAULT_MODELS, args.kconfig);
  const kc = { ...recording.kconfig };
  const own = modelFor(recording.name, { kconfig: kc });
  const other = modelFor(recording.family === 'legacy' ? 'unified' : 'legacy', args.kconfig === undefined ? {} : { kconfig: parseKconfig(args.kconfig) });
  return recording.family === 'legacy' ? [own, other] : [other, own];
}

/** Runs the diff; returns its counts (the episodes were written and their temporary file removed). */
export async function runDiff(args: DiffArgs, ctx: CliContext): Promise<Omit<DiffResult, 'episodes'> & { readonly episodes: number }> {
  if (args.models !== undefined) parseModels(args.models, args.kconfig);
  const file = inputFile(args.input);
  // a bad --out fails before any work, not after a long replay
  if (args.out !== undefined) checkOutputTarget(args.out);
  const issues = new IssueList(file);
  const { ops$, phaseOf, header } = await inputOps(file, issues);
  if (issues.count > 0 && !args.lenient) throw new InputIssues(issues.lines());
  const [a, b] = modelsFor(args, header);
  // episodes spill to a temporary file as they close: a long diff's memory stays flat
  const raw = await lastValueFrom(ops$.pipe(diffWithSpill(a, b, { semantic: args.semantic }))).catch(async (e: unknown) => {
    // an Op over its bound: name its line and column (a JSONL Op's nr, a trace's count field)
    if (e instanceof OpBoundError) {
      if (isDaxFile(file)) locateDaxOpBound(readDaxFile(file), e);
      else await (isJsonl(file) ? locateOpBound(file, file, e) : locateTraceOpBound(file, file, e));
    }
    throw e;
  });
  try {
    if (issues.count > 0 && !args.lenient) throw new InputIssues(issues.lines());
    // --lenient: the bad lines were skipped; say so, and mark the report partial
    for (const l of issues.lines()) ctx.io.stderr(`skipped (--lenient): ${l}\n`);
    // a lifted Op keeps its trace line; name the PHASE it fell in too
    const result: SpilledDiffResult = phaseOf
      ? { ...raw, divergences: raw.divergences.map((d) => { const phase = d.line === undefined ? undefined : phaseOf(d.line); return phase === undefined ? d : { ...d, phase }; }) }
      : raw;
    const view = { first: args.first };
    const partial = partialOf(issues);
    // the report is written as it is rendered, one episode at a time
    const chunks = args.format === 'json' ? diffJsonChunks(result, partial) : withNotice(args.format === 'md' ? diffMarkdownChunks(result, view) : diffTextChunks(result, view), args.format, partial);
    if (args.out !== undefined) await writeFileAtomic(args.out, chunks, { inputs: [file] });
    else for (const c of chunks) ctx.io.stdout(c);
    ctx.exit(result.divergences.length > 0 ? EXIT.findings : EXIT.ok);
    return { ...result, episodes: result.episodes.length };
  } finally {
    raw.episodes.dispose();
  }
}

/** A text or Markdown report's chunks, after the partial notice markPartial would put first. */
function* withNotice(chunks: Iterable<string>, format: 'text' | 'md', partial: PartialInput | undefined): Generator<string> {
  if (partial !== undefined) yield markPartial('', format, partial);
  yield* chunks;
}

/** The yargs module of `diff`. */
export function diffCommand(ctx: CliContext): CommandModule<object, DiffArgs> {
  return {
    command: 'diff <input>',
    describe: 'Replay one Op stream under two models in lockstep and explain every divergence',
    builder: (y: Argv) =>
      y
        .positional('input', { type: 'string', demandOption: true, describe: 'Op JSONL file, a .dax scenario, a scenario folder, or a recorded ftrace/trace-cmd trace' })
        .option('models', { type: 'string', describe: 'two profiles: a,b (e.g. legacy@6.12,unified@7.2); default legacy,unified, and for a recorded trace its recording kernel\'s profile on its side' })
        .option('kconfig', { type: 'string', describe: 'KEY=VAL,… applied to both profiles' })
        .option('semantic', { type: 'boolean', default: false, describe: 'hide baseline shifts and other pure re-encodings' })
        .option('first', { type: 'boolean', default: false, describe: 'show the first divergence per range and class instead of every episode' })
        .option('format', { choices: ['text', 'json', 'md'] as const, default: 'text' as const })
        .option('out', { type: 'string', describe: 'write the report to FILE (atomically)' })
        .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar on stderr' }) as unknown as Argv<DiffArgs>,
    handler: async (args) => void (await withInputProgress('diff', args.input, args.quiet, ctx, (c) => runDiff(args, c))),
  };
}
