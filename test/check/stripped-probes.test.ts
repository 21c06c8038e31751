/**
 * A recording whose probe event lines were filtered out but whose header (KTRACE-BEGIN,
 * `# kprobe_events:` and its probe definitions) and page_ref events were kept — what
 * `grep -E ': page_ref_|^#|^KTRACE'` (a `grep page_ref` keeping the comments) leaves. The
 * header makes it an Ops check, but no Op the probes would have shown is there: the
 * lifter's guess from a bare decrement (a put of -val pages) used to drive the model's
 * count below the kernel's, with thousands of put-on-freed-page findings and count
 * mismatches the kernel never had. Each page_ref event is now its own change.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceText } from '../lift/fixtures.ts';
import { check, checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-stripped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vmtestText(name: string): string {
  return gunzipSync(readFileSync(new URL(`../fixtures/vmtest/${name}.trace.txt.gz`, import.meta.url))).toString('utf8');
}

/** The lines `grep -E ': page_ref_|^#|^KTRACE'` keeps. */
function stripped(text: string): string {
  return text.split('\n').filter((l) => /: page_ref_|^#|^KTRACE/.test(l)).join('\n') + '\n';
}

function temp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const assumption = (taken: number, resynced: number): string =>
  `the header defines probes but the trace has no probe event, only page_ref events (the probe lines filtered out?): each page_ref event is folded as its own change, not as a guessed Op; one whose count before it (count − val) differs from the model's is an untraced change, the model resynced to it (${resynced} of ${taken} events); its ret is compared with what that count before it implies; mapcounts are not compared (no fault or unmap is replayed)`;

describe('probe events filtered out, header and page_ref events kept', () => {
  it.each([
    // events, and those of them that print ret= (each compared too: count and ret)
    ['k72dbg-ext4-daxwork', () => traceText('k72dbg-ext4-daxwork.trace.txt'), 49, 25],
    ['k612dbg-ext4-daxwork', () => traceText('k612dbg-ext4-daxwork.trace.txt'), 14, 8],
    ['k73dbg-ext4-fsdax-dio', () => vmtestText('k73dbg-ext4-fsdax-dio'), 69, 42],
    ['k73dbg-ext4-fsdax-gup', () => vmtestText('k73dbg-ext4-fsdax-gup'), 71, 40],
  ])('%s: every page_ref event matches, no finding, no mismatch, and the assumption says why', async (name, text, events, rets) => {
    const body = stripped(text());
    expect(body).toContain('# kprobe_events:');
    expect(body.split('\n').filter((l) => /: page_ref_/.test(l))).toHaveLength(events);
    const path = temp(`${name}.txt`, body);
    const { code, doc } = await checkDoc({ trace: path });
    expect(code).toBe(0);
    expect(doc.mode).toBe('ops');
    expect(doc.mismatches).toEqual([]);
    expect(doc.untraced).toEqual([]);
    expect(doc.findings).toEqual([]);
    expect(doc.findings.filter((f) => f.code === 'put-on-freed-page' || f.code === 'refcount-underflow')).toEqual([]);
    expect(doc.assumptions).toEqual([assumption(events, 0)]);
    const r = await check({ trace: path });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\nok (assuming the 1 assumption(s) below): ${events + rets} observations, ${events + rets} matched, 0 unknown, 0 untraced, 0 mismatches, 0 findings\n`);
  });

  it('an increment also filtered out is one untraced change, the model resynced to the recorded count', async () => {
    const lines = stripped(traceText('k72dbg-ext4-daxwork.trace.txt')).split('\n');
    // the second +1 of pfn 0x48050 (count=2): the put after it finds 2 where the model has 1
    const second = lines.findIndex((l) => /page_ref_mod: pfn=0x48050 .* count=2 /.test(l));
    expect(second).toBeGreaterThan(0);
    const first = lines.findIndex((l) => /page_ref_mod: pfn=0x48050 /.test(l)) + 1;
    lines.splice(second, 1);
    const { code, doc } = await checkDoc({ trace: temp('gap.txt', lines.join('\n')) });
    expect(code).toBe(0);
    expect(doc.untraced).toEqual([{ pfn: '0x48050', field: 'count', before: 1, after: 2, lines: [first, second + 1] }]);
    expect(doc.mismatches).toEqual([]);
    expect(doc.findings).toEqual([]);
    // 48 counts and 25 rets matched, and the untraced change (its ret: a +1 prints none)
    expect(doc.observations).toBe(48 + 25 + 1);
    expect(doc.matched).toBe(48 + 25);
    expect(doc.assumptions).toEqual([assumption(48, 1)]);
  });

  it('the same events with a probe event kept are lifted as before (the probes explain them)', async () => {
    const text = traceText('k72dbg-ext4-daxwork.trace.txt');
    const { code, doc } = await checkDoc({ trace: temp('full.txt', text) });
    expect(code).toBe(0);
    expect(doc.assumptions ?? []).not.toContain(assumption(49, 0));
    expect(doc.mismatches).toEqual([]);
  });
});
