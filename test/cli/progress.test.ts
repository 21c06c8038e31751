/**
 * The input progress bar of `replay`, `check` and `diff`: drawn on stderr only when
 * it is a terminal, the input a regular file of PROGRESS_MIN_BYTES or more and no
 * --quiet; and a run under a terminal (util-linux `script` gives it a pty) writes to a
 * redirected stdout exactly the bytes of a piped run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputProgress, PROGRESS_MIN_BYTES } from '../../src/cli/progress.ts';
import { generateTrace } from '../../bench/gen-trace.ts';
import { bin, ensureBuilt } from '../robust/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'progress-'));
const big = join(dir, 'big.trace.txt');
const small = join(dir, 'small.txt');
beforeAll(async () => {
  ensureBuilt();
  // 60,000 page_ref events: about 9 MB of trace text
  await generateTrace(big, { events: 60_000, pfns: 65536, seed: 1, kernel: '7.2.13' });
  writeFileSync(small, 'x\n');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stderr stand-in that says it is (or is not) a terminal and keeps what is written. */
function fakeStderr(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({ write: (chunk: Buffer, _enc, cb) => ((out += chunk.toString()), cb()) }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  w.isTTY = tty;
  w.columns = 120;
  return { stream: w, text: () => out };
}

describe('the input progress bar', () => {
  it('draws on a terminal for a big input, and nowhere else', () => {
    expect(readFileSync(big).length).toBeGreaterThan(PROGRESS_MIN_BYTES);
    const tty = fakeStderr(true);
    const bar = inputProgress('check', big, false, tty.stream);
    bar.stop();
    expect(tty.text()).toContain('check [');
    expect(tty.text()).toMatch(/0\/9 MB read \| 0 MB\/s/);
    for (const [file, quiet, isTty] of [[big, true, true], [big, false, false], [small, false, true], [dir, false, true], ['-', false, true]] as const) {
      const s = fakeStderr(isTty);
      inputProgress('check', file, quiet, s.stream).stop();
      expect(s.text(), `${file} quiet=${quiet} tty=${isTty}`).toBe('');
    }
  });

  it.each([['check'], ['replay']])('%s under a terminal writes the same stdout bytes as piped, the bar only on the terminal', (cmd) => {
    const piped = spawnSync(process.execPath, [bin, cmd, big], { encoding: 'utf8' });
    expect(piped.stderr).not.toContain(`${cmd} [`);
    const out = join(dir, `${cmd}.tty.out`);
    const log = join(dir, `${cmd}.pty.log`);
    // script(1) runs the command on a pty: stderr is a terminal, stdout goes to the file
    const r = spawnSync('script', ['-qfec', `${process.execPath} ${bin} ${cmd} ${big} > ${out}`, log], { encoding: 'utf8' });
    expect(r.status).toBe(piped.status);
    expect(readFileSync(out, 'utf8')).toBe(piped.stdout);
    expect(readFileSync(log, 'utf8')).toContain(`${cmd} [`);
    const quiet = join(dir, `${cmd}.quiet.log`);
    spawnSync('script', ['-qfec', `${process.execPath} ${bin} ${cmd} ${big} --quiet > ${out}`, quiet], { encoding: 'utf8' });
    expect(readFileSync(quiet, 'utf8')).not.toContain(`${cmd} [`);
  }, 120_000);
});
