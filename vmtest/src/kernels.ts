/**
 * The stock kernel matrix: which Debian packages make each kernel, how the newest of
 * each series is chosen from the private apt lists, and where its files land once
 * extracted. Pure functions here; apt and dpkg-deb are driven by fetch.ts.
 */
import { compareDebVersions } from './debversion.ts';

/** A package pinned to one version. */
export interface PinnedPackage {
  name: string;
  version: string;
}

/** One kernel of the matrix, resolved to exact packages. */
export interface ResolvedKernel {
  /** Short name used in the matrix and file names: `6.1`, `6.12`, `7.3`. */
  id: string;
  /** `uname -r` of the kernel: `6.1.0-57-amd64`, `7.3.4+deb13-amd64`. */
  release: string;
  /** Where the packages come from: the stock Debian kernel or a page_ref build. */
  kind: 'stock' | 'pageref';
  packages: PinnedPackage[];
}

/** How one series of the matrix is found among package names. */
export interface KernelSeries {
  id: string;
  /** Package-name prefix given to `apt-cache pkgnames`. */
  prefix: string;
  /** Matches the anchor package's name; group 1 is the release without `-amd64`, the rest its version numbers. */
  pattern: RegExp;
  /** The packages that make the kernel, from its release. */
  packages: (release: string) => string[];
}

/**
 * bookworm's 6.1 (legacy, classic single image package), trixie's 6.12 (legacy) and
 * the newest unified 7.x of trixie-backports and unstable, which Debian splits into
 * linux-binary (vmlinuz), linux-modules and linux-base (config, modules.builtin).
 */
export const STOCK_SERIES: readonly KernelSeries[] = [
  {
    id: '6.1',
    prefix: 'linux-image-6.1.0-',
    pattern: /^linux-image-(6\.1\.0-(\d+))-amd64-unsigned$/,
    packages: (r) => [`linux-image-${r}-unsigned`],
  },
  {
    id: '6.12',
    prefix: 'linux-image-6.12.',
    pattern: /^linux-image-(6\.12\.(\d+)\+deb\d+)-amd64-unsigned$/,
    packages: (r) => [`linux-image-${r}-unsigned`],
  },
  {
    id: '7',
    prefix: 'linux-binary-7.',
    pattern: /^linux-binary-(7\.(\d+)\.(\d+)\+deb(\d+))-amd64$/,
    packages: (r) => [`linux-binary-${r}`, `linux-modules-${r}`, `linux-base-${r}`],
  },
];

/**
 * The newest release of a series among package names: the numbers the pattern
 * captures compared left to right (6.1.0-57 after 6.1.0-9; 7.3.4 after 7.2.13).
 * Null when no name matches.
 */
export function newestRelease(series: KernelSeries, names: readonly string[]): string | null {
  let best: { release: string; key: number[] } | null = null;
  for (const name of names) {
    const m = series.pattern.exec(name.trim());
    if (!m) continue;
    const key = m.slice(2).map(Number);
    if (best === null || compareKeys(key, best.key) > 0) best = { release: `${m[1]!}-amd64`, key };
  }
  return best?.release ?? null;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The matrix id of a release: its `major.minor` (`7.3.4+deb13-amd64` → `7.3`, `6.1.0-57-amd64` → `6.1`). */
export function seriesId(release: string): string {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? `${m[1]!}.${m[2]!}` : release;
}

/** One row of `apt-cache madison`: ` name | version | uri suite/main amd64 Packages`. */
export interface MadisonRow {
  name: string;
  version: string;
  source: string;
}

export function parseMadison(text: string): MadisonRow[] {
  const rows: MadisonRow[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split('|').map((p) => p.trim());
    if (parts.length < 3 || parts[0] === '' || parts[1] === '') continue;
    rows.push({ name: parts[0]!, version: parts[1]!, source: parts[2]! });
  }
  return rows;
}

/** The highest version of `name` among madison rows (Debian ordering), or null. */
export function newestVersion(rows: readonly MadisonRow[], name: string): string | null {
  let best: string | null = null;
  for (const r of rows) {
    if (r.name !== name) continue;
    if (best === null || compareDebVersions(r.version, best) > 0) best = r.version;
  }
  return best;
}

/** `name=version` as apt-get takes it. */
export function aptPin(p: PinnedPackage): string {
  return `${p.name}=${p.version}`;
}

/** The one-line description of a kernel's packages printed and written into each trace header. */
export function packagesLine(k: ResolvedKernel): string {
  return k.packages.map((p) => `${p.name} ${p.version}`).join(', ');
}
