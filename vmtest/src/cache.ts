/**
 * The vmtest cache, outside the repository: `${XDG_CACHE_HOME:-$HOME/.cache}/dax-refsim/`.
 *
 *   apt/                         the private apt tree (sources.list, lists, .debs)
 *   resolved.json                the kernels last resolved from the lists, with the time
 *   kernels/stock-<release>/     one extracted stock kernel: root/ and meta.json
 *   kernels/pageref-<version>/   a CONFIG_DEBUG_PAGE_REF build: bzImage and config
 *
 * A second run reuses resolved.json while it is fresh and every kernel whose
 * meta.json names the same packages, so it downloads nothing.
 */
import { join } from 'node:path';
import type { ResolvedKernel } from './kernels.ts';

/** How long a resolution is reused before the lists are updated again (VMTEST_REFRESH=1 forces it). */
export const RESOLUTION_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function cacheRoot(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env.HOME ?? '/root', '.cache');
  return join(base, 'dax-refsim');
}

export function cachePaths(root: string) {
  return {
    root,
    apt: join(root, 'apt'),
    resolved: join(root, 'resolved.json'),
    kernels: join(root, 'kernels'),
    stockDir: (release: string) => join(root, 'kernels', `stock-${release}`),
    pagerefDir: (version: string) => join(root, 'kernels', `pageref-${version}`),
  };
}

/** resolved.json. */
export interface Resolution {
  resolvedAt: string;
  kernels: ResolvedKernel[];
}

/** meta.json of an extracted kernel, written last so a half-extracted kernel is no cache hit. */
export interface KernelMeta {
  release: string;
  packages: { name: string; version: string }[];
  vmlinuz: string;
  config: string;
  modules: string | null;
}

/**
 * Whether a stored resolution can be reused: it exists, has a kernel per wanted
 * series, is younger than the max age, and no refresh was asked for.
 */
export function resolutionReusable(r: Resolution | null, wanted: readonly string[], nowMs: number, refresh: boolean, maxAgeMs = RESOLUTION_MAX_AGE_MS): boolean {
  if (r === null || refresh) return false;
  const at = Date.parse(r.resolvedAt);
  if (!Number.isFinite(at) || nowMs - at > maxAgeMs || nowMs < at) return false;
  return wanted.every((id) => r.kernels.some((k) => k.id === id || k.id.startsWith(`${id}.`)));
}

/** Whether an extracted kernel's meta.json names exactly the packages of the resolution. */
export function kernelCached(meta: KernelMeta | null, k: ResolvedKernel): boolean {
  if (meta === null || meta.release !== k.release) return false;
  if (meta.packages.length !== k.packages.length) return false;
  return k.packages.every((p) => meta.packages.some((m) => m.name === p.name && m.version === p.version));
}
