/**
 * A fake machine for the recorder: /sys, /proc and tracefs as plain files in a
 * temporary directory (DAX_REFSIM_ROOT), in which writing a file only stores text, as
 * the recorder is designed for. Function lists come from what the shipped recordings
 * say each kernel has (their `# probe attach status:` ok lines), not from guesses.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { recorderPath } from '../../src/cli/commands/record.ts';

/** The recorder as shipped (the tests run the source copy the build copies). */
export const SCRIPT = recorderPath();

/** busybox sh when installed (what an initramfs has), else the system's POSIX sh. */
export const SHELL: readonly string[] = process.env['DAX_REFSIM_TEST_SHELL'] !== undefined ? [process.env['DAX_REFSIM_TEST_SHELL']] : spawnSync('busybox', ['sh', '-c', 'true']).status === 0 ? ['busybox', 'sh'] : ['sh'];

/** The functions a shipped trace's kernel has: every probe its header lists as attached. */
export function functionsOf(...traces: string[]): string[] {
  const out = new Set<string>();
  for (const t of traces) {
    const text = readFileSync(new URL(`../../events/traces/${t}.trace.txt`, import.meta.url), 'utf8');
    for (const m of text.matchAll(/^#\s+ok [pr]\d*:\S+ (\S+)/gm)) out.add(m[1]!);
  }
  return [...out].sort();
}

/** Every event name the recorder's probe table can create (ktr/<name>). */
export function recorderEvents(): string[] {
  const text = readFileSync(SCRIPT, 'utf8');
  // (the snap probe's name is built from the group variable: p:$GROUP/snap)
  return [...new Set([...[...text.matchAll(/[pr]:ktr\/(\w+) /g)].map((m) => m[1]!), 'snap'])].sort();
}

/** What the fake machine is. */
export interface FakeKernel {
  readonly release: string;
  readonly functions: readonly string[];
  /** vmemmap_base's value the one-shot probe "records"; absent: no vmemmap_base in kallsyms. */
  readonly vmemmapBase?: string;
  readonly config?: string;
  readonly btf?: Buffer;
  readonly pageRef?: boolean;
  readonly iomem?: string;
  readonly dax?: { readonly align: string; readonly resource: string; readonly size: string };
  readonly cmdline?: string;
}

/** The fs_dax events a Debian kernel has (events/fs_dax). */
const FS_DAX_EVENTS = ['dax_pmd_fault', 'dax_pmd_fault_done', 'dax_pte_fault', 'dax_pte_fault_done', 'dax_insert_mapping', 'dax_load_hole'];
const PAGE_REF_EVENTS = ['page_ref_mod', 'page_ref_mod_and_test', 'page_ref_set'];

/** A fake tree; `tracing` is its tracefs. */
export interface FakeTree {
  readonly root: string;
  readonly tracing: string;
  readonly tmp: string;
  cleanup(): void;
}

function put(path: string, text: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Builds the tree of `k` in a new temporary directory. */
export function makeTree(k: FakeKernel): FakeTree {
  const root = mkdtempSync(join(tmpdir(), 'dax-refsim-rec-'));
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  const t = join(root, 'sys/kernel/tracing');
  put(join(t, 'kprobe_events'), '');
  put(join(t, 'available_filter_functions'), [...k.functions, 'ksys_write', '__x64_sys_write', 'do_sys_open'].map((f) => `${f}\n`).join(''));
  // what the kernel would have recorded of the one-shot vmemmap_base probe
  put(join(t, 'trace'), k.vmemmapBase === undefined ? '' : `              sh-97      [001] .....    41.000001: base: (ksys_write+0x4/0xe0) vmemmap=${k.vmemmapBase}\n`);
  put(join(t, 'trace_marker'), '');
  put(join(t, 'tracing_on'), '1\n');
  put(join(t, 'buffer_size_kb'), '7 (expanded: 1408)\n');
  put(join(t, 'current_tracer'), 'nop\n');
  put(join(t, 'options/record-tgid'), '0\n');
  for (const e of FS_DAX_EVENTS) {
    put(join(t, 'events/fs_dax', e, 'enable'), '0\n');
    put(join(t, 'events/fs_dax', e, 'filter'), 'none\n');
  }
  put(join(t, 'events/fs_dax/enable'), '0\n');
  // the directories a kernel creates when a probe is defined
  put(join(t, 'events/ktr/enable'), '0\n');
  for (const e of recorderEvents()) {
    put(join(t, 'events/ktr', e, 'enable'), '0\n');
    put(join(t, 'events/ktr', e, 'filter'), 'none\n');
  }
  if (k.pageRef === true) {
    for (const e of PAGE_REF_EVENTS) {
      put(join(t, 'events/page_ref', e, 'enable'), '0\n');
      put(join(t, 'events/page_ref', e, 'filter'), 'none\n');
    }
  }
  put(join(root, 'proc/sys/kernel/osrelease'), `${k.release}\n`);
  put(join(root, 'proc/cmdline'), `${k.cmdline ?? 'console=ttyS0 memmap=512M!1G'}\n`);
  put(join(root, 'proc/iomem'), k.iomem ?? '00000000-00000fff : Reserved\n40000000-5fffffff : Persistent Memory (legacy)\n  40000000-5fffffff : namespace0.0\n');
  put(join(root, 'proc/kallsyms'), `ffffffff81234560 T ksys_write\n${k.vmemmapBase === undefined ? '' : 'ffffffff83a1b2c8 D vmemmap_base\n'}`);
  if (k.config !== undefined) put(join(root, 'proc/config.gz'), gzipSync(k.config));
  if (k.btf !== undefined) put(join(root, 'sys/kernel/btf/vmlinux'), k.btf);
  put(join(root, 'sys/bus/nd/devices/namespace0.0/mode'), k.dax === undefined ? 'fsdax\n' : 'devdax\n');
  put(join(root, 'sys/bus/nd/devices/namespace0.0/size'), '536870912\n');
  if (k.dax !== undefined) {
    put(join(root, 'sys/bus/dax/devices/dax0.0/align'), `${k.dax.align}\n`);
    put(join(root, 'sys/bus/dax/devices/dax0.0/resource'), `${k.dax.resource}\n`);
    put(join(root, 'sys/bus/dax/devices/dax0.0/size'), `${k.dax.size}\n`);
  }
  return { root, tracing: t, tmp, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** The result of one recorder run. */
export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function env(tree: FakeTree): NodeJS.ProcessEnv {
  return { ...process.env, DAX_REFSIM_ROOT: tree.root, TMPDIR: tree.tmp };
}

/** Runs the recorder to its end. */
export function runRecorder(tree: FakeTree, args: readonly string[]): RunResult {
  const r = spawnSync(SHELL[0]!, [...SHELL.slice(1), SCRIPT, ...args], { env: env(tree), encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the recorder in the background. */
export function startRecorder(tree: FakeTree, args: readonly string[]): ChildProcess {
  return spawn(SHELL[0]!, [...SHELL.slice(1), SCRIPT, ...args], { env: env(tree), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The probes kprobe_events defines, read the way a kernel lists them (a "-:G/N" line cancels G/N). */
export function liveProbes(tree: FakeTree): string[] {
  const live: string[] = [];
  for (const line of readFileSync(join(tree.tracing, 'kprobe_events'), 'utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('-:')) {
      const name = line.slice(2).trim();
      for (let i = live.length - 1; i >= 0; i--) if (live[i]!.split(' ')[0]!.split(':')[1] === name) live.splice(i, 1);
    } else live.push(line);
  }
  return live;
}

/**
 * Every tracefs setting a user could see after the run, by path: each file's value as
 * the kernel would read it back ("0" written to a filter clears it: "none"), the defined
 * kprobes, and not the data files (trace, trace_marker) nor the events of the
 * recorder's own probes, which a kernel deletes with them.
 */
export function settings(tree: FakeTree): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(tree.tracing, p);
      if (statSync(p).isDirectory()) {
        if (rel === 'events/ktr' || rel === 'events/ktr_layout') continue;
        walk(p);
        continue;
      }
      if (['trace', 'trace_marker', 'kprobe_events', 'available_filter_functions'].includes(rel)) continue;
      let v = readFileSync(p, 'utf8').trim();
      if (rel.endsWith('/filter') && v === '0') v = 'none';
      if (rel === 'buffer_size_kb') v = /expanded: (\d+)/.exec(v)?.[1] ?? v;
      out[rel] = v;
    }
  };
  walk(tree.tracing);
  out['kprobe_events (defined)'] = liveProbes(tree).join('\n');
  return out;
}
