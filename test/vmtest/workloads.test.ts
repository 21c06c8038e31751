/**
 * The vmtest workloads (vmtest/workloads/*.c) without a kernel under test: each
 * compiles statically with -Wall -Werror, the manifest is valid and covers every
 * kernel operation that issues 11 and 12 name, a missing target is a usage error
 * (exit 2), and each runs on this host against a plain tmpfs directory, where
 * there is no DAX: it records the kernel's refusals (MAP_SYNC: EOPNOTSUPP) in
 * PHASE markers, both on stdout and in the $DAX_REFSIM_MARKER file, and exits 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIR = 'vmtest/workloads';
const TARGETS = ['ext4', 'xfs', 'devdax-1G', 'devdax-2M'];
/** What the harness can hand a workload besides its target (README of vmtest/workloads). */
const NEEDS: Record<string, string> = { blockdev: '{blockdev}', slowdev: '{slowdev}', 'xfs-reflink': '' };
/** Every operation a workload may claim to cover (the README lists what each means). */
const VOCABULARY = [
  'pte-read-fault', 'pte-write-fault', 'pte-write-after-read', 'pmd-read-fault', 'pmd-write-fault',
  'pmd-write-after-read', 'hole-read-fault', 'msync', 'map-sync', 'truncate-mapped', 'munmap-whole',
  'gup-get-fast', 'gup-get-slow', 'gup-pin-fast', 'gup-pin-slow', 'process-vm-readv', 'vmsplice',
  'iouring-fixed-buffers', 'odirect-into-dax', 'odirect-from-dax', 'punch-hole-pinned', 'truncate-pinned',
  'punch-hole-under-io', 'truncate-under-io', 'fork-shared', 'fork-private', 'map-private-cow',
  'munmap-part-pmd', 'madvise-dontneed-part-pmd', 'mprotect', 'mremap-move', 'mremap-grow',
  'reflink-shared-faults', 'reflink-cow-unshare', 'reflink-punch-sharer',
  'devdax-faults', 'devdax-gup', 'devdax-pin', 'devdax-fork', 'devdax-munmap',
];

/**
 * The operations issue 11 (item 3) and issue 12 ("Kernel operations the workloads
 * never ran", Build item 4) ask the workloads to cover, as vocabulary names.
 */
const REQUIRED = [
  // issue 11 item 3
  'pte-read-fault', 'pte-write-fault', 'pmd-read-fault', 'pmd-write-fault', 'pte-write-after-read',
  'pmd-write-after-read', 'gup-get-fast', 'gup-get-slow', 'gup-pin-fast', 'gup-pin-slow', 'process-vm-readv',
  'vmsplice', 'odirect-into-dax', 'iouring-fixed-buffers', 'punch-hole-pinned', 'truncate-pinned',
  'punch-hole-under-io', 'truncate-under-io', 'fork-shared', 'fork-private', 'map-private-cow', 'munmap-whole',
  'munmap-part-pmd',
  // issue 12
  'reflink-shared-faults', 'reflink-cow-unshare', 'reflink-punch-sharer', 'map-sync', 'mprotect', 'mremap-move',
  'mremap-grow', 'madvise-dontneed-part-pmd', 'devdax-fork', 'odirect-from-dax',
  // device-dax with 1 GiB and 2 MiB alignment: faults, GUP, pin, fork, munmap
  'devdax-faults', 'devdax-gup', 'devdax-pin', 'devdax-munmap',
];

interface Workload {
  readonly name: string;
  readonly targets: readonly string[];
  readonly args: readonly string[];
  readonly needs: readonly string[];
  readonly covers: readonly string[];
}

const manifest = JSON.parse(readFileSync(join(DIR, 'workloads.json'), 'utf8')) as Workload[];
const sources = readdirSync(DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();

let out = '';
let scratch = '';

function run(bin: string, args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(join(out, bin), args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'dax-refsim-wl-'));
  // tmpfs: no DAX, so every DAX-only request is refused as on a kernel without it
  scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dax-refsim-wl-'));
  const make = spawnSync('make', ['-C', DIR, 'CC=gcc', `OUT=${out}`, '-j2'], { encoding: 'utf8' });
  if (make.status !== 0) throw new Error(`make failed (exit ${make.status}):\n${make.stdout}\n${make.stderr}`);
}, 300_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('vmtest workloads: build', () => {
  it('compiles every workload statically with -Wall -Werror', () => {
    expect(sources.length).toBeGreaterThanOrEqual(4);
    const makefile = readFileSync(join(DIR, 'Makefile'), 'utf8');
    expect(makefile).toContain('-static -O2 -Wall -Werror');
    for (const s of sources) {
      expect(existsSync(join(out, s)), s).toBe(true);
      const file = spawnSync('file', [join(out, s)], { encoding: 'utf8' });
      if (file.status === 0) expect(file.stdout, s).toMatch(/statically linked|static-pie linked/);
    }
  });
});

describe('vmtest workloads: manifest', () => {
  it('names each C workload exactly once, with valid targets, needs and args', () => {
    expect(manifest.map((w) => w.name).sort()).toEqual(sources);
    for (const w of manifest) {
      expect(w.targets.length, w.name).toBeGreaterThan(0);
      for (const t of w.targets) expect(TARGETS, `${w.name} target ${t}`).toContain(t);
      for (const n of w.needs) expect(Object.keys(NEEDS), `${w.name} needs ${n}`).toContain(n);
      // an argument placeholder is only one the workload says it needs
      for (const a of w.args.filter((x) => x.startsWith('{'))) {
        expect(w.needs.map((n) => NEEDS[n]), `${w.name} arg ${a}`).toContain(a);
      }
      expect(w.covers.length, w.name).toBeGreaterThan(0);
      expect(new Set(w.covers).size, `${w.name} covers twice`).toBe(w.covers.length);
      for (const c of w.covers) expect(VOCABULARY, `${w.name} covers ${c}`).toContain(c);
    }
  });
});

describe('vmtest workloads: coverage', () => {
  it('covers every operation of issues 11 and 12', () => {
    const covered = new Set(manifest.flatMap((w) => w.covers));
    expect(REQUIRED.filter((op) => !covered.has(op))).toEqual([]);
  });
  it('runs the device-dax operations at both alignments and reflink on xfs', () => {
    for (const w of manifest.filter((x) => x.covers.some((c) => c.startsWith('devdax-')))) {
      expect(w.targets).toEqual(['devdax-1G', 'devdax-2M']);
    }
    const devdax = manifest.filter((x) => x.targets.some((t) => t.startsWith('devdax-')));
    expect(devdax.map((w) => w.name)).toEqual(['devdax']);
    const reflink = manifest.filter((x) => x.covers.some((c) => c.startsWith('reflink-')));
    expect(reflink.map((w) => [w.name, w.targets, w.needs])).toEqual([['fsdax-reflink', ['xfs'], ['xfs-reflink']]]);
  });
});

/** The target and arguments a host run uses: a tmpfs directory, a plain file as the device. */
function hostArgs(w: Workload): string[] {
  const dev = join(scratch, `${w.name}.dev`);
  writeFileSync(dev, Buffer.alloc(4 * 1024 * 1024));
  return [scratch, ...w.args.map((a) => (a.startsWith('{') ? dev : a))];
}

/** Each `PHASE <word> begin` is followed (in order) by one end marker of the same word. */
function stepsOf(stdout: string): Map<string, string[]> {
  const ends = new Map<string, string[]>();
  const open = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const m = /^PHASE (\S+) (begin|ok|refused|skipped)\b/.exec(line);
    if (!m) continue;
    const [, word = '', what = ''] = m;
    if (what === 'begin') {
      open.set(word, (open.get(word) ?? 0) + 1);
    } else {
      expect(open.get(word) ?? 0, `end without begin: ${line}`).toBeGreaterThan(0);
      open.set(word, (open.get(word) ?? 0) - 1);
      ends.set(word, [...(ends.get(word) ?? []), line]);
    }
  }
  for (const [word, n] of open) expect(n, `step ${word} never ended`).toBe(0);
  return ends;
}

describe.each(manifest.map((w) => [w.name, w] as const))('vmtest workload %s', (name, w) => {
  it('exits 2 with a usage message when the target is missing', () => {
    const r = run(name, []);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^usage: ${name} <`));
    expect(r.stdout).toBe('');
  });

  it('exits 2 when the target does not exist', () => {
    const r = run(name, [join(scratch, 'no-such-target')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage:');
  });

  it('runs on tmpfs to the end, every step ended, markers on stdout and in $DAX_REFSIM_MARKER', () => {
    const marker = join(scratch, `${name}.marker`);
    writeFileSync(marker, '');
    const r = run(name, hostArgs(w), { DAX_REFSIM_MARKER: marker });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const phases = r.stdout.split('\n').filter((l) => l.startsWith('PHASE '));
    expect(readFileSync(marker, 'utf8').split('\n').filter(Boolean)).toEqual(phases);
    expect(phases.at(-1)).toMatch(/^PHASE done steps_ok=\d+ refused=\d+ skipped=\d+$/);
    expect(r.stdout).toMatch(new RegExp(`^RESULT ${name} summary ok=\\d+ refused=\\d+ skipped=\\d+$`, 'm'));
    const ends = stepsOf(r.stdout);
    expect(ends.size).toBeGreaterThan(5);
    // leaves nothing behind in the target
    expect(readdirSync(scratch).filter((f) => !f.startsWith(`${name}.`) && !f.endsWith('.dev') && !f.endsWith('.marker'))).toEqual([]);
  });
});

describe('vmtest workloads on tmpfs: refusals are recorded, not skipped', () => {
  it('fsdax-faults: MAP_SYNC is refused with EOPNOTSUPP and the steps that need it say so', () => {
    const r = run('fsdax-faults', [scratch]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PHASE mapsync_mmap refused errno=95 (EOPNOTSUPP)\n');
    expect(r.stdout).toContain('PHASE mapsync_pmd_write_fault begin\nPHASE mapsync_pmd_write_fault skipped reason=mapsync_mmap_refused\n');
    expect(r.stdout).toContain('PHASE pmd_write_fault ok\n');
    expect(r.stdout).toMatch(/^PHASE done steps_ok=21 refused=1 skipped=5$/m);
  });

  it('fsdax-race without a slow device: the I/O races are skipped by name, the pipe-held ones run', () => {
    const r = run('fsdax-race', [scratch]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PHASE punch_during_dio_pte skipped reason=no_slowdev\n');
    expect(r.stdout).toMatch(/^PHASE punch_while_held ok alarm_fired=0$/m);
    expect(r.stdout).toMatch(/^RESULT fsdax-race punch_while_held wait=\d+\.\d\ds completed$/m);
    expect(r.stdout).toMatch(/^PHASE release_pipe_punch ok bytes=4096$/m);
  });

  it('fsdax-reflink: FICLONE is refused on tmpfs and every step that needs a shared extent says so', () => {
    const r = run('fsdax-reflink', [scratch]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PHASE ficlone refused errno=95 (EOPNOTSUPP)\n');
    expect(r.stdout).toContain('PHASE cow_pte_write_after_read begin\nPHASE cow_pte_write_after_read skipped reason=ficlone_refused\n');
    expect(r.stdout).toContain('PHASE punch_one_sharer skipped reason=ficlone_refused\n');
    expect(r.stdout).toMatch(/^PHASE done steps_ok=5 refused=2 skipped=16$/m);
  });

  it('fsdax-reflink: the step that panics kernels runs only when asked for by name', () => {
    const off = run('fsdax-reflink', [scratch]);
    expect(off.stdout).toContain('PHASE cow_pmd_write_after_read skipped reason=opt_in_panics_6.1_6.12_7.3(clear_inode_nrpages)\n');
    const bad = run('fsdax-reflink', [scratch, 'pmd-cow']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('[pmd-cow-after-read]');
    const on = run('fsdax-reflink', [scratch, 'pmd-cow-after-read']);
    expect(on.status).toBe(0);
    // tmpfs shares nothing, so the opted-in step is skipped for that reason instead
    expect(on.stdout).toContain('PHASE cow_pmd_write_after_read skipped reason=ficlone_refused\n');
  });

  it('devdax on a stand-in file: the device-only refusals do not happen, the blockdev open is recorded', () => {
    const r = run('devdax', [scratch, join(scratch, 'no-such-blockdev')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PHASE setup ok dev=\S+ standin=1 align=2097152 size=4194304 /m);
    expect(r.stdout).toContain('PHASE open_blockdev refused errno=2 (ENOENT)\n');
    expect(r.stdout).toContain('PHASE dio_read_into_devdax skipped reason=no_blockdev\n');
    expect(r.stdout).toContain('PHASE fork_child_exit\nPHASE fork_child_gone begin');
    expect(r.stdout).toContain('RESULT devdax fork_check tail=c\n');
  });

  it('fsdax-vma: the private copies stay private and fork children are waited for', () => {
    const r = run('fsdax-vma', [scratch]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('RESULT fsdax-vma private_check file_page0=a private_page0=p file_page4=a private_page4=q\n');
    expect(r.stdout).toContain('PHASE fork_child_exit\nPHASE fork_shared_child_gone begin');
    expect(r.stdout).toMatch(/^PHASE mremap_grow_in_place ok moved=0$/m);
    expect(r.stdout).toMatch(/^PHASE done steps_ok=52 refused=0 skipped=0$/m);
  });

  it('fsdax-dio: an O_DIRECT open the filesystem refuses is recorded and the I/O steps skipped', () => {
    // a directory cannot be opened O_RDWR: EISDIR, as a kernel refusing the device would be
    const r = run('fsdax-dio', [scratch, scratch]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PHASE open_blockdev refused errno=21 (EISDIR)\n');
    expect(r.stdout).toContain('PHASE dio_read_into_pte skipped reason=no_blockdev\n');
  });
});
