/**
 * Typed trace records: one per event line, discriminated on `kind`. Field names taken
 * from a trace keep the kernel's names (`count`, `val`, `vm_start`, `radix_entry`).
 * 64-bit quantities (addresses, pointers, inode numbers, page offsets) are bigints.
 */
import type { FlagSet } from './flag-set.ts';
import type { ProbeArgType, ProbeValue } from './probe-arg-type.ts';
import type { ProbeDefinition, ProbeKind } from './probe-definition.ts';
import type { DaxEntry } from './xarray-entry.ts';

/** Fields every record has: where it is and the common line prefix. */
export interface RecordBase {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly task: string;
  readonly pid: number;
  readonly tgid: number | null;
  readonly cpu: number;
  /** Latency flags column (`d..1.`), `null` when the layout has none (trace-cmd). */
  readonly irqFlags: string | null;
  /** Seconds. */
  readonly ts: number;
  /** The timestamp as printed. */
  readonly tsText: string;
  /** The event name as printed (`tracing_mark_write`, trace-cmd's `print`, `snap`). */
  readonly event: string;
  /** The event's system (`ktr`, `page_ref`, `fs_dax`, `ftrace`), `null` when unknown. */
  readonly system: string | null;
  /** `system:event` with the kernel's event name (`ktr:snap`, `ftrace:print`), or the bare name. */
  readonly type: string;
  /** The payload after `EVENT:` (trace-cmd's column padding removed). */
  readonly body: string;
}

/** Where a kprobe fired, as `(sym+off/size [mod])` or a bare address. */
export interface CodeLocation {
  readonly text: string;
  readonly symbol: string | null;
  readonly offset: number | null;
  readonly size: number | null;
  readonly module: string | null;
  /** Set when the location is printed as an address (trace-cmd prints bare hex). */
  readonly address: bigint | null;
}

/** The parenthesised location of a kprobe event. */
export type ProbeLocation =
  | { readonly kind: 'entry'; readonly text: string; readonly at: CodeLocation }
  | {
      readonly kind: 'return';
      readonly text: string;
      /** The probed function. */
      readonly func: CodeLocation;
      /** Where it returned to (the caller). */
      readonly returnSite: CodeLocation;
    };

/** A kprobe / kretprobe / fprobe event, its fields typed by the probe's definition. */
export interface KprobeRecord extends RecordBase {
  readonly kind: 'kprobe';
  /** The definition from the header; `null` when there was none and types were inferred. */
  readonly probe: ProbeDefinition | null;
  readonly probeKind: ProbeKind;
  readonly location: ProbeLocation;
  /** Field values by argument name, in definition order; `null` for `(fault)` or absent. */
  readonly fields: Readonly<Record<string, ProbeValue>>;
  /** The declared type of each field (`null` where inferred). */
  readonly fieldTypes: Readonly<Record<string, ProbeArgType | null>>;
}

/** The page_ref tracepoints (include/trace/events/page_ref.h), without the `page_ref_` prefix. */
export type PageRefOp = 'set' | 'mod' | 'mod_and_test' | 'mod_and_return' | 'mod_unless' | 'freeze' | 'unfreeze';

/** A page_ref tracepoint: the refcount after the operation (spec §9.1). */
export interface PageRefRecord extends RecordBase {
  readonly kind: 'page_ref';
  readonly op: PageRefOp;
  readonly pfn: number;
  /** Page flags: names from tracefs, hex from trace-cmd (decoded when the kernel's layout is known). */
  readonly flags: FlagSet;
  readonly count: number;
  /** Raw `_mapcount` since v6.10 (−1 = unmapped), `page_mapcount()` before. */
  readonly mapcount: number | null;
  /** `%p` of page->mapping: a hashed token in tracefs, the real pointer in trace-cmd. Opaque. */
  readonly mapping: string | null;
  readonly mt: number | null;
  readonly val: number;
  /** Only the `mod_and_test` class (mod_and_test, mod_and_return, mod_unless, freeze). */
  readonly ret: number | null;
}

/** A device number `major:minor`. */
export interface DevNumber {
  readonly major: number;
  readonly minor: number;
}

/** An fs_dax tracepoint (include/trace/events/fs_dax.h); fields absent from an event are `null`. */
export interface FsDaxRecord extends RecordBase {
  readonly kind: 'fs_dax';
  readonly dev: DevNumber;
  readonly ino: bigint;
  /** `shared` / `private` (the VMA's VM_SHARED). */
  readonly sharing: 'shared' | 'private' | null;
  /** FAULT_FLAG_* of a fault event. */
  readonly flags: FlagSet | null;
  /** `write` / `read` of the *_insert_mapping events. */
  readonly write: boolean | null;
  readonly address: bigint | null;
  readonly vm_start: bigint | null;
  readonly vm_end: bigint | null;
  /** `pgoff` (the start for the writeback-range events). */
  readonly pgoff: bigint | null;
  /** End of a `pgoff START-END` range (dax_writeback_range*). */
  readonly pgoff_end: bigint | null;
  readonly max_pgoff: bigint | null;
  readonly pglen: bigint | null;
  readonly length: bigint | null;
  /** pfn of dax_pmd_insert_mapping, with its pfn_t flags. */
  readonly pfn: bigint | null;
  readonly pfn_flags: FlagSet | null;
  /** `zero_page` / `zero_folio` `%p` token (hashed in tracefs). Opaque. */
  readonly zero_page: string | null;
  readonly radix_entry: bigint | null;
  /** {@link radix_entry} decoded (spec §0 item 14). */
  readonly entry: DaxEntry | null;
  /** VM_FAULT_* result of *_done / hole / mkwrite events. trace-cmd's `OOM` for 0 is read as 0. */
  readonly result: FlagSet | null;
}

/** A trace_marker write (`tracing_mark_write: TEXT`, trace-cmd `print: tracing_mark_write: TEXT`). */
export interface MarkerRecord extends RecordBase {
  readonly kind: 'marker';
  readonly text: string;
  /** `<word>` of a `PHASE <word> …` marker, else `null`. */
  readonly phase: string | null;
  /** `key=value` pairs found in the text (`addr=0x7f0b…`, `rc=0`). */
  readonly fields: Readonly<Record<string, string>>;
}

/** Any other event: its `key=value` pairs where the body has them. */
export interface GenericRecord extends RecordBase {
  readonly kind: 'generic';
  readonly fields: Readonly<Record<string, string>>;
}

/** One parsed event line. */
export type TraceRecord = KprobeRecord | PageRefRecord | FsDaxRecord | MarkerRecord | GenericRecord;

/** The record type for a given `kind`. */
export type RecordOf<K extends TraceRecord['kind']> = Extract<TraceRecord, { kind: K }>;
