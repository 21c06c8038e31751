/**
 * `--out` is all or nothing: a replay interrupted (SIGINT, SIGTERM) in its write phase,
 * or failed by bad input, leaves the previous target byte-identical and no temporary
 * file. The write phase is held open by the DAX_REFSIM_TEST_HOLD_OUT hook, which says
 * on stderr when the temporary file exists, so no timing is involved.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, ensureBuilt, root, scratch, spawnCli, temps } from './helpers.ts';

const dir = scratch('dax-refsim-out-');
const EX = join(root, 'events/examples/legacy-fsdax-get-put.jsonl');
const PREVIOUS = 'the previous report, which must survive\n';

beforeAll(() => ensureBuilt());

/** Starts a replay --out held in its write phase; resolves with the temp file once it exists. */
function heldReplay(out: string): Promise<{ kill: (s: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>; tmp: string }> {
  const child = spawn(process.execPath, [bin, 'replay', EX, '--out', out], { cwd: root, env: { ...process.env, DAX_REFSIM_TEST_HOLD_OUT: '1' } });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /holding (.*)\n/.exec(err);
      if (m) resolve({ tmp: m[1]!, kill: (s) => (child.kill(s), exited) });
    });
    child.on('exit', () => reject(new Error(`exited before the write phase: ${err}`)));
  });
}

describe('replay --out interrupted in its write phase', () => {
  it.each([['SIGINT'], ['SIGTERM']] as const)('%s: the previous target is untouched and the temporary file is gone', async (signal) => {
    const out = join(dir, `report-${signal}.txt`);
    writeFileSync(out, PREVIOUS);
    const held = await heldReplay(out);
    expect(existsSync(join(dir, held.tmp.slice(held.tmp.lastIndexOf('/') + 1)))).toBe(true);
    const end = await held.kill(signal);
    // it dies by the signal, as an unhandled one would make it
    expect(end.signal).toBe(signal);
    expect(readFileSync(out, 'utf8')).toBe(PREVIOUS);
    expect(temps(dir)).toEqual([]);
  });
});

describe('replay --out failed by bad input', () => {
  it('exit 2: the previous target is untouched and no temporary file is left', () => {
    const out = join(dir, 'report-bad.txt');
    writeFileSync(out, PREVIOUS);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"schema":"dax-refsim/1","kind":"refevents","profile":null}\n{"seq":1,"type":"set","pfn":"0x40000","val":}\n');
    const r = spawnCli(['replay', bad, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl:2:\d+ BAD_JSON/);
    expect(readFileSync(out, 'utf8')).toBe(PREVIOUS);
    expect(temps(dir)).toEqual([]);
  });
});
