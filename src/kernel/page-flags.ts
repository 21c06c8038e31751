/**
 * The page flags the simulator tracks, as bits of `PageState.flags`.
 * Names and print order follow show_page_flags() (include/trace/events/mmflags.h),
 * which is how page_ref tracepoints print them (`referenced|dirty|reserved|head`).
 */
export const PG_locked = 1 << 0;
export const PG_referenced = 1 << 1;
export const PG_dirty = 1 << 2;
export const PG_reserved = 1 << 3;
export const PG_head = 1 << 4;

/** Flag bits in show_page_flags() print order. */
export const PAGE_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [PG_locked, 'locked'],
  [PG_referenced, 'referenced'],
  [PG_dirty, 'dirty'],
  [PG_reserved, 'reserved'],
  [PG_head, 'head'],
];

/** Formats flags as `a|b|c` in print order. */
export function formatPageFlags(flags: number): string {
  return PAGE_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0)
    .map(([, name]) => name)
    .join('|');
}

/** Parses a show_page_flags() string; unknown names are ignored (they do not change refcounts). */
export function parsePageFlags(text: string): number {
  let flags = 0;
  for (const name of text.split('|')) {
    const hit = PAGE_FLAG_NAMES.find(([, n]) => n === name);
    if (hit) flags |= hit[0];
  }
  return flags;
}
