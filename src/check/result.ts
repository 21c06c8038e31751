/**
 * What a check finds, in the shape `--format json` prints (issue #5; its keys and
 * their order are fixed here): the kernel and profile, observation counts, changes the
 * probe set could not see (`untraced`), disagreements (`mismatches`), and the model's
 * own findings during the replay in the replay JSON finding shape.
 */
import type { Kconfig } from '../models/profile.ts';
import type { FindingJson } from '../report/replay-json.ts';
import type { OpKind } from '../lift/types.ts';

/** A recorded value the replay does not reproduce. */
export interface Mismatch {
  readonly line: number;
  readonly pfn: string;
  /** The field as recorded (`ref`, `ref0`, `r_48058`, `count`, `mapcount`, `w1_144000`, `pgmap`). */
  readonly field: string;
  /** A counter, or a word in hex (`"0xffffea0005000001"`). */
  readonly recorded: number | string;
  /** As `recorded`; a pgmap the model holds is `"pgmap dax0.0"`. */
  readonly simulated: number | string | null;
  /** The probed kernel function (`try_grab_folio`), `ksys_write` for a snap line, the page_ref event. */
  readonly function: string;
}

/** A change between two snap lines that no recorded event explains. */
export interface Untraced {
  readonly pfn: string;
  readonly field: string;
  readonly before: number;
  readonly after: number;
  /** The lines it falls between (the previous snap or the start, and this snap). */
  readonly lines: readonly [number, number];
}

/** An observation the check cannot decide, and why. */
export interface Unknown {
  readonly line: number;
  readonly pfn: string;
  readonly field: string;
  readonly recorded: number | string;
  readonly simulated: number | string | null;
  readonly function: string;
  readonly reason: string;
  /** Op kinds the replayed trace cannot observe that may explain the difference (check --against). */
  readonly kinds?: readonly OpKind[];
}

/** What a detail cap left out of a check's lists (counted, not listed). */
export interface NotListed {
  /** The cap: at most this many of each kind are listed. */
  readonly maxDetails: number;
  readonly mismatches: number;
  readonly untraced: number;
  readonly unknowns: number;
  readonly findings: number;
  /** Of the findings not listed, those of error severity (they make the exit code 1). */
  readonly errorFindings: number;
}

/** Every mismatch of a check, listed or not. */
export function mismatchTotal(o: CheckOutcome): number {
  return o.mismatches.length + (o.notListed?.mismatches ?? 0);
}

/** Every untraced change of a check, listed or not. */
export function untracedTotal(o: CheckOutcome): number {
  return o.untraced.length + (o.notListed?.untraced ?? 0);
}

/** Every finding of a check, listed or not. */
export function findingTotal(o: CheckOutcome): number {
  return o.findings.length + (o.notListed?.findings ?? 0);
}

/** Error-severity findings of a check, listed or not. */
export function errorFindingTotal(o: CheckOutcome): number {
  return o.findings.filter((f) => f.severity === 'error').length + (o.notListed?.errorFindings ?? 0);
}

/**
 * An outcome cut to at most `max` details of each kind and `keepUnknowns` unknowns (the
 * rest counted by reason, as the pipeline counts them), for outcomes made without the
 * cap (`check --against`). One the pipeline cut already is returned as it is.
 */
export function capOutcome(o: CheckOutcome, max: number, keepUnknowns: number): CheckOutcome {
  if (o.notListed !== undefined) return o;
  const errorsPast = o.findings.slice(max).filter((f) => f.severity === 'error').length;
  const notListed: NotListed = {
    maxDetails: max,
    mismatches: Math.max(0, o.mismatches.length - max),
    untraced: Math.max(0, o.untraced.length - max),
    unknowns: Math.max(0, o.unknown - Math.min(o.unknowns.length, keepUnknowns)),
    findings: Math.max(0, o.findings.length - max),
    errorFindings: errorsPast,
  };
  if (notListed.mismatches === 0 && notListed.untraced === 0 && notListed.unknowns === 0 && notListed.findings === 0) return o;
  // the unknowns past the kept ones join the count by reason, before those counted already
  let omitted: Map<string, number> | undefined;
  if (o.unknowns.length > keepUnknowns) {
    omitted = new Map();
    for (const u of o.unknowns.slice(keepUnknowns)) omitted.set(`${u.field}: ${u.reason}`, (omitted.get(`${u.field}: ${u.reason}`) ?? 0) + 1);
    for (const [k, n] of o.unknownsOmitted ?? []) omitted.set(k, (omitted.get(k) ?? 0) + n);
  }
  return {
    ...o,
    mismatches: o.mismatches.slice(0, max),
    untraced: o.untraced.slice(0, max),
    findings: o.findings.slice(0, max),
    unknowns: o.unknowns.slice(0, keepUnknowns),
    ...(omitted !== undefined ? { unknownsOmitted: omitted } : {}),
    notListed,
  };
}

/** The whole check result. */
export interface CheckOutcome {
  readonly kernel: string;
  readonly profile: string;
  readonly kconfig: Kconfig;
  /** What the profile makes of the kernel (describeProfile()); text reports print it. */
  readonly details?: readonly string[];
  readonly observations: number;
  readonly matched: number;
  readonly unknown: number;
  readonly untraced: readonly Untraced[];
  readonly mismatches: readonly Mismatch[];
  readonly findings: readonly FindingJson[];
  /** The undecided observations (`unknown` counts them), or the first ones of them (see unknownsOmitted). */
  readonly unknowns: readonly Unknown[];
  /**
   * With PipelineOptions.keepUnknowns: the unknowns past the kept ones, counted by
   * `field: reason` in the order first seen (the text report prints no more of them).
   */
  readonly unknownsOmitted?: ReadonlyMap<string, number>;
  /**
   * With a detail cap (PipelineOptions.maxDetails, `check --max-details`) that cut
   * something: how many of each kind were counted but not listed. The lists hold the
   * first ones; the exact count of a kind is its list's length plus this (unknowns:
   * `unknown`). Absent when every one is listed.
   */
  readonly notListed?: NotListed;
  /** Trace line of the Op each finding names (by its seq), where known. */
  readonly findingLines: ReadonlyMap<number, number>;
  /** How the trace was lifted: `ops` (probe events → Ops) or `refs` (page_ref events as RefEvents). */
  readonly mode?: 'ops' | 'refs';
  /** What the check assumed because the input does not say it; a verdict rests on these. */
  readonly assumptions?: readonly string[];
  /** The profile the header or --kernel names disagrees with the trace's evidence. */
  readonly warnings?: readonly string[];
  /** Facts only one model family produces, with their lines. */
  readonly evidence?: readonly { readonly family: string; readonly kind: string; readonly line: number; readonly text: string }[];
  /** Events the trace says were lost (ring buffer overflow or overwrite), and where. */
  readonly lost?: { readonly events: number; readonly at: readonly { readonly line: number; readonly cpu: number | null; readonly events: number; readonly how: string }[] };
  /** Records not lifted (other tracers, the scheduler; kprobes without definitions), by event. */
  readonly skipped?: readonly { readonly event: string; readonly count: number }[];
  /** check --against: the replayed trace, and what its probe set cannot observe. */
  readonly against?: {
    readonly trace: string;
    readonly kernel: string;
    readonly unobservable: readonly { readonly kind: OpKind; readonly reason: string }[];
    /** Reference drops the replayed trace's own snaps show and its probes do not: replayed as puts. */
    readonly replayed: readonly Untraced[];
  };
}

/** The JSON document of a check (`--format json`). */
export function checkJson(o: CheckOutcome): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    kernel: o.kernel,
    profile: o.profile,
    kconfig: o.kconfig,
    observations: o.observations,
    matched: o.matched,
    unknown: o.unknown,
    // only when a --max-details cap cut a list: each kind's exact count is the list's length plus this
    ...(o.notListed !== undefined ? { notListed: { maxDetails: o.notListed.maxDetails, mismatches: o.notListed.mismatches, untraced: o.notListed.untraced, unknowns: o.notListed.unknowns, findings: o.notListed.findings } } : {}),
    untraced: o.untraced.map((u) => ({ pfn: u.pfn, field: u.field, before: u.before, after: u.after, lines: [...u.lines] })),
    mismatches: o.mismatches.map((m) => ({ line: m.line, pfn: m.pfn, field: m.field, recorded: m.recorded, simulated: m.simulated, function: m.function })),
    // `line`: the trace line of the Op the finding is reported at (what the text report
    // prints), so a reader of the JSON (vmtest) can place it in the workload's phases
    findings: o.findings.map((f) => {
      const line = o.findingLines.get(f.seq);
      return line === undefined ? f : { ...f, line };
    }),
  };
  if (o.mode !== undefined) {
    // the pipeline's additions (issue #12): what the verdict rests on and what it could not see
    doc['mode'] = o.mode;
    doc['assumptions'] = o.assumptions ?? [];
    doc['warnings'] = o.warnings ?? [];
    doc['evidence'] = o.evidence ?? [];
    doc['lost'] = o.lost ?? { events: 0, at: [] };
    doc['skipped'] = o.skipped ?? [];
    doc['unknowns'] = o.unknowns.map((u) => ({ line: u.line, pfn: u.pfn, field: u.field, recorded: u.recorded, simulated: u.simulated, function: u.function, reason: u.reason }));
  }
  if (o.against === undefined) return doc;
  // --against adds what the single-trace document has no room for: whose Ops were replayed,
  // and which Op kinds it cannot observe (each unknown names the ones that may explain it)
  return {
    ...doc,
    against: {
      trace: o.against.trace, kernel: o.against.kernel, unobservable: o.against.unobservable,
      replayed: o.against.replayed.map((u) => ({ pfn: u.pfn, field: u.field, before: u.before, after: u.after, lines: [...u.lines] })),
    },
    unknowns: o.unknowns.map((u) => ({ line: u.line, pfn: u.pfn, field: u.field, recorded: u.recorded, simulated: u.simulated, reason: u.reason, kinds: u.kinds ?? [] })),
  };
}
