/**
 * Helpers of the robustness tests: the built CLI spawned as a user runs it (as an
 * unprivileged user when the tests run as root, so permission rows mean something),
 * scratch files, and the parts of an issue line.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';

export const root = resolve(import.meta.dirname, '../..');
export const bin = join(root, 'dist/cli/main.js');

/** The uid of `nobody` when running as root (permission bits do not stop root), else undefined. */
export const NOBODY = process.getuid?.() === 0 ? 65534 : undefined;

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((p) => newest(join(path, p))));
}

/** Builds dist/ when it is missing or older than src/ (`.ci/run` builds first anyway). */
export function ensureBuilt(): void {
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest(join(root, 'src'))) return;
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}

/** A scratch directory anyone may read and enter (the unprivileged runs use it too). */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

/** What one spawned run printed and returned. */
export interface Spawned {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (`input`: its stdin); `asUser` drops root's permission-bypassing capabilities when the tests run as root. */
export function spawnCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; asUser?: boolean; timeoutMs?: number; input?: string | Buffer } = {}): Spawned {
  const o: SpawnSyncOptions = { cwd: opts.cwd ?? root, encoding: 'utf8', env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 1 << 28, ...(opts.input !== undefined ? { input: opts.input } : {}) };
  // Root passes every permission check through CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH.
  // Dropping those two capabilities (setpriv) keeps uid 0, so the checkout stays
  // readable however private its directory is (a clone under a 0700 mktemp dir), while
  // a mode-000 file or a 0555 directory refuses the run as it refuses any user.
  const drop = opts.asUser && NOBODY !== undefined;
  const caps = '-dac_override,-dac_read_search';
  const r = drop
    ? spawnSync('setpriv', [`--inh-caps=${caps}`, `--bounding-set=${caps}`, '--', process.execPath, bin, ...args], o)
    : spawnSync(process.execPath, [bin, ...args], o);
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** `file:line:column CODE` of the first issue line of a stderr, or undefined. */
export function firstIssue(stderr: string): { file: string; line: number; column: number; code: string } | undefined {
  const m = /^(.*?):(\d+):(\d+) ([A-Z_]+) /m.exec(stderr);
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]), code: m[4]! } : undefined;
}

/** The temporary files writeFileAtomic leaves in `dir` (none, after any run). */
export function temps(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}
