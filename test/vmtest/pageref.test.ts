import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPagerefKernels } from '../../vmtest/src/pageref.ts';

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function kernel(root: string, name: string, files: Record<string, string>): void {
  mkdirSync(join(root, name), { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, name, f), text);
}

describe('findPagerefKernels (the cache layout of vmtest/kernels/pageref/build.sh)', () => {
  it('lists finished builds with their version file, and skips unfinished or foreign directories', () => {
    dir = mkdtempSync(join(tmpdir(), 'vmtest-pageref-'));
    kernel(dir, 'pageref-6.12.118-1', { bzImage: 'x', '.config': 'c', version: 'package=linux-source-6.12\ndebian_version=6.12.118-1\nkernelrelease=6.12.118\nfragment_sha256=ab\n' });
    kernel(dir, 'pageref-7.3.4-1_bpo13+1', { bzImage: 'x', '.config': 'c', version: 'package=linux-source-7.3\ndebian_version=7.3.4-1~bpo13+1\nkernelrelease=7.3.4\n' });
    kernel(dir, 'pageref-6.1.192-3', { bzImage: 'x', '.config': 'c' });
    kernel(dir, 'stock-6.1.0-57-amd64', { bzImage: 'x', '.config': 'c', version: 'x=y\n' });
    expect(findPagerefKernels(dir)).toEqual([
      { id: '6.12dbg', version: '6.12.118-1', release: '6.12.118', bzImage: join(dir, 'pageref-6.12.118-1/bzImage'), config: join(dir, 'pageref-6.12.118-1/.config'), source: 'linux-source-6.12 6.12.118-1 (CONFIG_DEBUG_PAGE_REF build)' },
      { id: '7.3dbg', version: '7.3.4-1~bpo13+1', release: '7.3.4', bzImage: join(dir, 'pageref-7.3.4-1_bpo13+1/bzImage'), config: join(dir, 'pageref-7.3.4-1_bpo13+1/.config'), source: 'linux-source-7.3 7.3.4-1~bpo13+1 (CONFIG_DEBUG_PAGE_REF build)' },
    ]);
  });

  it('is empty without a cache', () => {
    expect(findPagerefKernels('/nonexistent/dax-refsim/kernels')).toEqual([]);
  });
});
