/** `dax-refsim record`: the shipped script with the same arguments, its exit status passed through. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recorderArgv, runRecord } from '../../src/cli/commands/record.ts';
import type { CliContext, ExitCode } from '../../src/cli/context.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { run } from '../../src/cli/main.ts';
import { functionsOf, makeTree, type FakeTree } from './fixture.ts';

let t: FakeTree | null = null;
afterEach(() => t?.cleanup());

async function record(args: Parameters<typeof runRecord>[0], env: NodeJS.ProcessEnv): Promise<{ code: ExitCode | null; stdout: string; stderr: string }> {
  let code: ExitCode | null = null;
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = { io: { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, exit: (c) => void (code = c) };
  await runRecord(args, ctx, env);
  return { code, stdout, stderr };
}

describe('dax-refsim record', () => {
  it('passes every option on, in the script\'s order', () => {
    expect(recorderArgv({ o: 't.txt', 'pfn-range': '40000-60000', 'page-ref': true, snap: '48050', 'snap-fd': 4, comm: 'w', label: ['fs=ext4'], header: ['x: y'], '--': ['./w', '-n', 3] })).toEqual([
      '-o', 't.txt', '--pfn-range', '40000-60000', '--page-ref', '--snap', '48050', '--snap-fd', '4', '--comm', 'w', '--label', 'fs=ext4', '--header', 'x: y', '--', './w', '-n', '3',
    ]);
    expect(() => recorderArgv({})).toThrow(UsageError);
  });

  it('refuses to run as another user than root, before touching anything', async () => {
    const getuid = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      const env = { ...process.env };
      delete env['DAX_REFSIM_ROOT'];
      await expect(record({ '--': ['true'] }, env)).rejects.toThrow(new UsageError('record: must run as root (it writes kprobes and filters to /sys/kernel/tracing): sudo dax-refsim record …'));
    } finally {
      getuid.mockRestore();
    }
  });

  it('records on a fake machine and exits with the command\'s status', async () => {
    t = makeTree({ release: '7.2.13+deb14-amd64', functions: functionsOf('k72-ext4-daxwork'), vmemmapBase: '0xffffea0000000000' });
    const out = join(t.tmp, 't.txt');
    const r = await record({ o: out, '--': ['sh', '-c', 'exit 5'] }, { ...process.env, DAX_REFSIM_ROOT: t.root, TMPDIR: t.tmp });
    expect(r.code).toBe(5);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('KTRACE-BEGIN kernel=7.2.13+deb14-amd64');
  });

  it('takes the command after -- with its own flags through the CLI parser', async () => {
    t = makeTree({ release: '6.12.117+deb13-amd64', functions: functionsOf('k612-ext4-daxwork'), vmemmapBase: '0xffffea0000000000' });
    const out = join(t.tmp, 't.txt');
    const saved = { root: process.env['DAX_REFSIM_ROOT'], tmp: process.env['TMPDIR'] };
    process.env['DAX_REFSIM_ROOT'] = t.root;
    process.env['TMPDIR'] = t.tmp;
    let stderr = '';
    try {
      const code = await run(['record', '-o', out, '--label', 'work=w', '--', 'sh', '-c', 'echo "$0" >&2; exit 4', 'x'], { stdout: () => undefined, stderr: (s) => void (stderr += s) });
      expect(code).toBe(4);
    } finally {
      for (const [k, v] of [['DAX_REFSIM_ROOT', saved.root], ['TMPDIR', saved.tmp]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(stderr).toBe('x\n');
    expect(readFileSync(out, 'utf8')).toContain('# recorder: dax-refsim-record.sh command=sh -c echo "$0" >&2; exit 4 x exit=4 comm=sh\n');
  });

  it('exits 2 with the script\'s message on a recorder usage error, writing nothing', async () => {
    t = makeTree({ release: '7.2.13+deb14-amd64', functions: [] });
    const out = join(t.tmp, 't.txt');
    const r = await record({ o: out, 'pfn-range': '60000-40000', '--': ['true'] }, { ...process.env, DAX_REFSIM_ROOT: t.root, TMPDIR: t.tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dax-refsim-record: --pfn-range 60000-40000: expected A-B with hex pfns, A < B (e.g. 40000-60000)\n');
    expect(existsSync(out)).toBe(false);
  });
});
