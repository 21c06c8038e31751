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
import { isInputError, isYargsUsage, UsageError } from './errors.ts';
import { replayCommand } from './commands/replay.ts';
import { scenariosCommand } from './commands/scenarios.ts';
import { corpusCommand } from './commands/corpus.ts';
import { diffCommand } from './commands/diff.ts';
import { checkCommand } from './commands/check.ts';
import { opsCommand } from './commands/ops.ts';

/** The commands, one module each (add new ones here). */
const COMMANDS = [replayCommand, scenariosCommand, corpusCommand, diffCommand, checkCommand, opsCommand];

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const ctx: CliContext = { io, exit: (c) => void (code = c) };
  let parser = yargs([...argv])
    .scriptName('dax-refsim')
    .usage('$0 <command> [options]\n\nReplay ZONE_DEVICE / FS DAX page reference events under the legacy (v6.6–v6.14) and unified (v6.15+) refcount models.')
    .strict()
    .demandCommand(1, 'give a command (see --help)')
    .recommendCommands()
    .exitProcess(false)
    .help()
    .fail((msg, err) => {
      // a handler's own error arrives here too: pass it through unchanged
      if (err) throw err;
      throw new UsageError(msg);
    })
    .epilog('Exit codes: 0 no findings, 1 findings, 2 bad input or usage, 3 internal error.');
  // Each module is typed by its own arguments; yargs takes them as untyped modules.
  for (const command of COMMANDS) parser = parser.command(command(ctx) as unknown as CommandModule);
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    if (isInputError(e)) {
      io.stderr(`${e.message}\n`);
      if (isYargsUsage(e)) io.stderr('Run dax-refsim --help for usage.\n');
      return EXIT.usage;
    }
    io.stderr(`dax-refsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
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
