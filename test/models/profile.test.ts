/**
 * The version axis (spec §0): profile resolution, config, and the differences each
 * span carries (trace mapcount, GUP names, special huge entries, tail encoding).
 */
import { describe, expect, it } from 'vitest';
import { describeProfile, parseKconfig, resolveProfile, ProfileError, PROFILE_SPANS } from '../../src/models/index.ts';

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
  it('7.3 is covered by the 7.1+ span, with 7.2\'s names, O_DIRECT path and struct page layout (recorded identical)', () => {
    const p73 = resolveProfile(undefined, { kernel: '7.3.4+deb13-amd64' });
    const p72 = resolveProfile(undefined, { kernel: '7.2.13+deb14-amd64' });
    expect(p73.from).toBe('7.1');
    // the same offsets; only the layout's label says which BTF they were read from
    expect({ ...p73, name: '', version: '', layout: { ...p73.layout, name: '' } }).toEqual({ ...p72, name: '', version: '', layout: { ...p72.layout, name: '' } });
  });
  it('6.1 has the pre-6.10 names, FOLL_GET O_DIRECT released by folio_put_refs(), and its own folio offsets', () => {
    const p = resolveProfile(undefined, { kernel: '6.1.0-56-amd64' });
    expect(p.names).toMatchObject({ slowGrab: 'try_grab_page', fastGrab: 'try_grab_folio', devmapPutHook: '__put_devmap_managed_page_refs', fastDevmapLeaf: '__gup_device_huge', freeZoneDevice: 'free_zone_device_page', insertPfnPmd: 'vmf_insert_pfn_pmd_prot', slowPudWalk: 'follow_devmap_pud' });
    expect(p.dio).toMatchObject({ grab: 'get', release: 'folio_put_refs' });
    expect(p.layout).toMatchObject({ order: 81, entire: 84, pincount: 88, large: null });
    expect(resolveProfile('legacy@6.12').layout).toMatchObject({ order: 64, entire: 84, pincount: 92, large: 80 });
    expect(resolveProfile('unified@7.2').layout).toMatchObject({ order: 64, entire: 88, pincount: 92, large: 80 });
    // a version no recording showed reads fields by name
    expect(resolveProfile('legacy@6.8').layout).toBeNull();
  });
  it('config is part of the profile: no THP means no DAX PMD/PUD, and the 7.x layout was recorded with PAGE_MAPCOUNT=y', () => {
    expect(resolveProfile('unified@7.2', { kconfig: { CONFIG_TRANSPARENT_HUGEPAGE: 'n' } })).toMatchObject({ thp: false, fsdaxPmd: false });
    expect(resolveProfile('legacy', { kconfig: { CONFIG_FS_DAX_PMD: 'n' } })).toMatchObject({ thp: true, fsdaxPmd: false });
    expect(resolveProfile('unified@7.2', { kconfig: { CONFIG_PAGE_MAPCOUNT: 'n' } }).layout).toBeNull();
    expect(describeProfile(resolveProfile('unified@7.2'))[0]).toContain('tail word 1: a mask');
  });
  it('names the struct page layout for what it is: 7.2\'s offsets, which 7.3\'s BTF has too', () => {
    expect(describeProfile(resolveProfile('unified@7.2'))[2]).toBe('struct page layout: 7.2 (order +64, entire mapcount +88, _pincount +92)');
    expect(describeProfile(resolveProfile('unified@7.3'))[2]).toBe("struct page layout: 7.2's, the same in 7.3's BTF (order +64, entire mapcount +88, _pincount +92)");
    expect(describeProfile(resolveProfile('legacy@6.12'))[2]).toBe('struct page layout: 6.12 (order +64, entire mapcount +84, _pincount +92)');
    expect(describeProfile(resolveProfile('unified@7.1'))[2]).toBe('struct page layout: not recorded for this version: fields read by name');
  });
  it('the 7.1+ tail mask needs CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP=y', () => {
    expect(resolveProfile('unified@7.2').tailEncoding).toBe('mask');
    expect(resolveProfile('unified@7.2', { kconfig: { CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'n' } }).tailEncoding).toBe('head');
    expect(resolveProfile('unified@7.0').tailEncoding).toBe('head');
    expect(resolveProfile('legacy').tailEncoding).toBe('head');
  });
  it('the default config is a distribution kernel\'s', () => {
    expect(resolveProfile('unified').kconfig).toEqual({ CONFIG_TRANSPARENT_HUGEPAGE: 'y', CONFIG_FS_DAX_PMD: 'y', CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y', CONFIG_PAGE_MAPCOUNT: 'y' });
  });
  it('has CONFIG_PAGE_MAPCOUNT only from 6.15, where mm/Kconfig introduced it', () => {
    const base = { CONFIG_TRANSPARENT_HUGEPAGE: 'y', CONFIG_FS_DAX_PMD: 'y', CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y' };
    expect(resolveProfile('legacy').kconfig).toEqual(base);
    expect(resolveProfile('legacy@6.1').kconfig).toEqual(base);
    expect(resolveProfile('legacy@6.14').kconfig).toEqual(base);
    expect(resolveProfile('unified@6.15').kconfig).toEqual({ ...base, CONFIG_PAGE_MAPCOUNT: 'y' });
    expect(resolveProfile('unified@6.16').kconfig).toEqual({ ...base, CONFIG_PAGE_MAPCOUNT: 'y' });
    expect(resolveProfile('unified@7.3').kconfig).toEqual({ ...base, CONFIG_PAGE_MAPCOUNT: 'y' });
    // a config that names it keeps it, whatever the version
    expect(resolveProfile('legacy@6.12', { kconfig: { CONFIG_PAGE_MAPCOUNT: 'y' } }).kconfig['CONFIG_PAGE_MAPCOUNT']).toBe('y');
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
