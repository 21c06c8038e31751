/**
 * Divergence: one way two models disagree about a folio after an Op.
 */

/** Divergence classes (issue #4). `refcount` is a reference difference no other class explains. */
export type DivergenceClass = 'baseline' | 'map-reference' | 'busy' | 'folio-shape' | 'association' | 'wake' | 'finding' | 'refcount';

/** Every class, in report order. */
export const DIVERGENCE_CLASSES: readonly DivergenceClass[] = ['baseline', 'map-reference', 'busy', 'folio-shape', 'association', 'wake', 'finding', 'refcount'];

/** A value one model holds for the compared field. */
export type FieldValue = number | string | boolean | null | readonly (number | string)[];

/** One divergence, keyed by the head of the compared pfn range. */
export interface Divergence {
  /** seq of the Op after which the states differ. */
  readonly seq: number;
  /** Op type. */
  readonly op: string;
  /** Trace line the Op came from, when lifted from a recording. */
  readonly line?: number;
  /** The trace's PHASE (trace_marker) the Op fell in, when lifted from a recording. */
  readonly phase?: string;
  /** Head pfn of the compared range (the larger folio's head). */
  readonly pfn: number;
  /** First and last pfn of the compared range. */
  readonly pfns: readonly [number, number];
  readonly class: DivergenceClass;
  readonly field: string;
  readonly a: FieldValue;
  readonly b: FieldValue;
  /** Pure re-encoding (hidden by --semantic). */
  readonly reencoding: boolean;
  readonly explanation: string;
}

/** The values both models hold on an episode's range after one Op. */
export interface EpisodeStep {
  readonly seq: number;
  readonly op: string;
  readonly line?: number;
  readonly a: string;
  readonly b: string;
}

/**
 * An episode: one interval in which two models differ on a compared range in one
 * class/field, from the Op that made them differ to the Op after which they agree again
 * (`end`), or to the end of the input (`end` null). `wake` and `finding` are events of
 * one Op, so their episodes start and end there.
 */
export interface Episode {
  /** First and last pfn of the compared range. */
  readonly pfns: readonly [number, number];
  readonly class: DivergenceClass;
  readonly field: string;
  /** The values of the field when the episode began. */
  readonly a: FieldValue;
  readonly b: FieldValue;
  readonly reencoding: boolean;
  /** The class's one-line headline. */
  readonly headline: string;
  readonly start: EpisodeStep;
  /** The Op after which the models agree again; null: they still differ at the end. */
  readonly end: EpisodeStep | null;
  /** Every Op in between that changed either side's values (capped; `elided` counts the rest). */
  readonly changes: readonly EpisodeStep[];
  readonly elided: number;
  /** What the runs did at the start, at each kept change and at the end: per Op, its lines. */
  readonly steps: readonly EpisodeText[];
  /** The steps' lines, flattened (an Op line, then one line per side). */
  readonly explanation: readonly string[];
}

/** The explanation lines of one Op of an episode (`seq` −1: a note, such as elided changes). */
export interface EpisodeText {
  readonly seq: number;
  readonly lines: readonly string[];
}
