/**
 * `dax-refsim corpus`: the main job. Runs every case of the scenario corpus under
 * both families, compares with the golden expected files, and prints a table
 * (case, model, final refcounts, findings, golden match). Exit 0 when every golden
 * matches, 1 otherwise, 2 on bad input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { listCases, readCase, type CorpusCase } from '../../io/corpus.ts';
import { expectedJson } from '../../corpus/expected.ts';
import { diffOps } from '../../diff/diff-runs.ts';
import { diffJson } from '../../report/diff-report.ts';
import { modelFor } from '../../models/index.ts';
import { runOps } from '../../engine/runner.ts';
import { summarizeFolios } from '../../report/folios.ts';
import { prettyJson } from '../../report/replay-json.ts';
import { hex } from '../../kernel/constants.ts';
import { checkExpectations, formatExpectResult } from '../../scenario/expect.ts';
import { EXIT, type CliContext } from '../context.ts';
import { corpusRoot } from './corpus-root.ts';

/** The corpus command's arguments. */
export interface CorpusArgs {
  readonly root?: string;
  readonly format: 'text' | 'json';
}

/** One row of the corpus table. */
export interface CorpusRow {
  readonly case: string;
  readonly model: string;
  /** Final refcount of each folio the case touched (`head:refcount`), first few. */
  readonly refcounts: string;
  readonly findings: number;
  /** 'match', 'differs' or 'missing'. */
  readonly golden: 'match' | 'differs' | 'missing';
}

/** Folios shown per row before the rest is counted. */
const SHOWN = 4;

function golden(c: CorpusCase, file: string, actual: string): CorpusRow['golden'] {
  const path = join(c.dir, file);
  if (!existsSync(path)) return 'missing';
  return readFileSync(path, 'utf8') === actual ? 'match' : 'differs';
}

/** Runs one case under both families and the diff; returns its rows. */
export function runCase(c: CorpusCase): CorpusRow[] {
  const rows: CorpusRow[] = [];
  for (const family of ['legacy', 'unified'] as const) {
    const model = modelFor(family);
    const { state, findings } = runOps(model, c.ops);
    const folios = summarizeFolios(state);
    const shown = folios.slice(0, SHOWN).map((f) => `${hex(f.head)}:${f.refcount}`);
    if (folios.length > SHOWN) shown.push(`+${folios.length - SHOWN}`);
    rows.push({ case: c.name, model: model.name, refcounts: shown.join(' '), findings: findings.length, golden: golden(c, `expected.${family}.json`, expectedJson(model, c.ops, c.name)) });
  }
  const d = diffOps(modelFor('legacy'), modelFor('unified'), c.ops);
  rows.push({ case: c.name, model: 'diff', refcounts: `${d.divergences.length} divergence(s)`, findings: d.summary.finding, golden: golden(c, 'expected.diff.json', diffJson(d)) });
  return rows;
}

/** Formats rows as an aligned table. */
export function corpusTable(rows: readonly CorpusRow[]): string {
  const head = ['case', 'model', 'final refcounts', 'findings', 'golden'];
  const cells = rows.map((r) => [r.case, r.model, r.refcounts, String(r.findings), r.golden]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const ok = rows.filter((r) => r.golden === 'match').length;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), '', `${ok}/${rows.length} goldens match`].join('\n') + '\n';
}

/**
 * Runs the corpus. A case's `expect` lines are checked like tests: the table stays as
 * it is, and a failing line is printed after it (`file:line: expect …: FAILS (actual)`)
 * and makes the exit code 1.
 */
export function runCorpus(args: CorpusArgs, ctx: CliContext): void {
  const root = args.root ?? corpusRoot();
  const cases = listCases(root).map((name) => readCase(root, name));
  const rows = cases.flatMap((c) => runCase(c));
  const failed = cases.flatMap((c) => checkExpectations(c.ops, c.expects).filter((r) => !r.holds).map((r) => formatExpectResult(c.source, r)));
  const failText = failed.length ? `${failed.length} expectation(s) fail:\n${failed.map((l) => `  ${l}\n`).join('')}` : '';
  // JSON keeps its shape (the rows); the failing lines then go to stderr
  if (args.format === 'json') {
    ctx.io.stdout(`${prettyJson(rows)}\n`);
    if (failText) ctx.io.stderr(failText);
  } else ctx.io.stdout(corpusTable(rows) + (failText ? `\n${failText}` : ''));
  ctx.exit(rows.every((r) => r.golden === 'match') && failed.length === 0 ? EXIT.ok : EXIT.findings);
}

/** The yargs module of `corpus`. */
export function corpusCommand(ctx: CliContext): CommandModule<object, CorpusArgs> {
  return {
    command: 'corpus',
    describe: 'Run every scenario of the corpus under both models and check the goldens (the main job)',
    builder: (y: Argv) =>
      y
        .option('root', { type: 'string', describe: 'corpus folder (default: the built-in replays/)' })
        .option('format', { choices: ['text', 'json'] as const, default: 'text' as const }) as unknown as Argv<CorpusArgs>,
    handler: (args) => runCorpus(args, ctx),
  };
}
