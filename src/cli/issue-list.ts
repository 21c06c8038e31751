/**
 * Bad lines of an input, as every command reports them: the first
 * MAX_PRINTED_ISSUES with their positions, then a count of the rest. Under
 * `--lenient` the same lines are printed as skipped, and the report says it is
 * partial (in every output format), so a verdict over part of the input is never
 * mistaken for one over all of it.
 */
import { prettyJson } from '../report/replay-json.ts';

/** Most bad lines printed before the rest are only counted. */
export const MAX_PRINTED_ISSUES = 20;

/** Bad lines of one input: the first few formatted, all counted. */
export class IssueList {
  readonly file: string;
  private readonly first: string[] = [];
  private total = 0;

  constructor(file: string) {
    this.file = file;
  }

  /** Counts one bad line; keeps its text while fewer than MAX_PRINTED_ISSUES are kept. */
  add(formatted: string): void {
    if (this.total++ < MAX_PRINTED_ISSUES) this.first.push(formatted);
  }

  /** Counts `n` bad lines of which `formatted` are the first. */
  addAll(formatted: readonly string[], n = formatted.length): void {
    for (const f of formatted.slice(0, n)) this.add(f);
    this.total += Math.max(0, n - formatted.length);
  }

  get count(): number {
    return this.total;
  }

  /** The lines to print: the first issues and, when there are more, how many more. */
  lines(): string[] {
    const more = this.total - this.first.length;
    return more > 0 ? [...this.first, `${this.file}: … and ${more} more bad line${more === 1 ? '' : 's'}`] : [...this.first];
  }
}

/** What `--lenient` skipped. */
export interface PartialInput {
  readonly skippedLines: number;
  /** `file:line:column CODE …` of the first skipped line. */
  readonly first: string;
}

/** The partial marker of an IssueList, or undefined when nothing was skipped. */
export function partialOf(list: IssueList): PartialInput | undefined {
  const first = list.lines()[0];
  return list.count === 0 || first === undefined ? undefined : { skippedLines: list.count, first: first.split('\n')[0]! };
}

/** The one-line notice text and Markdown reports start with. */
export function partialNotice(p: PartialInput): string {
  return `PARTIAL: --lenient skipped ${p.skippedLines} bad line${p.skippedLines === 1 ? '' : 's'} (first: ${p.first}); this verdict covers the rest of the input only`;
}

/** Marks a report partial: a notice line first (text, Markdown), or a `partial` member (JSON). */
export function markPartial(text: string, format: string, p: PartialInput | undefined): string {
  if (p === undefined) return text;
  if (format === 'json') return `${prettyJson({ partial: p, ...(JSON.parse(text) as object) })}\n`;
  if (format === 'md') return `> **${partialNotice(p)}**\n\n${text}`;
  return `${partialNotice(p)}\n${text}`;
}
