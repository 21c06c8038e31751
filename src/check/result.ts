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
