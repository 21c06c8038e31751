/**
 * The JSONL schema of both tiers: for every Op and RefEvent type, its fields in
 * canonical (written) order with their kind and whether they are optional. The
 * tables are typed against the event interfaces, so a field added to an event and
 * not here (or with the wrong optionality or kind) is a compile error.
 */
import { PGMAP_TYPES, type FsBreakLayoutOp, type Level, type Op, type OpType, type PutPath, type UnpinVia, type VmaRef } from './op.ts';
import type { RefEvent, RefEventType } from './ref-event.ts';

/** JSONL schema version written in every header and accepted on read. */
export const SCHEMA_VERSION = 'dax-refsim/1';

/** Page-table levels, smallest first. */
export const LEVELS: readonly Level[] = ['pte', 'pmd', 'pud'];
/** The put paths of a `put` Op. */
export const PUT_PATHS: readonly PutPath[] = ['put_page', 'folio_put_refs', 'bio_release'];
/** The unpin entry points of an `unpin` Op. */
export const UNPIN_VIAS: readonly UnpinVia[] = ['unpin_user_pages', 'unpin_user_pages_dirty_lock', 'unpin_user_page', 'unpin_user_folio'];
/** The filesystems whose layout-break functions the fs.* Ops name. */
export const FILESYSTEMS: readonly NonNullable<FsBreakLayoutOp['fs']>[] = ['ext4', 'xfs'];

/** The smallest kernel `int`: refcounts (atomic_t), mapcounts and their deltas are s32. */
export const S32_MIN = -(2 ** 31);
/** The largest kernel `int`. */
export const S32_MAX = 2 ** 31 - 1;
/**
 * The largest folio order here: a PUD folio of 4 KiB pages (1 GiB, x86-64's
 * HPAGE_PUD_ORDER); device-dax's vmemmap_shift is at most that too.
 */
export const MAX_FOLIO_ORDER = 18;
/** Every pfn is below 2^52: it fits the widest physical address (52 bits) and stays exact in a number. */
export const PFN_LIMIT = 2 ** 52;

/** A number field's kind. */
export type NumberKind =
  | 'uint' // non-negative integer (counts, orders, pgoffs)
  | 'posint' // positive integer (seq, op, line)
  | 'int' // any integer (deltas, returned values, raw counters)
  | 'pfn' // non-negative integer; "0x…" accepted on read
  | 'addr' // virtual address: as pfn
  | 'pfn-or-none' // a pfn, or -1 where an event names no page
  | 's32' // a kernel int or atomic_t (refcounts, mapcounts and their deltas): -2^31..2^31-1
  | 'order' // a folio order (or vmemmap_shift): 0..MAX_FOLIO_ORDER
  | 'folio-pages' // pages of one folio: 0..2^MAX_FOLIO_ORDER
  | 'pfn-count'; // pages of a pfn range (a pgmap, a memmap): 0..2^52, and pfn + nr ≤ 2^52
/** A field's kind. */
export type FieldKind = NumberKind | 'bool' | 'string' | 'string-or-null' | 'vma' | { readonly oneOf: readonly string[] };

type StringKind<V> = string extends V ? 'string' : { readonly oneOf: readonly V[] };
/** The kinds a field of value type V may have. */
export type KindOf<V> = [V] extends [number]
  ? NumberKind
  : [V] extends [boolean]
    ? 'bool'
    : [V] extends [VmaRef]
      ? 'vma'
      : [V] extends [string]
        ? StringKind<V>
        : [V] extends [string | null]
          ? 'string-or-null'
          : never;

/** One field: its kind, and `optional` exactly when the interface marks it optional. */
export type FieldSpec<T, K extends keyof T> = object extends Pick<T, K>
  ? { readonly kind: KindOf<Exclude<T[K], undefined>>; readonly optional: true }
  : { readonly kind: KindOf<T[K]>; readonly optional?: false };
/** The fields of one event type (all but `seq` and `type`, which every event has). */
export type FieldsOf<T> = { readonly [K in Exclude<keyof T, 'seq' | 'type'>]-?: FieldSpec<T, K> };

/** A field spec without its typing (for the validator and formatter). */
export interface AnyFieldSpec {
  readonly kind: FieldKind;
  readonly optional?: boolean;
}
/** A schema: type → field name → spec, in canonical order. */
export type AnySchema = Readonly<Record<string, Readonly<Record<string, AnyFieldSpec>>>>;

const req = <K extends FieldKind>(kind: K): { readonly kind: K } => ({ kind });
const opt = <K extends FieldKind>(kind: K): { readonly kind: K; readonly optional: true } => ({ kind, optional: true });
const oneOf = <V extends string>(values: readonly V[]): { readonly oneOf: readonly V[] } => ({ oneOf: values });

/** The nested VmaRef of fault-like Ops. */
export const VMA_FIELDS = {
  start: req('addr'),
  end: req('addr'),
  shared: req('bool'),
  file: opt('string'),
  pgoff: opt('uint'),
} as const satisfies FieldsOf<VmaRef>;

const line = opt('posint');
const endsWait = opt('posint');
const fileRange = { file: req('string'), fs: opt(oneOf(FILESYSTEMS)), start: req('uint'), end: opt('uint'), restarts: opt('posint'), line, endsWait } as const;

/** Op fields by type. */
export const OP_SCHEMA: { readonly [K in OpType]: FieldsOf<Extract<Op, { type: K }>> } = {
  'pgmap.register': { pgmap: req('string'), pgmapType: req(oneOf(PGMAP_TYPES)), pfn: req('pfn'), nr: req('pfn-count'), vmemmapShift: req('order'), line, endsWait },
  'pgmap.unregister': { pgmap: req('string'), line, endsWait },
  'dax.fault': {
    mm: req('string'), vma: req('vma'), address: req('addr'), file: req('string'), pgoff: req('uint'), pfn: req('pfn'),
    level: req(oneOf(LEVELS)), write: req('bool'), vmaShared: req('bool'), reflink: req('bool'), line, endsWait,
  },
  'dax.mkwrite': { mm: req('string'), address: req('addr'), file: req('string'), pgoff: req('uint'), pfn: req('pfn'), line, endsWait },
  'dax.hole_read': { mm: req('string'), vma: req('vma'), address: req('addr'), file: req('string'), pgoff: req('uint'), line, endsWait },
  munmap: { mm: req('string'), start: req('addr'), end: req('addr'), line, endsWait },
  mremap: { mm: req('string'), start: req('addr'), end: req('addr'), newStart: req('addr'), newEnd: req('addr'), line, endsWait },
  madvise: { mm: req('string'), start: req('addr'), end: req('addr'), advice: req(oneOf(['dontneed'] as const)), line, endsWait },
  mprotect: { mm: req('string'), start: req('addr'), end: req('addr'), write: req('bool'), line, endsWait },
  'pmd.split': { mm: req('string'), address: req('addr'), line, endsWait },
  fork: { mm: req('string'), child: req('string'), line, endsWait },
  exit: { mm: req('string'), line, endsWait },
  'gup.get': { mm: opt('string'), pfn: req('pfn'), nr: req('uint'), fast: req('bool'), write: opt('bool'), line, endsWait },
  'gup.pin': { mm: opt('string'), pfn: req('pfn'), nr: req('uint'), fast: req('bool'), longterm: req('bool'), write: opt('bool'), line, endsWait },
  put: { pfn: req('pfn'), nr: req('uint'), via: opt(oneOf(PUT_PATHS)), line, endsWait },
  unpin: { pfn: req('pfn'), nr: req('uint'), via: opt(oneOf(UNPIN_VIAS)), line, endsWait },
  'fs.break_layout': fileRange,
  'fs.truncate': fileRange,
  'fs.evict': fileRange,
  'devpriv.alloc': { pfn: req('pfn'), order: req('order'), line, endsWait },
  'devpriv.free': { pfn: req('pfn'), order: req('order'), line, endsWait },
  'p2p.alloc_mmap': { mm: req('string'), vma: req('vma'), address: req('addr'), pfn: req('pfn'), nr: req('uint'), line, endsWait },
  'dio.grab': { mm: opt('string'), pfn: req('pfn'), nr: req('uint'), fast: req('bool'), write: opt('bool'), line, endsWait },
  'dio.release': { pfn: req('pfn'), nr: req('uint'), line, endsWait },
  cow: { mm: req('string'), address: req('addr'), line, endsWait },
};

const op = opt('posint');
const ref = { pfn: req('pfn'), val: req('s32'), op } as const;
const refRet = { pfn: req('pfn'), val: req('s32'), ret: opt('s32'), op } as const;
const rmap = { pfn: req('pfn'), page: req('pfn'), nr: req('folio-pages'), level: req(oneOf(LEVELS)), op } as const;

/** RefEvent fields by type. */
export const REF_EVENT_SCHEMA: { readonly [K in RefEventType]: FieldsOf<Extract<RefEvent, { type: K }>> } = {
  memmap_init: {
    pfn: req('pfn'), nr: req('pfn-count'), pgmap: req('string'), pgmapType: req(oneOf(PGMAP_TYPES)),
    refcount: req('s32'), vmemmapShift: req('order'), op,
  },
  memmap_remove: { pgmap: req('string'), op },
  set: ref,
  mod: ref,
  mod_and_test: refRet,
  mod_and_return: refRet,
  mod_unless: { pfn: req('pfn'), val: req('s32'), unless: opt('s32'), ret: opt('s32'), op },
  freeze: refRet,
  unfreeze: ref,
  prep_compound: { pfn: req('pfn'), order: req('order'), op },
  split: { pfn: req('pfn'), op },
  set_mapping: { pfn: req('pfn'), mapping: req('string-or-null'), index: opt('uint'), op },
  share: { pfn: req('pfn'), share: req('uint'), op },
  add_rmap: rmap,
  remove_rmap: rmap,
  pin_count: ref,
  wake: { pfn: req('pfn'), fn: req('string'), op },
  free: { pfn: req('pfn'), fn: req('string'), op },
  enter: { fn: req('string'), pfn: opt('pfn'), op },
  exit: { fn: req('string'), pfn: opt('pfn'), ret: opt('int'), op },
  vma_add: {
    mm: req('string'), start: req('addr'), end: req('addr'), shared: req('bool'), file: req('string-or-null'), pgoff: req('uint'), anon: opt('bool'), op,
  },
  vma_remove: { mm: req('string'), start: req('addr'), end: req('addr'), op },
  pt_set: {
    mm: req('string'), addr: req('addr'), level: req(oneOf(LEVELS)), pfn: req('pfn'), write: req('bool'), special: req('bool'),
    refcounted: req('bool'), op,
  },
  pt_clear: { mm: req('string'), addr: req('addr'), level: req(oneOf(LEVELS)), op },
  xa_store: { file: req('string'), pgoff: req('uint'), pfn: req('pfn'), order: req('order'), zero: req('bool'), shared: req('bool'), op },
  xa_erase: { file: req('string'), pgoff: req('uint'), op },
  rss: { mm: req('string'), val: req('int'), op },
  wait: {
    pfn: req('pfn'), fn: req('string'), file: req('string'), start: req('uint'), end: req('uint'), until: req('int'),
    interruptible: req('bool'), waiter: req('posint'),
    kind: req(oneOf(['break_layout', 'truncate', 'evict'] as const)), op,
  },
  wait_end: { waiter: req('posint'), how: req(oneOf(['woken', 'interrupted'] as const)), op },
  warn: {
    code: req('string'), severity: req(oneOf(['warn', 'error'] as const)), pfn: req('pfn-or-none'), fn: req('string'),
    message: req('string'), op,
  },
};

/** The expected shape of a kind, as messages print it. */
export function describeKind(kind: FieldKind): string {
  if (typeof kind === 'object') return `one of ${kind.oneOf.join(', ')}`;
  switch (kind) {
    case 'uint':
      return 'a non-negative integer';
    case 'posint':
      return 'a positive integer';
    case 'int':
      return 'an integer';
    case 'pfn':
      return 'a non-negative integer below 2^52';
    case 'addr':
      return 'a non-negative integer';
    case 'pfn-or-none':
      return 'a non-negative integer below 2^52, or -1 for no page';
    case 's32':
      return `an integer from ${S32_MIN} to ${S32_MAX} (a kernel int)`;
    case 'order':
      return `a folio order from 0 to ${MAX_FOLIO_ORDER}`;
    case 'folio-pages':
      return `a page count from 0 to ${2 ** MAX_FOLIO_ORDER} (one folio)`;
    case 'pfn-count':
      return 'a page count from 0 to 2^52 (pfn + nr at most 2^52: a pfn fits in 52 bits)';
    case 'bool':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'string-or-null':
      return 'a string or null';
    case 'vma':
      return 'an object {start, end, shared, file?, pgoff?}';
  }
}

/** `seq, type, a, b?, …`: the fields of a type as the unknown-field message lists them. */
export function describeFields(fields: Readonly<Record<string, AnyFieldSpec>>): string {
  const names = Object.entries(fields).map(([k, s]) => (s.optional ? `${k}?` : k));
  return ['seq', 'type', ...names].join(', ');
}
