/**
 * Words of the check report a kernel reader takes literally: a pfn is written in hex
 * wherever the report names one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceText } from '../lift/fixtures.ts';
import { check } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-words-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check report words', () => {
  it('an unmatched page_ref event names its pfn in hex, as the rest of the line does', async () => {
    // a page_ref put the kernel never made: line 187's put of 0x48050, printed twice
    const lines = traceText('k72dbg-ext4-daxwork.trace.txt').split('\n');
    const at = lines.findIndex((l) => l.includes('page_ref_mod_and_test: pfn=0x48050 flags=reserved count=1 mapcount=0'));
    expect(at).toBe(186);
    lines.splice(at + 1, 0, lines[at]!.replace('count=1 mapcount=0', 'count=0 mapcount=0'));
    const path = join(dir, 'extra-put.trace.txt');
    writeFileSync(path, lines.join('\n'));
    const r = await check({ trace: path });
    expect(r.stdout).toContain('ok: 584 observations, 583 matched, 1 unknown, 0 untraced, 0 mismatches, 0 findings\n');
    expect(r.stdout).toContain('unknown at line 188 (page_ref_mod_and_test): pfn 0x48050 count recorded 0: no page_ref_mod_and_test (pfn 0x48050, val -1) among the model\'s events\n');
  });
});
