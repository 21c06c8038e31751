/**
 * The header of a recorded trace: the `KTRACE-BEGIN` line and `#` blocks written by
 * the recording scripts, ftrace's own `# tracer:` comment block, and trace-cmd's
 * `cpus=` / `version =` lines. Every part is optional: a plain
 * `/sys/kernel/tracing/trace` dump or `trace-cmd report` output has an (almost) empty
 * header.
 */
import type { KernelRelease } from './kernel-release.ts';
import type { ProbeDefinition } from './probe-definition.ts';
import type { VmemmapInfo } from './vmemmap.ts';

/** Which tool rendered the event lines. */
export type TraceDialect = 'tracefs' | 'trace-cmd' | 'unknown';

/** A `# kconfig:` value: `y`, `n`, `m` or a literal (`CONFIG_NR_CPUS=4`, a quoted string). */
export type KconfigValue = 'y' | 'n' | 'm' | (string & {});

/** One `start-end : name` range of a `# pmem:` line (`/proc/iomem` style). */
export interface IomemRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
}

/** A `# daxX.Y:` line: the device-dax instance's settings and the ndctl answer. */
export interface DaxDeviceInfo {
  readonly line: number;
  /** Device name (`dax0.0`). */
  readonly device: string;
  /** `key=value` pairs before the first `;` (`align`, `resource`, `size`). */
  readonly settings: Readonly<Record<string, string>>;
  /** The parsed `ndctl: { … }` JSON, `undefined` when absent or not valid JSON. */
  readonly ndctl?: unknown;
  /** Everything after the device name, as written. */
  readonly text: string;
}

/** One line of `# probe attach status:`: whether a probe could be registered. */
export interface ProbeAttachStatus {
  readonly line: number;
  readonly ok: boolean;
  /** The status word as written (`ok`, `FAILED`). */
  readonly status: string;
  /** The probe's definition as listed (kretprobes are listed back as `r:`, without maxactive). */
  readonly probe: ProbeDefinition | null;
  /** The definition text. */
  readonly definition: string;
}

/** One line of `# filters:`: the filter set on an event (or on a whole system). */
export interface EventFilter {
  readonly line: number;
  /** Event (or system) name. */
  readonly event: string;
  /** `system` for a filter on a whole event system (`page_ref (system)`), else `event`. */
  readonly scope: 'event' | 'system';
  /** The filter expression, or `null` for `none`. */
  readonly filter: string | null;
}

/** One line of `# kallsyms (selected):`. */
export interface KallsymsEntry {
  readonly address: bigint;
  /** The nm-style symbol type letter (`T`, `t`, `d`, …). */
  readonly type: string;
  readonly name: string;
  /** `[module]` suffix without brackets, when present. */
  readonly module: string | null;
}

/** A `#` line the reader does not interpret, kept verbatim. */
export interface HeaderComment {
  readonly line: number;
  readonly text: string;
}

/** The trace-cmd lines of a header (`# trace-cmd:`, `# record:`, `# report:`, `version =`). */
export interface TraceCmdInfo {
  readonly version: string | null;
  readonly record: string | null;
  readonly report: string | null;
  /** trace.dat file format version from a `version = N` line. */
  readonly fileVersion: string | null;
}

/** Everything known about a trace before its first event. */
export interface TraceHeader {
  /** True when a `KTRACE-BEGIN` line was seen. */
  readonly ktrace: boolean;
  /** `kernel=` of `KTRACE-BEGIN`: the recording kernel's release string. */
  readonly kernel: string | null;
  /** {@link kernel} parsed, `null` when absent or not a release string. */
  readonly release: KernelRelease | null;
  /** `fs=`: the filesystem made on the pmem (meaningless for device-dax runs). */
  readonly fs: string | null;
  /** `work=`: the workload name. */
  readonly work: string | null;
  /** Every `key=value` of `KTRACE-BEGIN`, including kernel/fs/work (and e.g. `format=`). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly kconfig: Readonly<Record<string, KconfigValue>>;
  readonly cmdline: string | null;
  readonly pmem: readonly IomemRange[];
  readonly daxDevices: readonly DaxDeviceInfo[];
  /** `# vmemmap:` (written by `dax-refsim record`): VMEMMAP_START and the struct page layout. */
  readonly vmemmap: VmemmapInfo | null;
  /** `# kprobe_events:` definitions (what the kernel accepted). */
  readonly probes: readonly ProbeDefinition[];
  readonly attachStatus: readonly ProbeAttachStatus[];
  readonly filters: readonly EventFilter[];
  readonly kallsyms: readonly KallsymsEntry[];
  /** ftrace `# tracer: nop`. */
  readonly tracer: string | null;
  /** ftrace `# entries-in-buffer/entries-written: N/M`. */
  readonly entries: { readonly inBuffer: number; readonly written: number } | null;
  /** CPU count from ftrace's `#P:N` or trace-cmd's `cpus=N`. */
  readonly cpus: number | null;
  /** CPUs trace-cmd reported as empty (`CPU 1 is empty`). */
  readonly emptyCpus: readonly number[];
  readonly traceCmd: TraceCmdInfo | null;
  readonly dialect: TraceDialect;
  /** `#` lines not interpreted above (ftrace's column legend, free comments). */
  readonly comments: readonly HeaderComment[];
}
