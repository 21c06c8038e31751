/**
 * The page_ref tier's kernels: CONFIG_DEBUG_PAGE_REF builds from Debian's
 * linux-source packages, made by vmtest/kernels/pageref/build.sh into the cache as
 * `kernels/pageref-<Debian version>/` with `bzImage`, `.config` and `version`
 * (key=value lines: package, debian_version, kernelrelease, …; written last, so a
 * directory with it is a finished build). Every driver is built in, so the image
 * carries no modules.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { seriesId } from './kernels.ts';

export interface PagerefKernel {
  /** Matrix id: `6.12dbg`. */
  id: string;
  /** Debian version of the linux-source package. */
  version: string;
  release: string | null;
  bzImage: string;
  config: string;
  /** What it was built from, for the trace header. */
  source: string;
}

/** key=value lines. */
export function parseVersionFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export function findPagerefKernels(kernelsDir: string): PagerefKernel[] {
  let names: string[];
  try {
    names = readdirSync(kernelsDir);
  } catch {
    return [];
  }
  const out: PagerefKernel[] = [];
  for (const n of names.sort()) {
    if (!n.startsWith('pageref-')) continue;
    const dir = join(kernelsDir, n);
    const bzImage = join(dir, 'bzImage');
    const config = join(dir, '.config');
    const versionFile = join(dir, 'version');
    if (!existsSync(bzImage) || !existsSync(config) || !existsSync(versionFile)) continue;
    const v = parseVersionFile(readFileSync(versionFile, 'utf8'));
    const version = v.debian_version ?? n.slice('pageref-'.length);
    const release = v.kernelrelease ?? null;
    out.push({
      id: `${seriesId(release ?? version)}dbg`,
      version,
      release,
      bzImage,
      config,
      source: `${v.package ?? 'linux-source'} ${version} (CONFIG_DEBUG_PAGE_REF build)`,
    });
  }
  return out;
}
