import { describe, expect, it } from 'vitest';
import { cachePaths, cacheRoot, kernelCached, resolutionReusable, type KernelMeta, type Resolution } from '../../vmtest/src/cache.ts';
import type { ResolvedKernel } from '../../vmtest/src/kernels.ts';

const k73: ResolvedKernel = { id: '7.3', release: '7.3.4+deb13-amd64', kind: 'stock', packages: [{ name: 'linux-binary-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1' }, { name: 'linux-modules-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1' }] };
const k61: ResolvedKernel = { id: '6.1', release: '6.1.0-57-amd64', kind: 'stock', packages: [{ name: 'linux-image-6.1.0-57-amd64-unsigned', version: '6.1.192-3' }] };
const at = Date.parse('2026-12-02T12:00:00Z');
const res: Resolution = { resolvedAt: '2026-12-01T12:00:00Z', kernels: [k61, k73] };

describe('cache location', () => {
  it('is under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheRoot({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/dax-refsim');
    expect(cacheRoot({ XDG_CACHE_HOME: '', HOME: '/h' })).toBe('/h/.cache/dax-refsim');
    expect(cachePaths('/x/dax-refsim').stockDir('6.1.0-57-amd64')).toBe('/x/dax-refsim/kernels/stock-6.1.0-57-amd64');
    expect(cachePaths('/x/dax-refsim').pagerefDir('6.12.118')).toBe('/x/dax-refsim/kernels/pageref-6.12.118');
  });
});

describe('resolutionReusable', () => {
  it('reuses a day-old resolution that has every wanted series (7 matches 7.3)', () => {
    expect(resolutionReusable(res, ['6.1', '7'], at, false)).toBe(true);
  });
  it('updates the lists when asked, when a series is missing, when stale or from the future, or when absent', () => {
    expect(resolutionReusable(res, ['6.1'], at, true)).toBe(false);
    expect(resolutionReusable(res, ['6.12'], at, false)).toBe(false);
    expect(resolutionReusable(res, ['6.1'], at + 7 * 24 * 3600 * 1000, false)).toBe(false);
    expect(resolutionReusable(res, ['6.1'], Date.parse('2026-11-30T00:00:00Z'), false)).toBe(false);
    expect(resolutionReusable(null, ['6.1'], at, false)).toBe(false);
    expect(resolutionReusable({ ...res, resolvedAt: 'garbage' }, ['6.1'], at, false)).toBe(false);
  });
  it('does not take 6.12 for 6.1', () => {
    expect(resolutionReusable({ ...res, kernels: [{ ...k61, id: '6.12' }] }, ['6.1'], at, false)).toBe(false);
  });
});

describe('kernelCached', () => {
  const meta: KernelMeta = { release: k73.release, packages: [...k73.packages].reverse(), vmlinuz: 'root/vmlinuz', config: 'root/config', modules: null };
  it('hits when meta.json names exactly the resolved packages, in any order', () => {
    expect(kernelCached(meta, k73)).toBe(true);
  });
  it('misses on another version, a missing package, another release or no meta.json', () => {
    expect(kernelCached({ ...meta, packages: [{ ...k73.packages[0]!, version: '7.3.4-1~bpo13+2' }, k73.packages[1]!] }, k73)).toBe(false);
    expect(kernelCached({ ...meta, packages: [k73.packages[0]!] }, k73)).toBe(false);
    expect(kernelCached({ ...meta, release: '7.3.5+deb13-amd64' }, k73)).toBe(false);
    expect(kernelCached(null, k73)).toBe(false);
  });
});
