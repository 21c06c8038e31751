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
