/**
 * `dax-refsim record [-o FILE] [--pfn-range A-B] [--page-ref] [--snap PFN,…] -- <command…>`:
 * runs the shipped recorder, `dax-refsim-record.sh` (POSIX sh + busybox, so that it also
 * runs on test boxes and initramfs guests without Node.js), with the same arguments, and
 * passes its exit status through (the command's own; 2 on a recorder usage or set-up
 * error). The script does all the work; this wrapper only checks for root and keeps the
 * Node process out of the way of Ctrl-C, so the script's trap restores tracefs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { childStatus, type CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';

/** The record command's arguments. */
export interface RecordArgs {
  readonly o?: string;
  readonly 'pfn-range'?: string;
  readonly 'page-ref'?: boolean;
  readonly snap?: string;
  readonly 'snap-fd'?: number;
  readonly comm?: string;
  readonly label?: readonly string[];
  readonly header?: readonly string[];
  readonly command?: readonly (string | number)[];
  readonly '--'?: readonly (string | number)[];
}

/** The shipped recorder: dist/record/ after `npm run build`, src/record/ under the tests. */
export function recorderPath(): string {
  return fileURLToPath(new URL('../../record/dax-refsim-record.sh', import.meta.url));
}

/** The script's argument vector for `args`. */
export function recorderArgv(args: RecordArgs): string[] {
  const out: string[] = [];
  if (args.o !== undefined) out.push('-o', args.o);
  if (args['pfn-range'] !== undefined) out.push('--pfn-range', args['pfn-range']);
  if (args['page-ref'] === true) out.push('--page-ref');
  if (args.snap !== undefined) out.push('--snap', args.snap);
  if (args['snap-fd'] !== undefined) out.push('--snap-fd', String(args['snap-fd']));
  if (args.comm !== undefined) out.push('--comm', args.comm);
  for (const l of args.label ?? []) out.push('--label', l);
  for (const h of args.header ?? []) out.push('--header', h);
  const command = [...(args.command ?? []), ...(args['--'] ?? [])].map(String);
  if (command.length === 0) throw new UsageError('record: give the command to record after --, e.g. dax-refsim record -o t.txt -- ./workload');
  out.push('--', ...command);
  return out;
}

/** Runs the recorder; resolves to its exit status (128+N when it died of signal N). */
export async function runRecord(args: RecordArgs, ctx: CliContext, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const argv = recorderArgv(args);
  // A fake tree (DAX_REFSIM_ROOT, the tests') needs no privileges; the real tracefs does.
  const uid = process.getuid?.();
  if ((env['DAX_REFSIM_ROOT'] ?? '') === '' && uid !== undefined && uid !== 0) {
    throw new UsageError('record: must run as root (it writes kprobes and filters to /sys/kernel/tracing): sudo dax-refsim record …');
  }
  const script = recorderPath();
  if (!existsSync(script)) throw new Error(`recorder script missing: ${script} (run npm run build)`);
  const child = spawn('sh', [script, ...argv], { stdio: ['inherit', 'pipe', 'pipe'], env });
  child.stdout.on('data', (b: Buffer) => ctx.io.stdout(b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => ctx.io.stderr(b.toString('utf8')));
  // Ctrl-C reaches the whole foreground group: the script's trap stops the command and
  // restores tracefs, so Node must outlive it; a SIGTERM to Node alone is passed on.
  const ignore = (): void => undefined;
  const forward = (): void => void child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, signal) => resolve(c ?? 128 + signalNumber(signal)));
    });
    ctx.exit(childStatus(code));
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : 15;
}

/** The yargs module of `record`. */
export function recordCommand(ctx: CliContext): CommandModule<object, RecordArgs> {
  return {
    command: 'record [command..]',
    describe: 'Record the ZONE_DEVICE / FS DAX page references of a command (as root) as a trace check reads with no flags',
    builder: (y: Argv) =>
      y
        .parserConfiguration({ 'populate--': true, 'unknown-options-as-args': false })
        .positional('command', { type: 'string', array: true, describe: 'the command to record, after --' })
        .option('o', { type: 'string', describe: 'write the trace to FILE (default: stdout; written whole or not at all)' })
        .option('pfn-range', { type: 'string', describe: 'filter page/folio events to pfns [A,B) (hex) instead of the ZONE_DEVICE ranges found' })
        .option('page-ref', { type: 'boolean', describe: 'require the page_ref tracepoints (CONFIG_DEBUG_PAGE_REF=y); they are used whenever present' })
        .option('snap', { type: 'string', describe: 'PFN[,PFN…] (hex): snapshot their struct page words at every PHASE marker' })
        .option('snap-fd', { type: 'number', describe: 'the fd the command writes its PHASE markers to (default 3); snaps fire on writes to it only' })
        .option('comm', { type: 'string', describe: 'task name process-level probes and snaps are filtered to (default: the command\'s basename)' })
        .option('label', { type: 'string', array: true, describe: 'KEY=VALUE for the KTRACE-BEGIN line (fs=ext4, work=daxwork)' })
        .option('header', { type: 'string', array: true, describe: 'a "# TEXT" line for the header' }) as unknown as Argv<RecordArgs>,
    handler: (args) => runRecord(args, ctx),
  };
}
