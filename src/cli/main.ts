#!/usr/bin/env node
/**
 * The dax-refsim command line: yargs wiring only. Each command is one
 * CommandModule in src/cli/commands/; this file registers them, turns usage
 * errors into exit 2 (`.strict()` plus a `.fail()` that throws, so a bad flag
 * never reaches a handler), and maps what handlers throw to exit codes.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, type CliContext, type CliIo, type ExitCode } from './context.ts';
import { DEFAULT_MAX_LINE_BYTES, setMaxLineBytes } from '../io/line-limit.ts';
import { DEFAULT_MAX_OP_PAGES, setMaxOpPages } from '../engine/op-bounds.ts';
import { asFileSystemError, inputErrorText, isInputError, isYargsUsage, UsageError } from './errors.ts';
import { replayCommand } from './commands/replay.ts';
import { scenariosCommand } from './commands/scenarios.ts';
import { corpusCommand } from './commands/corpus.ts';
import { diffCommand } from './commands/diff.ts';
import { checkCommand } from './commands/check.ts';
import { opsCommand } from './commands/ops.ts';
import { minimizeCommand } from './commands/minimize.ts';
import { exploreCommand } from './commands/explore.ts';
import { testCommand } from './commands/test.ts';
import { recordCommand } from './commands/record.ts';
import { holdersCommand } from './commands/holders.ts';
import { exportCommand } from './commands/export.ts';
import { reportCommand } from './commands/report.ts';

/** Printed after an internal error: exit 3 is always a bug in dax-refsim, never the input's fault. */
export const REPORT_BUG =
  'This is a bug in dax-refsim, not a problem with your input. Please report it with the command line, the stack above and, if you can share it, the input file.';
import { STDIN_TOKEN } from '../io/open-input.ts';

/** The commands, one module each (add new ones here). */
const COMMANDS = [replayCommand, scenariosCommand, corpusCommand, diffCommand, checkCommand, opsCommand, minimizeCommand, exploreCommand, testCommand, recordCommand,
  holdersCommand,
  exportCommand,
  reportCommand,
];

/** The --max-line-bytes value: a positive integer, else a usage error; the default when absent. */
function parseMaxLineBytes(v: unknown): number {
  if (v === undefined) return DEFAULT_MAX_LINE_BYTES;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-line-bytes ${typeof v === 'string' ? v : JSON.stringify(v)}: expected a positive integer (bytes)`);
  return n;
}

/** The --max-op-pages value: a positive integer, else a usage error; the default when absent. */
function parseMaxOpPages(v: unknown): number {
  if (v === undefined) return DEFAULT_MAX_OP_PAGES;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-op-pages ${typeof v === 'string' ? v : JSON.stringify(v)}: expected a positive integer (pages)`);
  return n;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const ctx: CliContext = { io, exit: (c) => void (code = c) };
  // a lone `-` (stdin) would reach yargs' parser as an empty flag
  let parser = yargs(argv.map((a) => (a === '-' ? STDIN_TOKEN : a)))
    .scriptName('dax-refsim')
    // messages in one language whatever LANG/LC_ALL say: output is byte-identical everywhere
    .locale('en')
    .usage('$0 <command> [options]\n\nReplay ZONE_DEVICE / FS DAX page reference events under the legacy (v6.1–v6.14) and unified (v6.15+) refcount models.')
    .strict()
    .demandCommand(1, 'give a command (see --help)')
    .recommendCommands()
    .exitProcess(false)
    .help()
    .fail((msg, err) => {
      // a handler's own error arrives here too: pass it through unchanged (yargs' own
      // validation errors come as a message, or as a YError)
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(msg ?? err?.message ?? 'bad usage', { fromYargs: true });
    })
    .option('max-line-bytes', {
      type: 'string',
      global: true,
      describe: `longest input line read, in bytes (default ${DEFAULT_MAX_LINE_BYTES}); a longer line is a LINE_TOO_LONG error`,
    })
    .option('max-op-pages', {
      type: 'string',
      global: true,
      describe: `most pages one Op may walk where no kernel bound is tighter (default ${DEFAULT_MAX_OP_PAGES}: the largest folio, 1 GiB of 4 KiB pages); a larger nr is a BAD_FIELD error`,
    })
    .option('lenient', {
      type: 'boolean',
      global: true,
      default: false,
      describe: 'skip bad input lines (counted, the first 20 printed) instead of exit 2; the report is marked partial',
    })
    .middleware((argv) => {
      setMaxLineBytes(parseMaxLineBytes(argv['maxLineBytes']));
      setMaxOpPages(parseMaxOpPages(argv['maxOpPages']));
    })
    .epilog('Exit codes: 0 no findings, 1 findings, 2 bad input or usage, 3 internal error.');
  // Each module is typed by its own arguments; yargs takes them as untyped modules.
  for (const command of COMMANDS) parser = parser.command(command(ctx) as unknown as CommandModule);
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    if (isInputError(e)) {
      // a `-` reached the command as STDIN_TOKEN (a NUL byte): messages say `-` again
      io.stderr(`${inputErrorText(e).replaceAll(STDIN_TOKEN, '-')}\n`);
      if (isYargsUsage(e)) io.stderr('Run dax-refsim --help for usage.\n');
      return EXIT.usage;
    }
    const fsError = asFileSystemError(e);
    if (fsError) {
      io.stderr(`${fsError.message.replaceAll(STDIN_TOKEN, '-')}\n`);
      return EXIT.usage;
    }
    io.stderr(`dax-refsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    io.stderr(`${REPORT_BUG}\n`);
    return EXIT.internal;
  }
}

/** True when this module is the process's entry point (not imported by a test). */
function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // `dax-refsim … | head` closes the pipe early: that is not an error worth a stack
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  const io: CliIo = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };
  process.exitCode = await run(hideBin(process.argv), io);
}
