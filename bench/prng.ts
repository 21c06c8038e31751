/**
 * A seeded PRNG (mulberry32) for the benchmark's inputs: the same seed writes the
 * same bytes on every machine, so runs compare inputs, not luck.
 */

/** A generator of floats in [0, 1) and integers in [0, n). */
export interface Prng {
  next(): number;
  int(n: number): number;
}

/** mulberry32 seeded with `seed`. */
export function prng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}
