/**
 * Reading `.dax` scenario files from disk. A scenario is small (a few dozen lines),
 * so it is read whole and parsed to Ops in memory; every command that opens an Op
 * file asks `isDaxFile` first and, for a scenario, takes its Ops from here.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { parseDax } from '../scenario/parser.ts';
import { formatDaxIssue, type DaxIssue, type DaxScenario } from '../scenario/types.ts';
import { OpBoundError } from '../engine/op-bounds.ts';

/** Most bad lines printed (the rest are counted). */
const MAX_PRINTED = 20;

/** Bad lines of a `.dax` file (exit 2): every issue, `file:line:column CODE message`. */
export class DaxInputError extends Error {
  override readonly name = 'DaxInputError';
  readonly issues: readonly DaxIssue[];
  constructor(issues: readonly DaxIssue[]) {
    const shown = issues.slice(0, MAX_PRINTED).map(formatDaxIssue);
    if (issues.length > MAX_PRINTED) shown.push(`… and ${issues.length - MAX_PRINTED} more bad lines`);
    super(shown.join('\n'));
    this.issues = issues;
  }
}

/** Words a scenario's first statement may start with (what tells one apart from a trace or JSONL). */
const FIRST_WORDS = /^(scenario|profile|process|pgmap|file)\b/;

/**
 * True for a scenario: a regular file named `*.dax`, or one whose first line that is
 * not blank or a `#` comment starts with a scenario declaration (`scenario`, `profile`,
 * `process`, `pgmap`, `file`). Traces start with `# tracer:`, KTRACE-BEGIN or event
 * lines, JSONL with `{`, so the two never meet.
 */
export function isDaxFile(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  if (path.endsWith('.dax')) return true;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
    return first !== undefined && FIRST_WORDS.test(first);
  } finally {
    closeSync(fd);
  }
}

/**
 * Sets `e.located` to `file:line:column BAD_VALUE …` at the field of the scenario's Op
 * that is over its bound (the N of `N pages`, a raw Op's "nr" value), else at the Op's
 * operation word: the bound is found by the replay, after the parse, so the place comes
 * from the columns the parser kept. An Op the scenario does not hold (by its seq) is
 * left as it is.
 */
export function locateDaxOpBound(s: DaxScenario, e: OpBoundError): void {
  const i = s.ops.findIndex((o) => o.seq === e.seq);
  if (i < 0) return;
  const at = s.columns[i]!;
  e.located = formatDaxIssue({ file: s.file, line: s.lines[i]!, column: at.fields[e.field] ?? at.op, code: 'BAD_VALUE', message: e.message, expected: 'a count within the kernel\'s bound' });
}

/** Runs `run` on a scenario's Ops; an OpBoundError it throws leaves placed in the scenario (locateDaxOpBound). */
export async function locatingDaxOps<T>(s: DaxScenario, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof OpBoundError && e.located === undefined) locateDaxOpBound(s, e);
    throw e;
  }
}

/** Reads and parses a scenario; throws DaxInputError listing every bad line. */
export function readDaxFile(path: string, name = path): DaxScenario {
  const parsed = parseDax(readFileSync(path, 'utf8'), name);
  if ('issues' in parsed) throw new DaxInputError(parsed.issues);
  return parsed;
}
