/**
 * The reference points replay is measured against, on the same file in the same
 * run: the I/O limit (1 MiB reads, newlines counted with Buffer.indexOf), Node's
 * readline line split, and the baseline: readline + one regex per line + a plain
 * mutable Map<pfn, count> fold. Written here only; no project code is used.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** Lines counted and the wall time. */
export interface Timed {
  readonly ms: number;
  readonly lines: number;
  readonly events: number;
}

/** Reads the file in 1 MiB chunks and counts newlines: nothing can replay it faster. */
export async function ioLimit(path: string): Promise<Timed> {
  const t0 = performance.now();
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  const events = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    }
  } finally {
    await fh.close();
  }
  return { ms: performance.now() - t0, lines, events };
}

/** Node's readline over a file stream: the line split every line-based parser pays. */
export async function readlineSplit(path: string): Promise<Timed> {
  const t0 = performance.now();
  let lines = 0;
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const _line of rl) lines++;
  return { ms: performance.now() - t0, lines, events: 0 };
}

const PAGE_REF = /page_ref_(\w+): +pfn=0x([0-9a-f]+) .*?\bcount=(-?\d+) .*val=(-?\d+)(?: ret=(-?\d+))?/;

/**
 * The baseline: readline, a regex per line, and a mutable Map<pfn, count> fold with
 * the page_ref semantics (set/unfreeze set, freeze to 0 when the count matches,
 * mod_unless unless 0, the rest add val). It validates what replay validates: the
 * count before each event (count − val) against the fold's, resyncing to it on a
 * difference (replay's untraced change), the printed count after it, and `ret` of
 * mod_and_test (1 when the count reached 0). Returns the checksum of the counts and
 * the number of differences too.
 */
export async function mapFold(path: string, idle: number): Promise<Timed & { readonly checksum: number; readonly differences: number }> {
  const t0 = performance.now();
  const counts = new Map<number, number>();
  let lines = 0;
  let events = 0;
  let differences = 0;
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    lines++;
    const m = PAGE_REF.exec(line);
    if (m === null) continue;
    events++;
    const pfn = Number.parseInt(m[2]!, 16);
    const count = Number(m[3]);
    const val = Number(m[4]);
    let cur = counts.get(pfn) ?? idle;
    const op = m[1];
    // the count before: what the event printed minus its delta (a refused add_unless added nothing)
    const prior = op === 'mod_unless' && m[5] === '0' ? count : count - val;
    if (op !== 'set' && op !== 'unfreeze' && op !== 'freeze' && prior !== cur) {
      differences++;
      cur = prior;
    }
    let next: number;
    switch (op) {
      case 'set':
      case 'unfreeze':
        next = val;
        break;
      case 'freeze':
        next = cur === val ? 0 : cur;
        break;
      case 'mod_unless':
        next = cur !== 0 ? cur + val : cur;
        break;
      default:
        next = cur + val;
    }
    if (m[5] !== undefined && op === 'mod_and_test' && Number(m[5]) !== (next === 0 ? 1 : 0)) differences++;
    if (next !== count) differences++;
    counts.set(pfn, count);
  }
  let checksum = 0;
  for (const [pfn, c] of counts) checksum = (checksum + pfn * 31 + c) % 1_000_000_007;
  return { ms: performance.now() - t0, lines, events, checksum, differences };
}
