/**
 * `npm run vmtest`: records the project's workloads on real Debian kernels under QEMU
 * and checks every trace against the models.
 *
 * For each kernel of the matrix (stock bookworm 6.1, trixie 6.12 and the newest
 * unified 7.x; with VMTEST_PAGEREF=1 the CONFIG_DEBUG_PAGE_REF builds instead) it
 * builds an initramfs, boots it once with every target on its own pmem region, runs
 * each workload of the manifest on each of its targets under the recorder, splits the
 * traces off the second serial port into vmtest/out/, runs `check --format json` on
 * each, and prints the matrix. Exit 0 when every cell checked clean, 1 when any cell
 * has a mismatch or no verdict, 2 when the harness cannot run.
 *
 * Environment: VMTEST_PAGEREF=1, VMTEST_KERNELS (ids, comma-separated: 6.1,6.12,7),
 * VMTEST_TARGETS, VMTEST_WORKLOADS (names), VMTEST_ACCEL (kvm|tcg), VMTEST_REFRESH=1
 * (update the apt lists), VMTEST_SNAP=0 (no first pass to learn the pages to snap),
 * VMTEST_WORKLOAD_TIMEOUT (seconds, 120), VMTEST_APPEND (extra
 * kernel arguments), VMTEST_RECORDER and VMTEST_WORKLOADS_DIR (other recorder / workload
 * sources), XDG_CACHE_HOME.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { cachePaths, cacheRoot } from './cache.ts';
import { ensureStockKernel, resolveStock } from './fetch.ts';
import { messagesOutsideRuns, parseBootConsole, type BootConsole } from './console.ts';
import { buildInitramfs } from './initramfs.ts';
import { packagesLine } from './kernels.ts';
import { expandArgs, parseManifest, type Workload } from './manifest.ts';
import { cellFromCheck, formatMatrix, noTraceCell, phaseWaits, totals, type Cell } from './matrix.ts';
import { findPagerefKernels } from './pageref.ts';
import { run, runOk } from './proc.ts';
import { chooseAccel, qemuArgs, type Accel } from './qemu.ts';
import { judgeBoot } from './retry.ts';
import { parseConsole, parseDataLog } from './serial.ts';
import { LAYOUT, TARGETS, type Target } from './targets.ts';

const repo = resolve(import.meta.dirname, '../..');
const env = process.env;
const log = (s: string): void => console.log(s);

/** A kernel ready to boot. */
interface Bootable {
  id: string;
  kernel: string;
  config: string;
  modules: string | null;
  release: string | null;
  packages: string;
}

function list(name: string): string[] | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function stockKernels(root: string): Bootable[] {
  const wanted = (list('VMTEST_KERNELS') ?? ['6.1', '6.12', '7']).map((k) => (k.startsWith('7') ? '7' : k));
  const r = resolveStock(root, [...new Set(wanted)], log);
  const out: Bootable[] = [];
  for (const k of r.kernels) {
    if (!wanted.some((w) => k.id === w || k.id.startsWith(`${w}.`))) continue;
    const { meta, cached } = ensureStockKernel(root, k, log);
    log(`kernel ${k.id}: ${k.release}: ${packagesLine(k)}${cached ? ' (cached)' : ' (downloaded)'}`);
    out.push({ id: k.id, kernel: meta.vmlinuz, config: meta.config, modules: meta.modules, release: k.release, packages: packagesLine(k) });
  }
  return out;
}

function pagerefKernels(root: string): Bootable[] {
  const found = findPagerefKernels(cachePaths(root).kernels);
  const wanted = list('VMTEST_KERNELS');
  const ks = found.filter((k) => wanted === null || wanted.some((w) => k.id === w || k.id === `${w}dbg` || k.version.startsWith(`${w}.`)));
  for (const k of ks) log(`kernel ${k.id}: ${k.release ?? '?'}: ${k.source} (cached)`);
  return ks.map((k) => ({ id: k.id, kernel: k.bzImage, config: k.config, modules: null, release: k.release, packages: k.source }));
}

function compileWorkloads(dir: string, ws: readonly Workload[], outDir: string): Map<string, string> {
  mkdirSync(outDir, { recursive: true });
  const bins = new Map<string, string>();
  for (const w of ws) {
    const src = join(dir, `${w.name}.c`);
    const bin = join(outDir, w.name);
    runOk('gcc', ['-static', '-O2', '-Wall', '-Werror', '-o', bin, src]);
    bins.set(w.name, bin);
  }
  return bins;
}

/**
 * Runs the plan on one kernel: boots (with the retry policy, retry.ts) and returns the
 * runs, and the console of the boot each run ran in (`<target> <workload>`; every boot's
 * in `boots`). `imageFor` builds the initramfs of a plan: a boot that died in a
 * recorder's set-up is booted again on an image of the runs not yet done.
 */
function bootKernel(k: Bootable, plan: { target: Target; workload: Workload }[], accel: Accel, dir: string, imageFor: (p: { target: Target; workload: Workload }[], suffix: string) => string): { runs: ReturnType<typeof parseDataLog>['runs']; failure: string | null; seconds: Map<string, number>; consoles: Map<string, BootConsole>; boots: BootConsole[] } {
  const runs: ReturnType<typeof parseDataLog>['runs'] = [];
  const seconds = new Map<string, number>();
  const consoles = new Map<string, BootConsole>();
  const boots: BootConsole[] = [];
  let todo = plan;
  let image = imageFor(todo, '');
  for (let attempt = 1; ; attempt++) {
    const targets = [...new Set(todo.map((p) => p.target))];
    const slowdev = todo.some((p) => p.workload.needs.includes('slowdev'));
    const timeoutS = 150 + todo.length * (Number(env.VMTEST_WORKLOAD_TIMEOUT ?? 120) + 30);
    const suffix = attempt === 1 ? '' : `.boot${attempt}`;
    const consoleLog = join(dir, `console${suffix}.log`);
    const dataLog = join(dir, `serial1${suffix}.log`);
    rmSync(consoleLog, { force: true });
    rmSync(dataLog, { force: true });
    const t0 = Date.now();
    const r = run('timeout', ['-s', 'KILL', String(timeoutS), 'qemu-system-x86_64', ...qemuArgs({ kernel: k.kernel, initrd: image, targets, accel, consoleLog, dataLog, slowdev, extra: (env.VMTEST_APPEND ?? '').split(' ').filter((s) => s !== '') })]);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const consoleText = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    if (r.stderr.trim() !== '') writeFileSync(join(dir, `qemu${suffix}.stderr`), r.stderr);
    const progress = parseConsole(consoleText);
    const boot = parseBootConsole(consoleText, `console${suffix}.log`);
    boots.push(boot);
    const verdict = judgeBoot(progress, attempt, r.status === 137 || r.signal === 'SIGKILL' ? 'timeout' : 'exited');
    const data = parseDataLog(existsSync(dataLog) ? readFileSync(dataLog, 'utf8') : '');
    log(`kernel ${k.id}: boot ${attempt} (${accel}) ${secs}s: ${data.runs.length} of ${todo.length} runs${verdict.kind === 'ok' ? '' : `; ${verdict.reason}`}`);
    for (const f of progress.targetFailures) log(`kernel ${k.id}: ${f}`);
    for (const [key, s] of progress.seconds) seconds.set(key, s);
    if (verdict.kind === 'retry') {
      log(`kernel ${k.id}: RETRY: ${verdict.reason}`);
      continue;
    }
    if (verdict.kind === 'resume') {
      // keep the runs this boot finished; the one whose set-up died has no trace yet
      const at = todo.findIndex((p) => `${p.target} ${p.workload.name}` === verdict.from);
      const kept = data.runs.filter((x) => x.complete && `${x.target} ${x.workload}` !== verdict.from);
      runs.push(...kept);
      for (const x of kept) consoles.set(`${x.target} ${x.workload}`, boot);
      todo = at < 0 ? todo : todo.slice(at);
      log(`kernel ${k.id}: RETRY: ${verdict.reason}; ${todo.length} runs left`);
      image = imageFor(todo, `.boot${attempt + 1}`);
      continue;
    }
    runs.push(...data.runs);
    for (const x of data.runs) consoles.set(`${x.target} ${x.workload}`, boot);
    return { runs, failure: verdict.kind === 'failed' ? verdict.reason : null, seconds, consoles, boots };
  }
}

/** One vmtest per checkout: the lock holds the pid; a lock whose process is gone is taken over. */
function takeLock(path: string): boolean {
  mkdirSync(join(path, '..'), { recursive: true });
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        /* gone: take it over */
      }
    }
  } catch {
    /* no lock */
  }
  writeFileSync(path, String(process.pid));
  process.on('exit', () => rmSync(path, { force: true }));
  return true;
}

function main(): number {
  const t0 = Date.now();
  const pageref = env.VMTEST_PAGEREF === '1';
  const tier = pageref ? 'pageref' : 'stock';
  const root = cacheRoot(env);
  const outRoot = join(repo, 'vmtest/out', tier);
  const cli = join(repo, 'dist/cli/main.js');
  const recorder = env.VMTEST_RECORDER ?? join(repo, 'dist/record/dax-refsim-record.sh');
  const wdir = env.VMTEST_WORKLOADS_DIR ?? join(repo, 'vmtest/workloads');
  for (const [what, p] of [['the CLI (npm run build)', cli], ['the recorder (npm run build)', recorder], ['the workload manifest', join(wdir, 'workloads.json')]] as const) {
    if (!existsSync(p)) {
      console.error(`vmtest: ${what} is missing: ${relative(repo, p)}`);
      return 2;
    }
  }
  const wantT = list('VMTEST_TARGETS');
  const wantW = list('VMTEST_WORKLOADS');
  const workloads = parseManifest(readFileSync(join(wdir, 'workloads.json'), 'utf8'), relative(repo, join(wdir, 'workloads.json')))
    .filter((w) => wantW === null || wantW.includes(w.name));
  const plan: { target: Target; workload: Workload }[] = [];
  for (const t of TARGETS) {
    if (wantT !== null && !wantT.includes(t)) continue;
    for (const w of workloads) if (w.targets.includes(t)) plan.push({ target: t, workload: w });
  }
  if (plan.length === 0) {
    console.error('vmtest: the plan is empty (no workload for the chosen targets)');
    return 2;
  }
  if (!takeLock(join(repo, 'vmtest/out/.lock'))) {
    console.error('vmtest: another vmtest of this checkout is running (vmtest/out/.lock); its output would be removed under it');
    return 2;
  }
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  log(`vmtest (${tier} tier): ${workloads.length} workloads, ${plan.length} runs per kernel; cache ${root}; output ${relative(repo, outRoot)}/; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const kernels = pageref ? pagerefKernels(root) : stockKernels(root);
  if (kernels.length === 0) {
    console.error(pageref ? `vmtest: no page_ref kernel in ${cachePaths(root).kernels}/pageref-*/ (build them with vmtest/kernels/pageref/)` : 'vmtest: no kernel');
    return 2;
  }
  const bins = compileWorkloads(wdir, workloads, join(outRoot, 'bin'));
  log(`workloads compiled (gcc -static): ${[...bins.keys()].join(', ')}`);
  const { accel, why } = chooseAccel(env.VMTEST_ACCEL, kernels[0]!.kernel, join(outRoot, 'kvm-probe.log'));
  log(`accelerator: ${accel} (${why})`);

  const cells: Cell[] = [];
  const outside: string[] = [];
  for (const k of kernels) {
    const dir = join(outRoot, k.id);
    mkdirSync(dir, { recursive: true });
    const imageFor = (todo: { target: Target; workload: Workload }[], suffix: string): string => {
      const image = join(dir, `initrd${suffix}.cpio.gz`);
      const t1 = Date.now();
      const planText = todo.map((p) => [p.target, `0x${LAYOUT[p.target].base.toString(16)}`, p.workload.name, ...expandArgs(p.workload.args)].join(' ')).join('\n') + '\n';
      const mods = buildInitramfs({
        out: image, stage: join(dir, 'stage'), release: k.release ?? 'none', modulesDir: k.modules, config: k.config, recorder,
        initScript: join(repo, 'vmtest/guest/init.sh'), workloads: bins, plan: planText,
        env: { VMTEST_KERNEL_ID: k.id, VMTEST_PACKAGES: k.packages, VMTEST_WORKLOAD_TIMEOUT: env.VMTEST_WORKLOAD_TIMEOUT ?? '120', VMTEST_RECORD_ARGS: pageref ? '--page-ref' : '', VMTEST_SNAP: env.VMTEST_SNAP === '0' ? '0' : '1' },
      });
      rmSync(join(dir, 'stage'), { recursive: true, force: true });
      log(`kernel ${k.id}: initramfs${suffix === '' ? '' : ` (${todo.length} runs)`} ${(statSync(image).size / 1048576).toFixed(1)} MiB in ${((Date.now() - t1) / 1000).toFixed(1)}s, modules: ${mods.join(' ') || '(none: all built in)'}`);
      return image;
    };
    const { runs, failure, seconds, consoles, boots } = bootKernel(k, plan, accel, dir, imageFor);
    // kernel warnings of no run (boot, module loading, after the last run) fail no cell: printed to be seen
    for (const b of boots) for (const m of messagesOutsideRuns(b)) outside.push(`  ${k.id} ${b.file}:${m.line} ${m.text}`);
    for (const p of plan) {
      const secs = seconds.get(`${p.target} ${p.workload.name}`);
      const base = { kernel: k.id, target: p.target, workload: p.workload.name };
      const r = runs.find((x) => x.target === p.target && x.workload === p.workload.name);
      if (r === undefined) {
        cells.push(noTraceCell({ ...base, rc: null }, failure ?? 'the guest did not run it'));
        continue;
      }
      if (!r.complete || r.trace === '') {
        cells.push(noTraceCell({ ...base, rc: r.rc }, r.rc === 'setup-failed' ? 'target setup failed (see console.log)' : !r.complete ? 'trace cut short' : `the recorder wrote no trace (rc ${r.rc})`));
        continue;
      }
      const tracePath = join(dir, `${p.target}-${p.workload.name}.trace.txt`);
      writeFileSync(tracePath, r.trace);
      const rel = relative(repo, tracePath);
      const c = run('node', [cli, 'check', '--format', 'json', tracePath]);
      writeFileSync(join(dir, `${p.target}-${p.workload.name}.check.json`), c.stdout);
      const cell = cellFromCheck({ ...base, trace: rel, rc: r.rc }, c.status, c.stdout, c.stderr, pageref, phaseWaits(r.trace), consoles.get(`${p.target} ${p.workload.name}`) ?? null, r.trace);
      cells.push(secs === undefined ? cell : { ...cell, seconds: secs });
    }
  }
  const wall = (Date.now() - t0) / 1000;
  const t = totals(cells);
  log('');
  process.stdout.write(formatMatrix(cells));
  if (outside.length > 0) log(['', 'kernel warnings outside every run (no cell judges them):', ...outside].join('\n'));
  log('');
  log(`vmtest ${tier}: ${t.cells} cells, ${t.passed} passed, ${t.failed} failed, ${t.mismatches} mismatches, ${t.observations} observations; wall ${Math.floor(wall / 60)}m${Math.round(wall % 60)}s (${accel}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  writeFileSync(join(outRoot, 'summary.json'), JSON.stringify({ tier, accel, wallSeconds: Math.round(wall), kernels: kernels.map((k) => ({ id: k.id, packages: k.packages })), totals: t, cells }, null, 2) + '\n');
  return t.failed === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`vmtest: ${(e as Error).message}`);
  process.exitCode = 2;
}
