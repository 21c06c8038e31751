/** Child processes for the harness: synchronous, with the command printed on failure. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Runs and throws with the command's stderr when it does not exit 0. */
export function runOk(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
  return r.stdout;
}

/** Runs and returns stdout as bytes (decompressors); throws unless it exits 0. */
export function runBytes(cmd: string, args: readonly string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return r.stdout;
}
