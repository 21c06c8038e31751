/**
 * What a body parser needs besides the text: where the body sits (for positioned
 * issues), the header's knowledge (probe definitions, the kernel's page-flag layout)
 * and where to report problems.
 */
import type { FlagTable } from './flag-set.ts';
import { makeIssue, type IssueSite, type ParseIssue, type ParseIssueCode, type ParseIssueSeverity } from './issues.ts';
import type { ProbeDefinition } from './probe-definition.ts';
import type { RecordBase } from './record-types.ts';

/** Per-trace knowledge shared by all body parsers. */
export interface TraceContext {
  readonly file: string;
  /** Probe definitions by event name (the trace line does not show the group). */
  readonly probes: ReadonlyMap<string, ProbeDefinition>;
  /** The recording kernel's page-flag table, `null` when unknown. */
  readonly pageFlagTable: FlagTable | null;
  readonly report: (issue: ParseIssue) => void;
  /** Report UNKNOWN_EVENT at every occurrence (`every`) or once per event name (`first`). */
  readonly unknownEvents: 'first' | 'every';
  /** Event names already reported as unknown (for `first`). */
  readonly reportedUnknown: Set<string>;
}

/** One body being parsed: the common record fields, the body, and issue helpers. */
export interface BodyInput {
  readonly base: RecordBase;
  readonly site: IssueSite;
  /** 0-based offset of {@link RecordBase.body} in the line. */
  readonly bodyOffset: number;
  readonly ctx: TraceContext;
}

/** Reports an issue at `offset` into the body (converted to a line column). */
export function reportAt(
  input: BodyInput,
  code: ParseIssueCode,
  offset: number,
  message: string,
  severity?: ParseIssueSeverity,
): void {
  input.ctx.report(makeIssue(input.site, code, input.bodyOffset + offset, message, severity));
}

/**
 * Reports UNKNOWN_EVENT at the event name of the line, once per event name unless the
 * context asks for every occurrence (a trace of millions of lines with one foreign
 * event would otherwise carry millions of identical warnings).
 */
export function reportUnknownEvent(input: BodyInput, message: string): void {
  const { ctx, base } = input;
  if (ctx.unknownEvents === 'first') {
    if (ctx.reportedUnknown.has(base.event)) return;
    ctx.reportedUnknown.add(base.event);
  }
  const eventAt = input.site.text.lastIndexOf(`${base.event}:`, input.bodyOffset);
  const suffix = ctx.unknownEvents === 'first' ? ' (reported once per event name)' : '';
  reportAt(input, 'UNKNOWN_EVENT', eventAt - input.bodyOffset, message + suffix);
}

/** Builds a {@link TraceContext} from probe definitions (first definition of a name wins). */
export function makeTraceContext(
  file: string,
  probes: readonly ProbeDefinition[],
  pageFlagTable: FlagTable | null,
  report: (issue: ParseIssue) => void,
  unknownEvents: 'first' | 'every' = 'first',
): TraceContext {
  const byName = new Map<string, ProbeDefinition>();
  for (const p of probes) if (!byName.has(p.name)) byName.set(p.name, p);
  return { file, probes: byName, pageFlagTable, report, unknownEvents, reportedUnknown: new Set() };
}
