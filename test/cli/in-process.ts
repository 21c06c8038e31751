/**
 * Runs the CLI in this process (src/cli/main.ts `run`), capturing stdout, stderr and
 * the exit code, so command tests need no build.
 */
import { run } from '../../src/cli/main.ts';

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `dax-refsim ...args`. */
export async function cli(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const status = await run(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { status, stdout, stderr };
}
