/**
 * `dax-refsim check` on the six ext4 recordings of issue #5 under the profile each
 * header names: no mismatch and exit 0 everywhere; on the two page_ref builds every
 * observation matched and nothing untraced. The counts are exact: a change in them is a
 * change in what the checker compares, to be reviewed.
 */
import { describe, expect, it } from 'vitest';
import { tracePath } from '../lift/fixtures.ts';
import { check, checkDoc } from './run.ts';

const CASES = [
  { name: 'k612-ext4-daxwork', kernel: '6.12.117+deb13-amd64', profile: 'legacy@6.12', observations: 330 },
  { name: 'k72-ext4-daxwork', kernel: '7.2.13+deb14-amd64', profile: 'unified@7.2', observations: 474 },
  { name: 'k612dbg-ext4-daxwork', kernel: '6.12.117', profile: 'legacy@6.12', observations: 358 },
  { name: 'k72dbg-ext4-daxwork', kernel: '7.2.13', profile: 'unified@7.2', observations: 574 },
  { name: 'k612-ext4-daxrace', kernel: '6.12.117+deb13-amd64', profile: 'legacy@6.12', observations: 46 },
  { name: 'k72-ext4-daxrace', kernel: '7.2.13+deb14-amd64', profile: 'unified@7.2', observations: 81 },
] as const;

describe.each(CASES)('check $name', ({ name, kernel, profile, observations }) => {
  it(`matches all ${observations} observations under ${profile}, exit 0`, async () => {
    const { code, doc } = await checkDoc({ trace: tracePath(`${name}.trace.txt`) });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ kernel, profile, observations, matched: observations, unknown: 0, untraced: [], mismatches: [], findings: [] });
  });
});

describe('the check JSON document', () => {
  it('has exactly the keys of the issue, in order, and the header\'s config options', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k72-ext4-daxrace.trace.txt') });
    expect(Object.keys(doc)).toEqual(['kernel', 'profile', 'kconfig', 'observations', 'matched', 'unknown', 'untraced', 'mismatches', 'findings']);
    expect(doc.kconfig).toMatchObject({ CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y', CONFIG_PAGE_MAPCOUNT: 'y', CONFIG_DEBUG_PAGE_REF: 'n' });
  });
});

describe('check in text form', () => {
  it('prints the summary line', async () => {
    const r = await check({ trace: tracePath('k612-ext4-daxrace.trace.txt') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('profile legacy@6.12');
    expect(r.stdout).toContain('ok: 46 observations, 46 matched, 0 unknown, 0 untraced, 0 mismatches, 0 findings');
  });
});

describe('profile overrides', () => {
  it('--model checks a recording under another family, which then mismatches', async () => {
    const { code, doc } = await checkDoc({ trace: tracePath('k612-ext4-daxrace.trace.txt'), model: 'unified@7.2' });
    expect(doc.profile).toBe('unified@7.2');
    expect(code).toBe(1);
    expect(doc.mismatches.length).toBeGreaterThan(0);
  });
  it('--kconfig adds to the header\'s options', async () => {
    const { doc } = await checkDoc({ trace: tracePath('k72-ext4-daxrace.trace.txt'), kconfig: 'CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=n' });
    expect(doc.kconfig['CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP']).toBe('n');
  });
});

describe('the 6.1 recordings (the same machinery, ahead of issue #8)', () => {
  it('k61-ext4-daxwork: no mismatch under legacy@6.1 (O_DIRECT FOLL_GET released by the bio, lifted as puts)', async () => {
    const { code, doc } = await checkDoc({ trace: tracePath('k61-ext4-daxwork.trace.txt') });
    expect(code).toBe(0);
    expect(doc).toMatchObject({ profile: 'legacy@6.1', observations: 326, matched: 326, mismatches: [], untraced: [] });
  });
  it('k61-ext4-daxrace: the bio release through folio_put_refs wakes nobody: a missed-wakeup finding, no mismatch', async () => {
    const { code, doc } = await checkDoc({ trace: tracePath('k61-ext4-daxrace.trace.txt') });
    expect(code).toBe(0);
    expect(doc.mismatches).toEqual([]);
    expect(doc.findings).toEqual([expect.objectContaining({ code: 'missed-wakeup', pfn: '0x48052', function: 'folio_put_refs' })]);
  });
});

describe('findings in the text report', () => {
  it('name the trace line of the Op that raised them', async () => {
    const r = await check({ trace: tracePath('k61-ext4-daxrace.trace.txt') });
    expect(r.stdout).toMatch(/finding missed-wakeup \(error\) at Op #\d+ \(line 175\) pfn 0x48052 in folio_put_refs/);
  });
});
