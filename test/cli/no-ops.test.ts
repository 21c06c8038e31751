/**
 * diff, ops, holders and export on a trace that defines no kprobes (issue #12): its
 * page_ref events are one kernel's refcount changes, not Ops (a +1 is a fault's map
 * reference or a GUP get, a -1024 one unpin), so these commands refuse at its header,
 * exit 2, naming the input that would do, and write nothing. A 200k-event generated
 * trace (which took diff 80 s and 2.2 GB when its puts were lifted alone, a -1024 as a
 * 1024-page put) is refused from its header, so it costs what writing it does.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';
import { pageRefOnly } from '../fixtures/trace-variants.ts';
import { generateTrace } from '../../bench/gen-trace.ts';

let dir: string;
let small: string;
let big: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dax-refsim-noops-'));
  small = join(dir, 'k72dbg-pageref.trace.txt');
  writeFileSync(small, pageRefOnly(readFileSync('events/traces/k72dbg-ext4-daxwork.trace.txt', 'utf8')));
  big = join(dir, 'gen-200k.trace.txt');
  await generateTrace(big, { events: 200_000, pfns: 65536, seed: 1, kernel: '7.2.13' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (file: string, command: string): string =>
  `${file}: NO_OPS the trace defines no kprobes (no "# kprobe_events:" block): its page_ref events are the ` +
  `recording kernel's refcount changes, not the operations that made them (a +1 is a fault's mapping ` +
  `reference as well as a GUP get, a -1024 one unpin of a pinned page), so there are no Ops for ${command} ` +
  `to run under a model. \`dax-refsim check\` and \`dax-refsim replay\` take it as it is; for ${command}, ` +
  `record with the recorder's kprobes (dax-refsim record, src/record/dax-refsim-record.sh).\n`;

describe('a page_ref-only trace gives no Ops', () => {
  it('the k72dbg recording without its kprobes: the -1024 unpin line is there, diff refuses', async () => {
    expect(readFileSync(small, 'utf8')).toMatch(/page_ref_mod_and_test: .*val=-1024/);
    const r = await cli('diff', small);
    expect(r).toEqual({ status: 2, stdout: '', stderr: refusal(small, 'diff') });
  });
  it('ops --to-dax, holders and export refuse alike, and export writes no file', async () => {
    expect(await cli('ops', '--to-dax', small)).toEqual({ status: 2, stdout: '', stderr: refusal(small, 'ops') });
    expect(await cli('holders', small)).toEqual({ status: 2, stdout: '', stderr: refusal(small, 'holders') });
    const out = join(dir, 'out.json');
    expect(await cli('export', small, '--perfetto', out, '--quiet')).toEqual({ status: 2, stdout: '', stderr: refusal(small, 'export') });
    expect(existsSync(out)).toBe(false);
  });
  it('check still takes it (page_ref events replayed as RefEvents)', async () => {
    const r = await cli('check', small, '--format', 'json');
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'refs', mismatches: [] });
  });
  it('a generated 200k-event page_ref trace: diff and ops refuse from the header', async () => {
    expect(await cli('diff', big)).toEqual({ status: 2, stdout: '', stderr: refusal(big, 'diff') });
    expect(await cli('ops', '--to-dax', big)).toEqual({ status: 2, stdout: '', stderr: refusal(big, 'ops') });
  });
  it('a trace with its kprobes still lifts (the recording it was made from)', async () => {
    const r = await cli('ops', '--to-dax', 'events/traces/k72dbg-ext4-daxwork.trace.txt');
    expect(r.status).toBe(0);
  });
});
