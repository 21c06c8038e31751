/**
 * The version axis (spec §0): profile resolution, config, and the differences each
 * span carries (trace mapcount, GUP names, special huge entries, tail encoding).
 */
import { describe, expect, it } from 'vitest';
import { parseKconfig, resolveProfile, ProfileError, PROFILE_SPANS } from '../../src/models/index.ts';

describe('resolveProfile', () => {
  it('a bare family takes its newest profile', () => {
    expect(resolveProfile('legacy').name).toBe('legacy@6.14');
    expect(resolveProfile('unified').name).toBe('unified@7.2');
  });
  it('picks the span by version, from --model family@version or --kernel', () => {
    expect(resolveProfile('unified@6.16')).toMatchObject({ name: 'unified@6.16', from: '6.15', specialHugeEntries: true });
    expect(resolveProfile(undefined, { kernel: '6.16' }).name).toBe('unified@6.16');
    expect(resolveProfile(undefined, { kernel: '6.12.117+deb13-amd64' })).toMatchObject({ name: 'legacy@6.12', gupNames: 'post-6.10', traceMapcount: 'raw' });
    expect(resolveProfile(undefined, { kernel: '6.8' })).toMatchObject({ name: 'legacy@6.8', gupNames: 'pre-6.10', traceMapcount: 'page_mapcount' });
    expect(resolveProfile(undefined, { kernel: '6.1.0-56-amd64' })).toMatchObject({ name: 'legacy@6.1', odirectFollGet: true });
    expect(resolveProfile(undefined, { kernel: '7.3.4+deb13-amd64' })).toMatchObject({ name: 'unified@7.3', from: '7.1', tailMaskCapable: true });
    expect(resolveProfile(undefined, { kernel: '6.19' })).toMatchObject({ name: 'unified@6.19', from: '6.17', specialHugeEntries: false });
  });
  it('the 7.1+ tail mask needs CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y', () => {
    expect(resolveProfile('unified@7.2').tailEncoding).toBe('mask');
    expect(resolveProfile('unified@7.2', { kconfig: { CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'n' } }).tailEncoding).toBe('head');
    expect(resolveProfile('unified@7.0').tailEncoding).toBe('head');
    expect(resolveProfile('legacy').tailEncoding).toBe('head');
  });
  it('the default config is a distribution kernel\'s', () => {
    expect(resolveProfile('legacy').kconfig).toEqual({ CONFIG_TRANSPARENT_HUGEPAGE: 'y', CONFIG_FS_DAX_PMD: 'y', CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y', CONFIG_PAGE_MAPCOUNT: 'y' });
  });
  it('rejects an unknown family, a bad version, a version of the other family, and kernels before 6.1', () => {
    expect(() => resolveProfile('hybrid')).toThrow(ProfileError);
    expect(() => resolveProfile('legacy@x')).toThrow(/bad kernel version/);
    expect(() => resolveProfile('legacy@6.16')).toThrow(/unified kernel/);
    expect(() => resolveProfile(undefined, { kernel: '5.15' })).toThrow(/no profile covers/);
  });
  it('the spans tile the axis from 6.1 without gaps', () => {
    expect(PROFILE_SPANS.map((s) => `${s.from}-${s.to ?? ''}`)).toEqual(['6.1-6.5', '6.6-6.9', '6.10-6.14', '6.15-6.16', '6.17-7.0', '7.1-']);
  });
});

describe('parseKconfig', () => {
  it('reads KEY=VAL lists and .config text', () => {
    expect(parseKconfig('HUGETLB_PAGE_OPTIMIZE_VMEMMAP=n,CONFIG_PAGE_MAPCOUNT=y')).toEqual({ CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'n', CONFIG_PAGE_MAPCOUNT: 'y' });
    expect(parseKconfig('# comment\nCONFIG_FS_DAX=y\n# CONFIG_TRANSPARENT_HUGEPAGE is not set\nCONFIG_X="s"\n')).toEqual({ CONFIG_FS_DAX: 'y', CONFIG_TRANSPARENT_HUGEPAGE: 'n', CONFIG_X: 's' });
  });
  it('rejects an entry without =', () => {
    expect(() => parseKconfig('CONFIG_FOO')).toThrow(/expected CONFIG_NAME=value/);
  });
});
