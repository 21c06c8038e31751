/**
 * Resolves and downloads the stock kernels through the private apt tree, and extracts
 * them into the cache. A fresh resolution and extracted kernels are reused as they are.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptDirs, aptOptions, hostMirrors, privateSources, sourcesListText } from './apt.ts';
import { cachePaths, kernelCached, resolutionReusable, type KernelMeta, type Resolution } from './cache.ts';
import { STOCK_SERIES, aptPin, newestRelease, newestVersion, parseMadison, seriesId, type ResolvedKernel } from './kernels.ts';
import { runOk } from './proc.ts';

type Log = (line: string) => void;

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

function hostSourceTexts(): string[] {
  const texts: string[] = [];
  const push = (p: string): void => {
    try {
      texts.push(readFileSync(p, 'utf8'));
    } catch {
      /* absent */
    }
  };
  push('/etc/apt/sources.list');
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d')) if (/\.(list|sources)$/.test(f)) push(join('/etc/apt/sources.list.d', f));
  } catch {
    /* absent */
  }
  return texts;
}

/** Writes the private apt tree (idempotent) and returns the apt options. */
function preparePrivateApt(aptRoot: string): string[] {
  const d = aptDirs(aptRoot);
  for (const dir of [d.sourceParts, d.prefParts, join(d.lists, 'partial'), join(d.archives, 'partial')]) mkdirSync(dir, { recursive: true });
  const mirrors = hostMirrors(hostSourceTexts(), process.env.VMTEST_DEBIAN_MIRROR);
  writeFileSync(d.sourceList, sourcesListText(privateSources(mirrors)));
  return aptOptions(aptRoot);
}

/**
 * The stock kernels to test: from resolved.json when it is reusable, else from the
 * private lists after `apt-get update`.
 */
export function resolveStock(cacheRoot: string, wanted: readonly string[], log: Log): Resolution {
  const paths = cachePaths(cacheRoot);
  const stored = readJson<Resolution>(paths.resolved);
  if (resolutionReusable(stored, wanted, Date.now(), process.env.VMTEST_REFRESH === '1')) {
    log(`kernels: cached resolution of ${stored!.resolvedAt} (VMTEST_REFRESH=1 updates the lists)`);
    return stored!;
  }
  const opts = preparePrivateApt(paths.apt);
  log('kernels: apt-get update (private apt configuration)');
  runOk('apt-get', [...opts, '-q', 'update']);
  const kernels: ResolvedKernel[] = [];
  for (const series of STOCK_SERIES.filter((s) => wanted.includes(s.id))) {
    const names = runOk('apt-cache', [...opts, 'pkgnames', series.prefix]).split('\n');
    const release = newestRelease(series, names);
    if (release === null) throw new Error(`no package of the ${series.id} series (${series.prefix}…) in the lists`);
    const pkgNames = series.packages(release);
    const rows = parseMadison(runOk('apt-cache', [...opts, 'madison', ...pkgNames]));
    const packages = pkgNames.map((name) => {
      const version = newestVersion(rows, name);
      if (version === null) throw new Error(`${name}: no version in the lists`);
      return { name, version };
    });
    kernels.push({ id: seriesId(release), release, kind: 'stock', packages });
  }
  const r: Resolution = { resolvedAt: new Date().toISOString(), kernels };
  mkdirSync(cacheRoot, { recursive: true });
  writeFileSync(paths.resolved, JSON.stringify(r, null, 2) + '\n');
  return r;
}

function findFile(root: string, test: (name: string, rel: string) => boolean, rel = ''): string | null {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return null;
  }
  for (const e of entries) {
    const r = join(rel, e.name);
    if (e.isFile() && test(e.name, r)) return r;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      const hit = findFile(root, test, join(rel, e.name));
      if (hit !== null) return hit;
    }
  }
  return null;
}

/**
 * The extracted kernel: downloaded with `apt-get download` and unpacked with
 * `dpkg-deb -x` unless its meta.json already names these packages. Returns the
 * meta (absolute paths) and whether it was a cache hit.
 */
export function ensureStockKernel(cacheRoot: string, k: ResolvedKernel, log: Log): { meta: KernelMeta; cached: boolean } {
  const paths = cachePaths(cacheRoot);
  const dir = paths.stockDir(k.release);
  const metaPath = join(dir, 'meta.json');
  const have = readJson<KernelMeta>(metaPath);
  if (kernelCached(have, k) && existsSync(join(dir, have!.vmlinuz))) {
    return { meta: absolute(dir, have!), cached: true };
  }
  const opts = preparePrivateApt(paths.apt);
  const debs = join(paths.apt, 'debs');
  mkdirSync(debs, { recursive: true });
  log(`kernel ${k.id}: downloading ${k.packages.map(aptPin).join(' ')}`);
  runOk('apt-get', [...opts, '-q', 'download', ...k.packages.map(aptPin)], { cwd: debs });
  rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'root'), { recursive: true });
  for (const p of k.packages) {
    const file = readdirSync(debs).find((f) => f.startsWith(`${p.name}_`) && f.endsWith('_amd64.deb') && decodeURIComponent(f).includes(`_${p.version}_`));
    if (file === undefined) throw new Error(`${p.name} ${p.version}: no .deb after apt-get download`);
    runOk('dpkg-deb', ['-x', join(debs, file), join(tmp, 'root')]);
  }
  const root = join(tmp, 'root');
  const vmlinuz = findFile(root, (n) => n === 'vmlinuz' || n === `vmlinuz-${k.release}`);
  const config = findFile(root, (n, rel) => n === `config-${k.release}` || (n === 'config' && rel.includes(k.release)));
  if (vmlinuz === null) throw new Error(`kernel ${k.release}: no vmlinuz in ${k.packages.map((p) => p.name).join(', ')}`);
  if (config === null) throw new Error(`kernel ${k.release}: no config in ${k.packages.map((p) => p.name).join(', ')}`);
  const modules = ['lib/modules', 'usr/lib/modules'].map((m) => join(m, k.release)).find((m) => existsSync(join(root, m, 'kernel'))) ?? null;
  const meta: KernelMeta = { release: k.release, packages: k.packages, vmlinuz: join('root', vmlinuz), config: join('root', config), modules: modules === null ? null : join('root', modules) };
  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  renameSync(tmp, dir);
  return { meta: absolute(dir, meta), cached: false };
}

function absolute(dir: string, m: KernelMeta): KernelMeta {
  return { ...m, vmlinuz: join(dir, m.vmlinuz), config: join(dir, m.config), modules: m.modules === null ? null : join(dir, m.modules) };
}
