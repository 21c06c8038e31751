/**
 * Ops → `.dax` text (`dax-refsim ops --to-dax`, and the scenarios minimize and
 * explore print). Every line is checked by parsing it against the declarations
 * written so far: a line is kept only when it reads back to the very same Op (same
 * canonical JSON), else the next, more explicit candidate is tried (a new `mmap` or
 * `file` extent first, then the raw `{JSON}` form, which always reads back). So the
 * text is as readable as the stream allows, and `.dax` → JSONL → `.dax` → JSONL is
 * byte-identical by construction.
 */
import type { Op } from '../events/op.ts';
import { formatOp } from '../events/jsonl.ts';
import { PAGE_SIZE, levelOrder } from '../kernel/constants.ts';
import { DaxReader, hexText, sizeText } from './parser.ts';

/** What to write besides the Ops. */
export interface EmitOptions {
  readonly description?: string;
  readonly profile?: string | null;
  /** The thread of each Op (for the `T:` prefix of Ops that name no mm). */
  readonly threads?: readonly (string | null)[];
  /** `expect` lines to append (without the `expect ` keyword). */
  readonly expects?: readonly string[];
  /** Comment lines written at the top (without `# `). */
  readonly comments?: readonly string[];
  /** The name issues are reported under while checking lines. */
  readonly file?: string;
}

const RESERVED = new Set(['none', 'shared', 'private', 'at', 'reflink', 'to', 'dontneed', 'via', 'line', 'ends', 'order', 'pages', 'page', 'va', 'raw', 'expect', 'file', 'process', 'profile', 'scenario']);

/** A name as the language writes it: bare when it lexes as one name, else "quoted". */
export function nameText(s: string): string {
  return /^[A-Za-z_][A-Za-z0-9_@-]*(\.[A-Za-z0-9_@-]+)*$/.test(s) && !RESERVED.has(s) ? s : JSON.stringify(s);
}

const PGMAP_WORD: Readonly<Record<string, string>> = { generic: 'devdax' };

/** Ops without an mm take their thread from the prefix only for ordering, never for a field. */
const MM_FROM_PREFIX = new Set(['dax.fault', 'dax.mkwrite', 'dax.hole_read', 'munmap', 'mremap', 'madvise', 'mprotect', 'pmd.split', 'fork', 'exit', 'gup.get', 'gup.pin', 'dio.grab', 'cow', 'p2p.alloc_mmap']);

/** Writes `ops` as a `.dax` scenario. */
export function toDax(ops: readonly Op[], opts: EmitOptions = {}): string {
  const file = opts.file ?? '<to-dax>';
  const out: string[] = [];
  for (const c of opts.comments ?? []) out.push(`# ${c}`);
  let r = new DaxReader(file);
  const feed = (line: string): boolean => {
    const t = r.clone();
    const res = t.line(line, out.length + 1);
    if (res.kind === 'issue') return false;
    r = t;
    out.push(line);
    return true;
  };
  if (opts.description !== undefined) feed(`scenario ${JSON.stringify(opts.description)}`);
  if (opts.profile) feed(`profile ${opts.profile}`);
  const procs = processes(ops, opts.threads);
  if (procs.length) feed(`process ${procs.map(nameText).join(' ')}`);
  const devdax = new Set(ops.flatMap((o) => (o.type === 'pgmap.register' && o.pgmapType === 'generic' ? [o.pgmap] : [])));
  for (const line of fileLines(ops, devdax)) feed(line);

  ops.forEach((op, i) => {
    const thread = threadOf(op, opts.threads?.[i] ?? null, r);
    const prefix = thread === null ? '' : `${nameText(thread)}: `;
    const tail = `${op.line === undefined ? '' : ` line ${op.line}`}${op.endsWait === undefined ? '' : ` ends ${op.endsWait}`}`;
    const want = formatOp({ ...op, seq: r.seq + 1 });
    const tryLine = (text: string): boolean => {
      const t = r.clone();
      const res = t.line(prefix + text + tail, out.length + 1);
      if (res.kind !== 'op' || formatOp(res.op) !== want) return false;
      r = t;
      out.push(prefix + text + tail);
      return true;
    };
    const attempt = (): boolean => candidates(op, r).some(tryLine);
    if (attempt()) return;
    // declare what the Op needs (its mapping, its extent), then try again
    for (const d of declarations(op, r)) feed(d);
    if (attempt()) return;
    // the raw form: the Op's JSONL fields without seq (which the reader assigns)
    const { seq: _seq, ...fields } = op;
    const raw = `${prefix}${JSON.stringify(fields)}`;
    const t = r.clone();
    const res = t.line(raw, out.length + 1);
    if (res.kind !== 'op') throw new Error(`to-dax: Op #${op.seq} does not read back: ${res.kind === 'issue' ? res.issue.message : res.kind}`);
    r = t;
    out.push(raw);
  });
  for (const e of opts.expects ?? []) out.push(`expect ${e}`);
  return `${out.join('\n')}\n`;
}

/** Every process the Ops name, in order of first use (fork children are declared by their fork). */
function processes(ops: readonly Op[], threads: readonly (string | null)[] | undefined): string[] {
  const seen = new Set<string>();
  const forked = new Set<string>();
  ops.forEach((op, i) => {
    const mm = 'mm' in op ? op.mm : undefined;
    const th = threads?.[i];
    for (const p of [mm, th === null || th === undefined ? undefined : th.split('.')[0]]) if (p !== undefined && !forked.has(p)) seen.add(p);
    if (op.type === 'fork' && !seen.has(op.child)) forked.add(op.child);
  });
  return [...seen];
}

/** The thread prefix of an Op: the given thread when it belongs to the Op's mm, else the mm. */
function threadOf(op: Op, given: string | null, r: DaxReader): string | null {
  const mm = 'mm' in op ? op.mm : undefined;
  if (MM_FROM_PREFIX.has(op.type)) {
    if (mm === undefined) return null;
    return given !== null && (given === mm || given.startsWith(`${mm}.`)) && r.env.processOf(given) === mm ? given : mm;
  }
  return given !== null && r.env.processOf(given) !== undefined ? given : null;
}

/** `file` lines for the extents the faults show, merged into runs, and sizes for hole reads. */
function fileLines(ops: readonly Op[], devdax: ReadonlySet<string>): string[] {
  interface Run { start: number; end: number; pfn: number; reflink: boolean }
  const runs = new Map<string, Run[]>();
  const sizes = new Map<string, number>();
  const need = (f: string, bytes: number): void => void sizes.set(f, Math.max(sizes.get(f) ?? 0, bytes));
  for (const op of ops) {
    if (op.type === 'dax.fault' || op.type === 'dax.mkwrite') {
      if (devdax.has(op.file)) continue;
      const pages = op.type === 'dax.fault' ? 2 ** levelOrder(op.level) : 1;
      const reflink = op.type === 'dax.fault' ? op.reflink : false;
      // a huge fault's pfn is its block's head
      const at = op.pgoff - (op.pgoff % pages);
      const list = runs.get(op.file) ?? [];
      runs.set(op.file, list);
      need(op.file, 0);
      const covered = list.find((x) => at >= x.start && at < x.end);
      if (covered) continue;
      const prev = list.find((x) => x.end === at && x.pfn + (x.end - x.start) === op.pfn && x.reflink === reflink && at + pages <= (list.find((y) => y.start > x.start)?.start ?? Infinity));
      if (prev) prev.end = at + pages;
      else if (!list.some((x) => x.start < at + pages && at < x.end)) list.push({ start: at, end: at + pages, pfn: op.pfn, reflink });
    } else if (op.type === 'dax.hole_read') {
      if (!devdax.has(op.file)) need(op.file, (op.pgoff + 1) * PAGE_SIZE);
    } else if (op.type === 'fs.truncate' || op.type === 'fs.break_layout' || op.type === 'fs.evict') {
      if (!devdax.has(op.file)) need(op.file, 0);
    }
  }
  const out: string[] = [];
  for (const [f, size] of sizes) {
    const list = (runs.get(f) ?? []).sort((a, b) => a.start - b.start);
    for (const x of list) out.push(`file ${nameText(f)} ${sizeText(x.start * PAGE_SIZE)}..${sizeText(x.end * PAGE_SIZE)} -> ${hexText(x.pfn)}${x.reflink ? ' reflink' : ''}`);
    const covered = Math.max(0, ...list.map((x) => x.end * PAGE_SIZE));
    if (size > covered || list.length === 0) out.push(`file ${nameText(f)}${size > 0 ? ` +${sizeText(size)}` : ''}`);
  }
  return out;
}

/** The ways to write one Op, most readable first. */
function candidates(op: Op, r: DaxReader): string[] {
  const env = r.env;
  const fileAddr = (file: string, pgoff: number): string => `${nameText(file)}${pgoff ? `+${sizeText(pgoff * PAGE_SIZE)}` : ''}`;
  const pfnAddrs = (pfn: number): string[] => {
    const f = env.fileOffsetOf(pfn);
    return [...(f ? [fileAddr(f.file, f.pgoff)] : []), hexText(pfn)];
  };
  const pages = (nr: number): string => (nr === 1 ? '' : ` ${nr} pages`);
  const vaAddrs = (mm: string, va: number): string[] => {
    const ms = [...(env.processes.get(mm) ?? [])].reverse();
    const m = ms.find((x) => va >= x.start && va < x.end);
    const out: string[] = [];
    if (m && (va - m.start) % PAGE_SIZE === 0) out.push(fileAddr(m.file, m.pgoff + (va - m.start) / PAGE_SIZE));
    out.push(`va ${hexText(va)}`);
    return out;
  };
  switch (op.type) {
    case 'pgmap.register':
      return [`pgmap ${nameText(op.pgmap)} ${PGMAP_WORD[op.pgmapType] ?? op.pgmapType} ${hexText(op.pfn)} +${sizeText(op.nr * PAGE_SIZE)}${op.vmemmapShift ? ` align ${sizeText(2 ** op.vmemmapShift * PAGE_SIZE)}` : ''}`];
    case 'pgmap.unregister':
      return [`memunmap ${nameText(op.pgmap)}`];
    case 'dax.fault':
      return [`fault ${fileAddr(op.file, op.pgoff)}${op.level === 'pte' ? '' : ` ${op.level}`}${op.write ? ' write' : ''}`];
    case 'dax.mkwrite':
      return [`mkwrite ${fileAddr(op.file, op.pgoff)}`];
    case 'dax.hole_read':
      return [`hole-read ${fileAddr(op.file, op.pgoff)}`];
    case 'munmap': {
      const ms = [...(env.processes.get(op.mm) ?? [])].reverse();
      const m = ms.find((x) => op.start >= x.start && op.start < x.end);
      const out: string[] = [];
      if (m) {
        out.push(`munmap ${nameText(m.file)}`);
        const lo = m.pgoff * PAGE_SIZE + (op.start - m.start);
        out.push(`munmap ${nameText(m.file)} ${sizeText(lo)}..${sizeText(lo + op.end - op.start)}`);
      }
      out.push(`munmap ${hexText(op.start)}..${hexText(op.end)}`);
      return out;
    }
    case 'mremap':
      return [`mremap ${hexText(op.start)}..${hexText(op.end)} to ${hexText(op.newStart)}..${hexText(op.newEnd)}`];
    case 'madvise':
      return [`madvise ${hexText(op.start)}..${hexText(op.end)} dontneed`];
    case 'mprotect':
      return [`mprotect ${hexText(op.start)}..${hexText(op.end)} ${op.write ? 'write' : 'read'}`];
    case 'pmd.split':
      return vaAddrs(op.mm, op.address).map((a) => `split ${a}`);
    case 'cow':
      return vaAddrs(op.mm, op.address).map((a) => `cow ${a}`);
    case 'fork':
      return [`fork ${nameText(op.child)}`];
    case 'exit':
      return ['exit'];
    case 'gup.get':
    case 'gup.pin':
    case 'dio.grab': {
      const word = op.type === 'gup.get' ? 'get' : op.type === 'gup.pin' ? 'pin' : 'dio-grab';
      const flags = `${op.fast ? ' fast' : ''}${op.type === 'gup.pin' && op.longterm ? ' longterm' : ''}${op.write ? ' write' : ''}`;
      return pfnAddrs(op.pfn).map((a) => `${word} ${a}${pages(op.nr)}${flags}`);
    }
    case 'put':
    case 'unpin':
      return pfnAddrs(op.pfn).map((a) => `${op.type} ${a}${pages(op.nr)}${op.via ? ` via ${op.via}` : ''}`);
    case 'dio.release':
      return pfnAddrs(op.pfn).map((a) => `dio-release ${a}${pages(op.nr)}`);
    case 'fs.break_layout':
    case 'fs.truncate':
    case 'fs.evict': {
      const word = op.type === 'fs.break_layout' ? 'break' : op.type === 'fs.evict' ? 'evict' : op.end !== undefined ? 'punch' : 'truncate';
      const range = op.end !== undefined ? ` ${sizeText(op.start * PAGE_SIZE)}..${sizeText((op.end + 1) * PAGE_SIZE)}` : op.start ? ` ${sizeText(op.start * PAGE_SIZE)}..` : '';
      return [`${word} ${nameText(op.file)}${range}${op.fs ? ` ${op.fs}` : ''}`];
    }
    case 'devpriv.alloc':
    case 'devpriv.free':
      return [`${op.type === 'devpriv.alloc' ? 'devpriv-alloc' : 'devpriv-free'} ${hexText(op.pfn)}${op.order ? ` order ${op.order}` : ''}`];
    case 'p2p.alloc_mmap':
      return [];
  }
}

/** The `mmap` and `file` lines that let a fault-like Op be written by file offset. */
function declarations(op: Op, r: DaxReader): string[] {
  if (op.type !== 'dax.fault' && op.type !== 'dax.hole_read' && op.type !== 'dax.mkwrite') return [];
  const out: string[] = [];
  const f = nameText(op.file);
  if (op.type !== 'dax.hole_read') {
    const pages = op.type === 'dax.fault' ? 2 ** levelOrder(op.level) : 1;
    const at = op.pgoff - (op.pgoff % pages);
    const x = r.env.extentAt(op.file, at);
    const reflink = op.type === 'dax.fault' ? op.reflink : false;
    if (!x || x.pfn + (at - x.start) !== op.pfn || x.reflink !== reflink) {
      out.push(`file ${f} ${sizeText(at * PAGE_SIZE)}..${sizeText((at + pages) * PAGE_SIZE)} -> ${hexText(op.pfn)}${reflink ? ' reflink' : ''}`);
    }
  } else if (!r.env.file(op.file) || r.env.file(op.file)!.size < (op.pgoff + 1) * PAGE_SIZE) out.push(`file ${f} +${sizeText((op.pgoff + 1) * PAGE_SIZE)}`);
  if (op.type !== 'dax.mkwrite') {
    const v = op.vma;
    if (v.file === op.file && v.pgoff !== undefined && (v.end - v.start) % PAGE_SIZE === 0) {
      const m = r.env.mappingAt(op.mm, op.file, op.pgoff);
      if (!m || m.start !== v.start || m.end !== v.end || m.shared !== v.shared || m.pgoff !== v.pgoff) {
        const lo = v.pgoff * PAGE_SIZE;
        const base = `${nameText(op.mm)}: mmap ${f} ${sizeText(lo)}..${sizeText(lo + v.end - v.start)} ${v.shared ? 'shared' : 'private'}`;
        out.push(r.env.nextSlot(op.mm, v.end - v.start) === v.start ? base : `${base} at ${hexText(v.start)}`);
      }
    }
  }
  return out;
}
