/**
 * A probe the header defines with no event in the trace is taken as a function that did
 * not run; when the check then reports mismatches, an assumption says so and names
 * every silent probe, since a mismatch may be an operation whose probe lines were
 * filtered out of the recording (pipeline.ts mismatchAssumption).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceText } from '../lift/fixtures.ts';
import { checkDoc } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-silent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silentOf = (assumptions: readonly string[] | undefined): string[] => (assumptions ?? []).filter((a) => a.includes('recorded no event'));

describe('probes the header defines but the trace never shows', () => {
  it('are named in an assumption when the check reports mismatches', async () => {
    const body = traceText('k612-ext4-daxwork.trace.txt').split('\n').filter((l) => !/ try_grab_folio: /.test(l)).join('\n');
    const file = join(dir, 'k612-no-try_grab_folio.txt');
    writeFileSync(file, body);
    const { code, doc } = await checkDoc({ trace: file });
    expect(code).toBe(1);
    expect(doc.mismatches.length).toBeGreaterThan(0);
    const silent = silentOf(doc.assumptions);
    expect(silent).toHaveLength(1);
    expect(silent[0]).toMatch(/^12 probe\(s\) the header defines recorded no event \(try_grab_folio, unpin_user_page, /);
    expect(silent[0]).toMatch(/\): taken as functions that did not run; if their lines were filtered out of the trace, a mismatch reported here may be such a missing operation rather than the kernel disagreeing with the model$/);
  });

  it('are not mentioned when nothing mismatches (the full recording)', async () => {
    const { code, doc } = await checkDoc({ trace: join(new URL('../../events/traces/', import.meta.url).pathname, 'k612-ext4-daxwork.trace.txt') });
    expect(code).toBe(0);
    expect(doc.mismatches).toHaveLength(0);
    expect(silentOf(doc.assumptions)).toEqual([]);
  });
});
