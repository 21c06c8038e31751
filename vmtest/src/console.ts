/**
 * The guest console as evidence for the findings. Some findings model a message the
 * kernel prints: a WARN_ON_ONCE() splat (`WARNING: ... at fs/dax.c:380
 * dax_insert_entry+0x..`) or pud_clear_bad()'s `mm/pgtable-generic.c:39: bad pud ...`.
 * CONSOLE_SITES says which and where; the others (NO_CONSOLE_LINE) are the model's own
 * analysis, or checks the kernel makes only under CONFIG_DEBUG_VM, which no vmtest
 * kernel has. judgeConsole() checks both ways, per run: each console-backed finding
 * has its line, and each kernel warning of the run is a finding.
 */

export type MessageKind = 'warning' | 'bad-pud' | 'bad-pmd';

/** A kernel message on the console. */
export interface KernelMessage {
  /** Line in console.log, from 1. */
  line: number;
  /** The console line from the message on (the interleaved output before it dropped). */
  text: string;
  kind: MessageKind;
  /** Where the kernel says it was printed: the WARN's or the pXd_ERROR()'s file and line. */
  file: string | null;
  srcLine: number | null;
  /** The function the WARN's address lies in (the symbol before `+0x`), a `.constprop.0`-like suffix dropped. */
  fn: string | null;
  /** bad pud / bad pmd: the pfn in the entry it printed. */
  pfn: number | null;
  /** The printk timestamp (`[  428.536613]`), seconds since boot, when the line has one. */
  ts: number | null;
}

/**
 * One run of the boot on the console: its `VMTEST: run-start` and `run-end` lines, and
 * where its preamble begins (the previous run's end, or for the first run the end of
 * module loading): the preamble holds the target's set-up, the fresh filesystem and
 * the first, unrecorded pass of the same workload (the pass that learns the pages to
 * snap).
 */
export interface RunWindow {
  target: string;
  workload: string;
  preamble: number;
  start: number;
  /** null: the boot ended inside the run. */
  end: number | null;
}

export interface BootConsole {
  /** The console file's name in the kernel's output folder (`console.log`, `console.boot2.log`). */
  file: string;
  messages: KernelMessage[];
  windows: RunWindow[];
}

// __warn(): v6.1–v6.x `WARNING: CPU: 0 PID: 1 at fs/dax.c:380 dax_insert_entry+0x2d6/0x3d0`,
// 7.x `WARNING: fs/dax.c:498 at dax_insert_entry+0x1b/0x3c0, CPU#0: xfs_io/123`; either
// without the file:line when the WARN has none
const WARNING_OLD = /WARNING: CPU: \d+ PID: \d+ at (?:(\S+):(\d+) )?([\w.]+)\+0x/;
const WARNING_NEW = /WARNING: (?:(\S+):(\d+) )?at ([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+, CPU#\d+/;
// pud_ERROR()/pmd_ERROR() (arch/x86/include/asm/pgtable_64.h): "%s:%d: bad pud %p(%016lx)"
const BAD_ENTRY = /(\S+\.c):(\d+): bad (pud|pmd) [0-9a-f]+\(([0-9a-f]{16})\)/;
const PRINTK_TIME = /^\[\s*(\d+\.\d+)\]/;
const RUN = /VMTEST: run-(start|end) (\S+) (\S+)/;
// init.sh's lines before the first run: what comes before them is the boot, no run's
const BOOTED = /VMTEST: (?:booted|modules loaded) /;
// x86-64 entry bits 12-51 are the pfn
const PFN_MASK = 0x000ffffffffff000n;

/** The function name as the source has it: gcc's clone suffixes (`.constprop.0`, `.isra.0`, `.part.0`, `.cold`) dropped. */
export function baseFunction(sym: string): string {
  return sym.replace(/\.(?:constprop|isra|part|cold|llvm)(?:\.\d+)*.*$/, '');
}

function parseMessage(text: string, line: number): KernelMessage | null {
  const t = PRINTK_TIME.exec(text);
  const ts = t === null ? null : Number(t[1]);
  const w = WARNING_OLD.exec(text) ?? WARNING_NEW.exec(text);
  if (w !== null) {
    return { line, text: text.slice(w.index).trim(), kind: 'warning', file: w[1] ?? null, srcLine: w[2] === undefined ? null : Number(w[2]), fn: baseFunction(w[3]!), pfn: null, ts };
  }
  const b = BAD_ENTRY.exec(text);
  if (b !== null) {
    const pfn = Number((BigInt(`0x${b[4]!}`) & PFN_MASK) >> 12n);
    return { line, text: text.slice(b.index).trim(), kind: b[3] === 'pud' ? 'bad-pud' : 'bad-pmd', file: b[1]!, srcLine: Number(b[2]), fn: null, pfn, ts };
  }
  return null;
}

/** The kernel messages and run windows of one boot's console log. */
export function parseBootConsole(text: string, file = 'console.log'): BootConsole {
  const messages: KernelMessage[] = [];
  const windows: RunWindow[] = [];
  let preamble = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const run = RUN.exec(line);
    if (run !== null) {
      const [, what, target, workload] = run as unknown as [string, string, string, string];
      if (what === 'start') windows.push({ target, workload, preamble, start: i + 1, end: null });
      else {
        const w = windows.findLast((x) => x.target === target && x.workload === workload && x.end === null);
        if (w !== undefined) w.end = i + 1;
        preamble = i + 1;
      }
      return;
    }
    if (BOOTED.test(line) && windows.length === 0) preamble = i + 1;
    const m = parseMessage(line, i + 1);
    if (m !== null) messages.push(m);
  });
  return { file, messages, windows };
}

/** A console message a finding predicts. */
export interface ConsoleSite {
  kind: MessageKind;
  file: string;
  /**
   * The functions a WARN's address may name: the checking function and the static
   * callers gcc inlines it into (on the Debian builds dax_associate_entry() and
   * dax_folio_init() fold into dax_insert_entry(); dax_folio_put() into
   * dax_disassociate_entry.constprop.0). The source line is not compared: it moves
   * between releases.
   */
  functions: readonly string[];
  /** WARN_ON_ONCE(): one splat per call site per boot, so an earlier one stands for this one. */
  once: boolean;
  /** What the kernel checks, for the notes. */
  what: string;
}

const ASSOCIATE = ['dax_associate_entry', 'dax_insert_entry'];
const DISASSOCIATE = ['dax_disassociate_entry', 'grab_mapping_entry', '__dax_invalidate_entry', 'dax_insert_entry', 'dax_delete_mapping_range'];

/** Each finding code that models a kernel console message, with the message. */
export const CONSOLE_SITES: Readonly<Record<string, ConsoleSite>> = {
  // legacy dax_associate_entry(): WARN_ON_ONCE(page->mapping)
  'associate-mapped-page': { kind: 'warning', file: 'fs/dax.c', functions: ASSOCIATE, once: true, what: 'WARN_ON_ONCE(page->mapping) of dax_associate_entry()' },
  // unified dax_associate_entry(): WARN_ON_ONCE(folio->mapping)
  'associate-mapped-folio': { kind: 'warning', file: 'fs/dax.c', functions: ASSOCIATE, once: true, what: 'WARN_ON_ONCE(folio->mapping) of dax_associate_entry()' },
  // unified dax_associate_entry(), shared: WARN_ON_ONCE(dax_entry_order(entry) != folio_order(folio))
  'share-order-mismatch': { kind: 'warning', file: 'fs/dax.c', functions: ASSOCIATE, once: true, what: 'WARN_ON_ONCE(dax_entry_order(entry) != folio_order(folio)) of dax_associate_entry()' },
  // dax_folio_init(): WARN_ON_ONCE(folio_order(folio)) and, after prep_compound_page(), WARN_ON_ONCE(folio_ref_count(folio))
  'dax-folio-init-order': { kind: 'warning', file: 'fs/dax.c', functions: ['dax_folio_init', ...ASSOCIATE], once: true, what: 'WARN_ON_ONCE(folio_order(folio)) of dax_folio_init()' },
  'dax-folio-init-busy': { kind: 'warning', file: 'fs/dax.c', functions: ['dax_folio_init', ...ASSOCIATE], once: true, what: 'WARN_ON_ONCE(folio_ref_count(folio)) of dax_folio_init()' },
  // legacy dax_disassociate_entry(): WARN_ON_ONCE(trunc && page_ref_count(page) > 1),
  // WARN_ON_ONCE(page->mapping && page->mapping != mapping)
  'disassociate-busy-page': { kind: 'warning', file: 'fs/dax.c', functions: DISASSOCIATE, once: true, what: 'WARN_ON_ONCE(trunc && page_ref_count(page) > 1) of dax_disassociate_entry()' },
  'disassociate-foreign-page': { kind: 'warning', file: 'fs/dax.c', functions: DISASSOCIATE, once: true, what: 'WARN_ON_ONCE(page->mapping && page->mapping != mapping) of dax_disassociate_entry()' },
  // unified dax_folio_put(): WARN_ON_ONCE(folio_ref_count()) of each page it splits off
  'split-busy-page': { kind: 'warning', file: 'fs/dax.c', functions: ['dax_folio_put', ...DISASSOCIATE], once: true, what: 'WARN_ON_ONCE(folio_ref_count()) of dax_folio_put()' },
  // free_zone_device_page() (6.1), free_zone_device_folio() (to 6.14): WARN_ON_ONCE(!...->ops->page_free)
  'free-without-page-free': { kind: 'warning', file: 'mm/memremap.c', functions: ['free_zone_device_page', 'free_zone_device_folio'], once: true, what: 'WARN_ON_ONCE(!pgmap->ops || !pgmap->ops->page_free) of free_zone_device_folio()' },
  // unified free_zone_device_folio(): WARN_ON_ONCE(!pgmap)
  'free-without-pgmap': { kind: 'warning', file: 'mm/memremap.c', functions: ['free_zone_device_folio'], once: true, what: 'WARN_ON_ONCE(!pgmap) of free_zone_device_folio()' },
  // vmf_insert_folio_pmd()/_pud(): WARN_ON_ONCE(folio_order(folio) != PMD_ORDER / PUD_ORDER)
  'insert-folio-order': { kind: 'warning', file: 'mm/huge_memory.c', functions: ['vmf_insert_folio_pmd', 'vmf_insert_folio_pud'], once: true, what: 'WARN_ON_ONCE(folio_order(folio) != PMD_ORDER/PUD_ORDER) of vmf_insert_folio_pmd()/_pud()' },
  // pagemap_range() (memremap_pages()): WARN(1, "Conflicting mapping in same section\n"), every time
  'pgmap-section-conflict': { kind: 'warning', file: 'mm/memremap.c', functions: ['pagemap_range', 'memremap_pages'], once: false, what: 'WARN(1, "Conflicting mapping in same section") of pagemap_range()' },
  // pud_clear_bad(): pud_ERROR(), "bad pud", every time
  'pud-clear-bad': { kind: 'bad-pud', file: 'mm/pgtable-generic.c', functions: [], once: false, what: '"bad pud" line of pud_clear_bad()' },
};

/**
 * The finding codes with no console line, and why: the model's own analysis (a wait that
 * does not happen, a wakeup nobody sends), replay-level consistency checks, or kernel
 * checks that print only under CONFIG_DEBUG_VM (VM_BUG_ON_PAGE in put_page_testzero(),
 * VM_WARN_ON_FOLIO in zone_device_folio_init()), which the Debian kernels and the
 * page_ref builds leave off. A VM_BUG_ON that did fire would oops, and oops=panic ends
 * the boot.
 */
export const NO_CONSOLE_LINE: ReadonlySet<string> = new Set([
  'missed-wakeup', 'busy-scan-skipped', 'evict-without-wait', 'no-such-waiter',
  'refcount-underflow', 'put-on-freed-page', 'pincount-underflow', 'mapcount-underflow', 'unpin-unpinned',
  'pgmap-unregister-mapped', 'pgmap-unregister-busy', 'pgmap-unregister-associated', 'pgmap-unknown', 'pgmap-conflict',
  'folio-crosses-pgmap', 'folio-pgmap-mismatch', 'devpriv-alloc-busy', 'devpriv-wrong-type', 'mremap-no-vma',
  'ret-mismatch', 'no-struct-page', 'split-not-head', 'rmap-order-mismatch', 'untraced-change',
]);

/** The part of a finding the console check reads. */
export interface ConsoleFinding {
  code: string;
  line: number | null;
  pfn: string | null;
}

/** A console line that confirms findings of a cell. */
export interface ConfirmedLine {
  /** The console file (BootConsole.file) and its line. */
  file: string;
  line: number;
  text: string;
  codes: string[];
  /** Printed before the run began: a WARN_ON_ONCE that fired earlier in the boot. */
  earlier: boolean;
}

export interface ConsoleVerdict {
  problems: string[];
  confirmed: ConfirmedLine[];
}

function matches(site: ConsoleSite, m: KernelMessage): boolean {
  if (m.kind !== site.kind) return false;
  if (m.kind !== 'warning') return m.file === site.file;
  return m.file === site.file && m.fn !== null && site.functions.includes(m.fn);
}

function at(f: ConsoleFinding): string {
  return f.line === null ? 'at an unknown line' : `at line ${f.line}`;
}

function atAll(fs: readonly ConsoleFinding[]): string {
  if (fs.length === 1) return at(fs[0]!);
  return `at lines ${fs.map((f) => f.line ?? '?').join(', ')} (${fs.length} findings)`;
}

function quote(file: string, m: KernelMessage): string {
  return `${file}:${m.line} "${m.text}"`;
}

/**
 * Checks a run's findings against its console, both ways. (a) Each finding with a
 * CONSOLE_SITES entry needs its message: a WARN_ON_ONCE splat in the run, or earlier in
 * the boot (it fires once per call site, and the run's own first pass may have fired
 * it); a `bad pud` line of the finding's pfn in the run, one per finding. (b) Each
 * WARNING or bad pud/pmd line in the run, or in its preamble (the first pass runs the
 * same steps unrecorded), must be a finding of the run: a message no finding predicts
 * is the kernel warning where the model reports nothing. A finding whose message is
 * printed every time (bad pud) takes the unpaired such line nearest in time to its
 * trace line (`timeOf`: its ftrace timestamp; under TCG ftrace may switch to the
 * global clock, "Unstable clock detected", so the two clocks agreed to the microsecond
 * on a 6.1 boot and were 0.85 s apart on a 6.12 one: the nearest line is taken, with no
 * threshold). Returns one sentence per problem, and the lines that confirmed findings.
 */
export function judgeConsole(findings: readonly ConsoleFinding[], boot: BootConsole, target: string, workload: string, timeOf: (traceLine: number) => number | null = () => null): ConsoleVerdict {
  const backed = findings.filter((f) => CONSOLE_SITES[f.code] !== undefined);
  const w = boot.windows.find((x) => x.target === target && x.workload === workload);
  if (w === undefined) {
    const codes = [...new Set(backed.map((f) => f.code))];
    return { problems: codes.length === 0 ? [] : [`${codes.join(', ')}: the console has no run-start line for ${target} ${workload}, so no kernel message can confirm it`], confirmed: [] };
  }
  const end = w.end ?? Infinity;
  const inRun = boot.messages.filter((m) => m.line > w.start && m.line < end);
  const before = boot.messages.filter((m) => m.line < w.start);
  const problems: string[] = [];
  const confirmed = new Map<KernelMessage, Set<string>>();
  const confirm = (m: KernelMessage, code: string): void => void (confirmed.get(m) ?? confirmed.set(m, new Set()).get(m)!).add(code);
  const paired = new Set<KernelMessage>();
  // WARN_ON_ONCE: every finding of a code has the same evidence, so one sentence per code
  for (const code of new Set(backed.filter((f) => CONSOLE_SITES[f.code]!.once).map((f) => f.code))) {
    const site = CONSOLE_SITES[code]!;
    const m = inRun.find((x) => matches(site, x)) ?? before.findLast((x) => matches(site, x));
    if (m !== undefined) confirm(m, code);
    else problems.push(`${code} ${atAll(backed.filter((f) => f.code === code))}: the console shows no ${site.what} (a WARNING at ${site.file} in ${site.functions.join('/')}) in the run or earlier in the boot`);
  }
  for (const f of backed) {
    const site = CONSOLE_SITES[f.code]!;
    if (site.once) continue;
    // printed every time: one line per finding, of the finding's pfn where the line names one
    const pfn = f.pfn === null ? null : Number(f.pfn);
    const t = f.line === null ? null : timeOf(f.line);
    const distance = (x: KernelMessage): number => (t === null || x.ts === null ? 0 : Math.abs(x.ts - t));
    const m = inRun
      .filter((x) => !paired.has(x) && matches(site, x) && (x.pfn === null || pfn === null || x.pfn === pfn))
      .reduce<KernelMessage | undefined>((best, x) => (best === undefined || distance(x) < distance(best) ? x : best), undefined);
    if (m !== undefined) {
      paired.add(m);
      confirm(m, f.code);
    } else problems.push(`${f.code} ${at(f)}${f.pfn === null ? '' : ` pfn ${f.pfn}`}: the console shows no ${site.what}${f.pfn === null ? '' : ` for pfn ${f.pfn}`} in the run`);
  }
  const explainers = (m: KernelMessage): ConsoleFinding[] => backed.filter((f) => matches(CONSOLE_SITES[f.code]!, m));
  const explains = (m: KernelMessage): boolean => explainers(m).length > 0;
  for (const m of inRun) {
    const once = m.kind === 'warning' && explainers(m).some((f) => CONSOLE_SITES[f.code]!.once);
    if (paired.has(m) || once) continue;
    const others = explainers(m);
    const more = others.length === 0 ? '' : ` (the run's ${others.length} ${[...new Set(others.map((f) => f.code))].join('/')} finding${others.length === 1 ? ' pairs with another line' : 's pair with other lines'}: the kernel printed it more often)`;
    problems.push(`the kernel warned; the model reports nothing: ${quote(boot.file, m)}${more}`);
  }
  for (const m of boot.messages.filter((x) => x.line > w.preamble && x.line < w.start)) {
    if (!explains(m)) problems.push(`the kernel warned before the run (its first pass or set-up); the model reports nothing: ${quote(boot.file, m)}`);
  }
  const lines = [...confirmed].map(([m, codes]) => ({ file: boot.file, line: m.line, text: m.text, codes: [...codes], earlier: m.line < w.start }));
  return { problems, confirmed: lines.sort((a, b) => a.line - b.line) };
}

const TRACE_TIME = /\s(\d+\.\d+): /;

/** The ftrace timestamp of each line of a trace (1-based), for judgeConsole()'s `timeOf`. */
export function traceTimes(traceText: string): (traceLine: number) => number | null {
  const lines = traceText.split('\n');
  return (n) => {
    const m = TRACE_TIME.exec(lines[n - 1] ?? '');
    return m === null ? null : Number(m[1]);
  };
}

/** The messages no run window or preamble holds (the boot, module loading, after the last run). */
export function messagesOutsideRuns(boot: BootConsole): KernelMessage[] {
  return boot.messages.filter((m) => !boot.windows.some((w) => m.line > w.preamble && m.line < (w.end ?? Infinity)));
}
