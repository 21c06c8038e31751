/**
 * Kernel release strings as traces name them (`KTRACE-BEGIN kernel=…`, `uname -r`):
 * `6.1.0-56-amd64`, `6.12.117+deb13-amd64`, `7.2.13`, `6.15.0-rc3`.
 */

/** A parsed kernel release: the numeric version plus the raw string. */
export interface KernelRelease {
  /** The release string exactly as recorded. */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  /** Third number, 0 when absent (`7.2` → 0). For Debian ABI names (`6.1.0-56`) it is the ABI's 0. */
  readonly patch: number;
  /** What follows the numbers (`-56-amd64`, `+deb13-amd64`, `-rc3`), or `''`. */
  readonly suffix: string;
}

const RELEASE = /^(\d+)\.(\d+)(?:\.(\d+))?(.*)$/;

/**
 * Parses a kernel release string, or returns `null` when it does not start with
 * `MAJOR.MINOR`.
 */
export function parseKernelRelease(text: string): KernelRelease | null {
  const m = RELEASE.exec(text.trim());
  if (!m) return null;
  return {
    text,
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: m[3] === undefined ? 0 : Number(m[3]),
    suffix: m[4] ?? '',
  };
}

/**
 * Compares a release with `major.minor` (patch ignored): negative when the release is
 * older, 0 when it is that series, positive when newer.
 */
export function compareKernelSeries(release: KernelRelease, major: number, minor: number): number {
  return release.major !== major ? release.major - major : release.minor - minor;
}

/** True when `release` is at least `major.minor` (any patch level). */
export function isAtLeast(release: KernelRelease | null, major: number, minor: number): boolean {
  return release !== null && compareKernelSeries(release, major, minor) >= 0;
}

/** True when `release` is older than `major.minor`. */
export function isBefore(release: KernelRelease | null, major: number, minor: number): boolean {
  return release !== null && compareKernelSeries(release, major, minor) < 0;
}
