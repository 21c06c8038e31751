/**
 * The built CLI, spawned as a user runs it (`node dist/cli/main.js`): the JSON
 * shape, --at, --pfn through a tail, and exit 2 with file:line:column on stderr and
 * no --out file for every kind of bad input or usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'dax-refsim-cli-'));
const EX = 'events/examples';

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((p) => newest(join(path, p))));
}

/** Runs the CLI from the repository root. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function temp(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const INIT = '{"seq":1,"type":"memmap_init","pfn":"0x40000","nr":512,"pgmap":"pmem0","pgmapType":"fsdax","refcount":0,"vmemmapShift":0}';

describe('dax-refsim replay (built CLI)', () => {
  beforeAll(() => {
    // build when dist is missing or older than any source file (`.ci/run` builds first anyway)
    if (existsSync(bin) && statSync(bin).mtimeMs >= newest(join(root, 'src'))) return;
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (!existsSync(bin)) throw new Error(`npm run build did not produce ${bin}:\n${r.stdout}${r.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the JSON shape for a RefEvent stream and exits 0 without findings', () => {
    const r = cli('replay', `${EX}/legacy-fsdax-get-put.jsonl`, '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      profile: null,
      kconfig: {},
      events: 11,
      folios: [{ head: '0x40200', order: 0, pfns: ['0x40200', '0x40200'], refcount: 1, mapcount: 0, pincount: null, maybeDmaPinned: false, pgmap: 'pmem0', mapping: 'inode:12', index: 0, share: 0,
        // a RefEvent stream has no Ops to attribute to: the fsdax idle reference, inferred
        holders: [{ kind: 'idle', refs: 1, pins: 0, since: 0, origin: 'memmap_init (fsdax)', pgmap: 'pmem0', inferred: true }] }],
      findings: [],
    });
  });

  it('exits 1 when there are findings', () => {
    const r = cli('replay', `${EX}/refcount-underflow.jsonl`, '--format', 'json');
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: unknown[] }).findings).toEqual([
      { code: 'put-on-freed-page', severity: 'error', seq: 4, pfn: '0x40010', function: 'put_page_testzero', message: 'put of 1 on pfn 0x40010, whose refcount was already 0 (freed)' },
      { code: 'refcount-underflow', severity: 'error', seq: 6, pfn: '0x40011', function: 'put_page_testzero', message: 'refcount of pfn 0x40011 fell from 1 to -1' },
    ]);
  });

  it('prints the state after input N with --at, narrowed by --pfn to the folio of a tail', () => {
    const r = cli('replay', `${EX}/fsdax-order9-pin-split.jsonl`, '--at', '9', '--pfn', '0x40305', '--format', 'json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      profile: null,
      kconfig: {},
      events: 9,
      folios: [{ head: '0x40200', order: 9, pfns: ['0x40200', '0x403ff'], refcount: 2, mapcount: 1, pincount: 1, maybeDmaPinned: true, pgmap: 'pmem0', mapping: 'inode:7', index: 0, share: 0,
        // _pincount 1: one of the two unattributed references is a pin
        holders: [{ kind: 'unattributed', refs: 2, pins: 1, since: 0, origin: 'page_ref event (no Op to attribute to)', inferred: true }] }],
      findings: [],
    });
    const dec = cli('replay', `${EX}/fsdax-order9-pin-split.jsonl`, '--at', '9', '--pfn', String(0x40305), '--format', 'json');
    expect(dec.stdout).toBe(r.stdout);
  });

  it('--at N stops reading after input N (a bad line past it is never read), with the same report', () => {
    const text = readFileSync(join(root, `${EX}/refcount-underflow.jsonl`), 'utf8');
    const tail = temp('underflow-then-garbage.jsonl', `${text}{"seq":99,"type":"nope"}\n`);
    for (const [file, at] of [[`${EX}/refcount-underflow.jsonl`, '3'], [tail, '3'], [tail, '6']] as const) {
      const r = cli('replay', file, '--at', at, '--format', 'json');
      const whole = cli('replay', `${EX}/refcount-underflow.jsonl`, '--at', at, '--format', 'json');
      expect(r.status).toBe(whole.status);
      expect(r.stdout).toBe(whole.stdout);
    }
    expect(JSON.parse(cli('replay', tail, '--at', '4', '--format', 'json').stdout)).toMatchObject({ events: 4, findings: [{ code: 'put-on-freed-page', seq: 4 }] });
    // without --at the whole file is read, and the bad line is an error
    expect(cli('replay', tail).status).toBe(2);
  });

  it('prints the text report by default', () => {
    const r = cli('replay', `${EX}/legacy-fsdax-get-put.jsonl`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'profile: none (RefEvent replay)    events: 11    folios: 1\n\nhead     order  refcount  mapcount  pincount  pgmap  mapping\n0x40200  0      1         0         -         pmem0  inode:12\n\nfindings: none\n',
    );
  });

  it('writes --out atomically instead of stdout', () => {
    const out = join(dir, 'ok.json');
    const r = cli('replay', `${EX}/legacy-fsdax-get-put.jsonl`, '--format', 'json', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect((JSON.parse(readFileSync(out, 'utf8')) as { events: number }).events).toBe(11);
  });

  it.each([
    ['a malformed line', 'bad-json.jsonl', `${INIT}\n{"seq":2,"type":"mod","pfn":1,"val":}\n`, ':2:37 BAD_JSON invalid JSON: expected a JSON value'],
    ['an unknown event type', 'unknown.jsonl', `${INIT}\n{"seq":2,"type":"page_ref_mod","pfn":1}\n`, ':2:17 UNKNOWN_TYPE type: "page_ref_mod" is not a RefEvent type'],
    ['a bad field', 'bad-field.jsonl', `${INIT}\n{"seq":2,"type":"mod","pfn":-5,"val":1}\n`, ':2:29 BAD_FIELD pfn: expected a non-negative integer below 2^52'],
    ['a truncated last line', 'cut.jsonl', `${INIT}\n{"seq":2,"type":"mod","pfn":"0x40`, ':2:34 TRUNCATED_LINE last line is cut (no trailing newline): invalid JSON'],
    ['a decreasing seq', 'seq.jsonl', `${INIT}\n{"seq":1,"type":"split","pfn":1}\n`, ':2:8 BAD_SEQ seq: expected an integer greater than 1'],
  ])('exits 2 on %s, with file:line:column on stderr and no --out file', (_what, name, text, where) => {
    const path = temp(name, text);
    const out = join(dir, `${name}.out.json`);
    const r = cli('replay', path, '--format', 'json', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path}${where}`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exits 2 on a missing file with "file: not found"', () => {
    const out = join(dir, 'missing.out');
    const r = cli('replay', 'events/examples/no-such.jsonl', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('events/examples/no-such.jsonl: not found\n');
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [['replay', `${EX}/refcount-underflow.jsonl`, '--bogus'], 'Unknown argument: bogus'],
    [['replay', `${EX}/refcount-underflow.jsonl`, '--format', 'xml'], 'Invalid values'],
    [['replay'], 'Not enough non-option arguments'],
    [['frobnicate'], 'frobnicate'],
    [[], 'give a command'],
    [['replay', `${EX}/refcount-underflow.jsonl`, '--at', '7'], '--at 7: events/examples/refcount-underflow.jsonl has only 6 input events'],
    [['replay', `${EX}/refcount-underflow.jsonl`, '--at', '-1'], '--at -1: expected a non-negative integer'],
    [['replay', `${EX}/refcount-underflow.jsonl`, '--pfn', 'zz'], '--pfn zz: expected a pfn (0x… hex or decimal)'],
    [['replay', `${EX}/refcount-underflow.jsonl`, '--model', 'modern'], "unknown model 'modern'"],
  ])('exits 2 on bad usage: %j', (args, message) => {
    const out = join(dir, 'usage.out');
    const r = cli(...args, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an --out that is the input, leaving the input intact', () => {
    const path = temp('self.jsonl', `${INIT}\n`);
    const r = cli('replay', path, '--out', path);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${path}: refusing to overwrite an input file\n`);
    expect(readFileSync(path, 'utf8')).toBe(`${INIT}\n`);
  });

  it('needs a model for an Op file without a header profile, and takes the header profile otherwise', () => {
    const ops = '{"seq":1,"type":"pgmap.register","pgmap":"pmem0","pgmapType":"fsdax","pfn":262144,"nr":512,"vmemmapShift":0}\n';
    const bare = temp('ops.jsonl', ops);
    const r = cli('replay', bare, '--format', 'json');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bare} holds Ops and its header names no profile: give --model legacy|unified|<family>@<version>`);
    const withModel = cli('replay', bare, '--format', 'json', '--model', 'legacy@6.12');
    expect(withModel.stderr).toBe('');
    expect((JSON.parse(withModel.stdout) as { profile: string; events: number })).toMatchObject({ profile: 'legacy@6.12', events: 1 });
    const headed = temp('ops-h.jsonl', `{"schema":"dax-refsim/1","kind":"ops","profile":"unified@6.16"}\n${ops}`);
    const h = cli('replay', headed, '--format', 'json');
    expect(h.stderr).toBe('');
    expect((JSON.parse(h.stdout) as { profile: string }).profile).toBe('unified@6.16');
  });

  it('names the profile of a RefEvent replay only when --model is given', () => {
    const r = cli('replay', `${EX}/legacy-fsdax-get-put.jsonl`, '--format', 'json', '--model', 'legacy', '--kconfig', 'CONFIG_FS_DAX_PMD=n');
    const doc = JSON.parse(r.stdout) as { profile: string; kconfig: Record<string, string> };
    expect(doc.profile).toBe('legacy@6.14');
    expect(doc.kconfig.CONFIG_FS_DAX_PMD).toBe('n');
  });
});
