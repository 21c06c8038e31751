/**
 * Reading `.dax` scenario files from disk. A scenario is small (a few dozen lines),
 * so it is read whole and parsed to Ops in memory; every command that opens an Op
 * file asks `isDaxFile` first and, for a scenario, takes its Ops from here.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { parseDax } from '../scenario/parser.ts';
import { formatDaxIssue, type DaxIssue, type DaxScenario } from '../scenario/types.ts';

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

/** Reads and parses a scenario; throws DaxInputError listing every bad line. */
export function readDaxFile(path: string, name = path): DaxScenario {
  const parsed = parseDax(readFileSync(path, 'utf8'), name);
  if ('issues' in parsed) throw new DaxInputError(parsed.issues);
  return parsed;
}
