/**
 * What a check had to assume because the input does not say it (no header, no pmem
 * range, a page_ref order, a profile chosen from evidence). Every assumption is
 * printed, in the text report and as `assumptions` in the JSON, and a verdict that
 * rests on one says so: an honest "assuming X" beats a confident answer on a guess.
 */

/** An ordered set of assumption texts (each printed once, in the order first made). */
export class Assumptions {
  private readonly texts: string[] = [];
  private readonly set = new Set<string>();

  /** Adds one (again is a no-op). */
  add(text: string): void {
    if (this.set.has(text)) return;
    this.set.add(text);
    this.texts.push(text);
  }

  /** All of them, in order. */
  get list(): readonly string[] {
    return this.texts;
  }
}
