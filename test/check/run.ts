/**
 * Runs the `check` command handler in-process with a captured context, as the CLI
 * would: text or JSON on stdout, the exit code it reports, errors it throws.
 */
import { runCheck, type CheckArgs } from '../../src/cli/commands/check.ts';
import type { CliContext, ExitCode } from '../../src/cli/context.ts';

/** What one run printed and reported. */
export interface CheckCall {
  readonly code: ExitCode | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The JSON document of a check, typed loosely for assertions. */
export interface CheckDoc {
  readonly kernel: string;
  readonly profile: string;
  readonly kconfig: Record<string, string>;
  readonly observations: number;
  readonly matched: number;
  readonly unknown: number;
  readonly untraced: { pfn: string; field: string; before: number; after: number; lines: number[] }[];
  readonly mismatches: { line: number; pfn: string; field: string; recorded: number | string; simulated: number | string | null; function: string }[];
  readonly findings: { code: string; severity?: string; pfn?: string; function?: string; message?: string; line?: number }[];
  readonly against?: { trace: string; kernel: string; unobservable: { kind: string; reason: string }[]; replayed: { pfn: string; field: string; before: number; after: number; lines: number[] }[] };
  readonly unknowns?: { kinds?: string[]; reason: string; line?: number; pfn?: string; field?: string; recorded?: number | string; simulated?: number | string | null; function?: string }[];
  readonly mode?: 'ops' | 'refs';
  readonly assumptions?: string[];
  readonly warnings?: string[];
  readonly evidence?: { family: string; kind: string; line: number; text: string }[];
  readonly lost?: { events: number; at: { line: number; cpu: number | null; events: number; how: string }[] };
  readonly skipped?: { event: string; count: number }[];
}

/** Runs `check` with the given arguments. */
export async function check(args: Partial<CheckArgs> & { readonly trace: string }): Promise<CheckCall> {
  let code: ExitCode | null = null;
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = { io: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, exit: (c) => void (code = c) };
  await runCheck({ format: 'text', ...args }, ctx);
  return { code, stdout, stderr };
}

/** Runs `check --format json` and parses the document. */
export async function checkDoc(args: Partial<CheckArgs> & { readonly trace: string }): Promise<{ code: ExitCode | null; doc: CheckDoc }> {
  const r = await check({ ...args, format: 'json' });
  return { code: r.code, doc: JSON.parse(r.stdout) as CheckDoc };
}
