/**
 * Finding: a kernel WARN_ON/BUG_ON condition, a leak, an underflow or a hazard,
 * kept as a value (never thrown), with the kernel function it stands for.
 */

/** Severity as the JSON shape prints it. */
export type Severity = 'warn' | 'error';

/** One finding. `seq` is the seq of the input element (Op or RefEvent) that caused it. */
export interface Finding {
  readonly code: string;
  readonly severity: Severity;
  readonly seq: number;
  readonly pfn: number;
  /** The kernel function whose check this is. */
  readonly function: string;
  readonly message: string;
}

/** Where rules put findings. */
export type FindingSink = (f: Finding) => void;
