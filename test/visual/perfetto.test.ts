import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'perfetto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface TraceEvent { ph: string; ts: number; pid: number; cat: string; name: string; id?: string; args?: Record<string, unknown> }

function validate(path: string): { events: TraceEvent[]; open: string[] } {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: TraceEvent[] };
  const events = doc.traceEvents;
  const begun = new Map<string, number>();
  for (const e of events) {
    expect(typeof e.ph, JSON.stringify(e)).toBe('string');
    expect(typeof e.ts, JSON.stringify(e)).toBe('number');
    expect(typeof e.pid, JSON.stringify(e)).toBe('number');
    expect(typeof e.cat, JSON.stringify(e)).toBe('string');
    if (e.ph === 'C') for (const v of Object.values(e.args ?? {})) expect(typeof v).toBe('number');
    if (e.ph === 'b') begun.set(e.id!, (begun.get(e.id!) ?? 0) + 1);
    if (e.ph === 'e') {
      expect(begun.get(e.id!), `end without begin ${e.id}`).toBe(1);
      begun.delete(e.id!);
    }
  }
  return { events, open: [...begun.keys()].sort() };
}

describe('dax-refsim export --perfetto', () => {
  it('writes valid Trace Event JSON for S3 in both models: every slice ends (no leak)', async () => {
    const out = join(dir, 's3.json');
    const r = await cli('export', 'replays/s3-pin-unmap-unpin', '--perfetto', out);
    expect(r.status).toBe(0);
    const { events, open } = validate(out);
    expect(open).toEqual([]);
    const names = events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!['name']);
    expect(names).toEqual(['legacy@6.14', 'unified@7.2', 'diff legacy@6.14 vs unified@7.2']);
    // the pin of an order-0 page: refcount reaches 1025 in unified (map + 1024 bias)
    expect(events.some((e) => e.ph === 'C' && e.pid === 2 && e.name === '0x48050 refcount' && e.args!['value'] === 1025)).toBe(true);
    expect(events.filter((e) => e.cat.startsWith('divergence')).every((e) => typeof e.args!['explanation'] === 'string')).toBe(true);
  });

  it('leaves exactly the leaked reference open, and uses the trace timestamps', async () => {
    const out = join(dir, 'k72.json');
    const r = await cli('export', 'events/traces/k72-ext4-daxshare.trace.txt', '--perfetto', out, '--models', 'unified@7.2');
    const { events, open } = validate(out);
    // io_uring's FOLL_LONGTERM pin of pages 4-5 is refused (line 411, -EOPNOTSUPP) and
    // every mapping goes at the munmap: no reference is left, every slice ends
    expect(open).toEqual([]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('0 reference slice(s) left open');
    // the child's mapping of page 0 is one slice, from its read fault (#4, line 264) to
    // its munmap (#6): the MKWRITE fault at line 274 takes no reference
    const child = events.filter((e) => e.ph === 'b' && String(e.args!['holder']).includes('mm mm:504'));
    expect(child.map((e) => e.args!['line'])).toEqual([264]);
    expect(events.find((e) => e.ph === 'e' && e.id === child[0]!.id)!.args!['endedBy']).toBe('munmap #6');
    // timestamps are µs from the first Op, not seqs: the trace spans more than the 19 Ops
    expect(Math.max(...events.map((e) => e.ts))).toBeGreaterThan(1000);
    const leak = join(dir, 'leak.json');
    const src = join(dir, 'leak.dax');
    (await import('node:fs')).writeFileSync(src, 'scenario "leak"\nprocess A\npgmap pmem0 fsdax 0x40000 +512M\nfile F 0..4M -> 0x48050\nA: mmap F 0..4M shared\nA: fault F\nA: get F line 7\n');
    const l = await cli('export', src, '--perfetto', leak, '--models', 'unified');
    expect(l.status).toBe(1);
    expect(l.stderr).toContain('1 reference slice(s) left open (possible leaks)');
    const v = validate(leak);
    expect(v.open).toHaveLength(1);
    const b = v.events.find((e) => e.ph === 'b' && e.id === v.open[0]);
    expect(b!.name).toBe('gup gup.get');
    expect(b!.args!['line']).toBe(7);
  });

  it('keys S4\'s PMD folio by the larger folio\'s range in both models, summed over the folios in it', async () => {
    const out = join(dir, 's4.json');
    expect((await cli('export', 'replays/s4-pmd-split-pte-refault', '--perfetto', out)).status).toBe(0);
    const { events } = validate(out);
    const counters = (pid: number, name: string): [number, unknown][] => events.filter((e) => e.ph === 'C' && e.pid === pid && e.name === name).map((e) => [e.ts, e.args!['value']]);
    // unified: the order-9 folio's _refcount: the PMD map (#2), zapped by the split (#3),
    // three PTE re-faults (#4-#6), the GUP get and put (#7, #8), the truncate (#9)
    expect(counters(2, '0x48400-0x485ff refcount')).toEqual([[2, 1], [3, 0], [4, 1], [5, 2], [6, 3], [7, 4], [8, 3], [9, 0]]);
    expect(counters(2, '0x48400-0x485ff mapcount')).toEqual([[2, 1], [3, 0], [4, 1], [5, 2], [6, 3], [9, 0]]);
    // legacy: 512 order-0 pages at the fsdax idle 1 each, the get and put on one of them
    expect(counters(1, '0x48400-0x485ff refcount')).toEqual([[2, 512], [7, 513], [8, 512]]);
    expect(counters(1, '0x48400-0x485ff mapcount')).toEqual([[2, 0]]);
    // no per-head track of a page inside the range
    expect(events.filter((e) => e.ph === 'C' && /^0x484[0-9a-f]{2} /.test(e.name))).toEqual([]);
  });

  it('runs a recording under its own kernel\'s profile by default: the 6.1 missed wakeup is an instant event', async () => {
    const out = join(dir, 'k61.json');
    await cli('export', 'events/traces/k61-ext4-daxrace.trace.txt', '--perfetto', out);
    const { events } = validate(out);
    expect(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!['name'])).toEqual(['legacy@6.1', 'unified@7.2', 'diff legacy@6.1 vs unified@7.2']);
    expect(events.filter((e) => e.cat === 'finding').map((e) => [e.pid, e.name, e.args!['pfn']])).toEqual([[1, 'missed-wakeup', '0x48052']]);
  });

  it('leaves no file on a bad input', async () => {
    const out = join(dir, 'bad.json');
    const r = await cli('export', join(dir, 'missing.dax'), '--perfetto', out);
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
