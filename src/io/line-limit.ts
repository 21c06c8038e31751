/**
 * The line-length limit every reader applies (no imports: the pure trace reader's
 * byte-chunk path uses it too). A line longer than the limit is not kept: readers
 * count its bytes to its newline and report LINE_TOO_LONG, so a damaged file costs
 * time and memory bounded by the limit, not by the damage.
 */

/**
 * The default line-length limit: 1 MiB. The longest real line is a snap probe of a few
 * KiB; a longer one is damage, and keeping it would cost time and memory in proportion
 * to the damage rather than to the limit.
 */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

let lineLimit = DEFAULT_MAX_LINE_BYTES;

/** The line-length limit every reader applies (the CLI's --max-line-bytes). */
export function maxLineBytes(): number {
  return lineLimit;
}

/** Sets the line-length limit (a positive integer of bytes). */
export function setMaxLineBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`line-length limit ${bytes}: expected a positive integer`);
  lineLimit = bytes;
}

/** The message of a LINE_TOO_LONG issue. */
export function lineTooLongMessage(limit: number): string {
  return `line longer than ${limit} bytes (the limit; see --max-line-bytes): not read`;
}

