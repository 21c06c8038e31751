/**
 * Timestamps of a recorded trace's lines (ftrace's `  1234.567890:` after the CPU
 * and flags), so the picture commands put a lifted Op at the time it was recorded.
 * µs, relative to the first timestamped line; undefined for other inputs.
 */
import { readFileSync } from 'node:fs';
import type { Op } from '../../events/op.ts';
import type { OpInput } from './op-input.ts';

const TS = /\s(\d+)\.(\d{1,9}):\s/;

/** An Op's time: its line's trace timestamp, else its seq (kept non-decreasing). */
export function opTimes(input: OpInput): (op: Op) => number {
  if (input.format !== 'trace') return (op) => op.seq;
  const byLine = new Map<number, number>();
  let first: number | undefined;
  const wanted = new Set(input.ops.map((o) => o.line).filter((l): l is number => l !== undefined));
  readFileSync(input.file, 'utf8').split('\n').forEach((text, i) => {
    if (!wanted.has(i + 1)) return;
    const m = TS.exec(text);
    if (!m) return;
    const us = Number(m[1]) * 1e6 + Number(m[2]!.padEnd(9, '0')) / 1e3;
    first ??= us;
    byLine.set(i + 1, us);
  });
  const times = new Map<number, number>();
  let prev = 0;
  for (const op of input.ops) {
    const t = op.line !== undefined ? byLine.get(op.line) : undefined;
    prev = t === undefined ? prev : Math.max(prev, Math.round((t - (first ?? 0)) * 1000) / 1000);
    times.set(op.seq, prev);
  }
  return (op) => times.get(op.seq) ?? op.seq;
}
