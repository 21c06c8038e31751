/**
 * The `.dax` scenario language: a hand-written recursive-descent parser over the
 * tokens of each line (src/scenario/lexer.ts). Declarations (`pgmap`, `file`,
 * `process`, `T: mmap`) build the environment (src/scenario/env.ts); each operation
 * line becomes one Op, addressed by file offset (`F+8K`) or by pfn (`0x48052`), its
 * virtual address, VMA and pfn resolved from the declarations above it. Every
 * mistake is a positioned DaxIssue; parsing goes on at the next line, so one run
 * reports every bad line. The grammar is in README.md ("Scenario files").
 */
import type { Level, Op, PgmapType, VmaRef } from '../events/op.ts';
import { OP_TYPES } from '../events/op.ts';
import { FILESYSTEMS, PFN_LIMIT, PUT_PATHS, UNPIN_VIAS } from '../events/schema.ts';
import { decodeOp, parseJsonObject } from '../events/jsonl.ts';
import { DIVERGENCE_CLASSES, type DivergenceClass } from '../diff/divergence.ts';
import { PAGE_SIZE, levelOrder } from '../kernel/constants.ts';
import { modelFor } from '../models/index.ts';
import { lexLine, type Token } from './lexer.ts';
import { Env, type Mapping } from './env.ts';
import type { DaxIssue, DaxScenario, DiffCheck, Expectation, ModelCheck, OpColumns } from './types.ts';

/** pgmap type words: the kernel's enum memory_type names, and `devdax` for MEMORY_DEVICE_GENERIC. */
const PGMAP_WORDS: Readonly<Record<string, PgmapType>> = { fsdax: 'fsdax', devdax: 'generic', generic: 'generic', private: 'private', coherent: 'coherent', p2pdma: 'p2pdma' };

/** Operation keywords, and the Op type names accepted as aliases. */
export const OPERATIONS = [
  'fault', 'mkwrite', 'hole-read', 'munmap', 'split', 'fork', 'exit', 'get', 'pin', 'put', 'unpin', 'dio-grab', 'dio-release', 'cow',
  'break', 'truncate', 'punch', 'evict', 'devpriv-alloc', 'devpriv-free', 'pgmap', 'memunmap', 'mmap', 'mremap', 'madvise', 'mprotect',
] as const;
const ALIASES: Readonly<Record<string, string>> = {
  'dax.fault': 'fault', 'dax.mkwrite': 'mkwrite', 'dax.hole_read': 'hole-read', 'pmd.split': 'split', 'gup.get': 'get', 'gup.pin': 'pin',
  'dio.grab': 'dio-grab', 'dio.release': 'dio-release', 'fs.break_layout': 'break', 'fs.truncate': 'truncate', 'fs.evict': 'evict',
  'devpriv.alloc': 'devpriv-alloc', 'devpriv.free': 'devpriv-free', 'pgmap.register': 'pgmap', 'pgmap.unregister': 'memunmap',
};
const DECLARATIONS = ['scenario', 'profile', 'process', 'file', 'expect'];
const OP_WORDS = `${OPERATIONS.join(', ')} (or an Op type such as ${OP_TYPES.slice(0, 3).join(', ')}…, or a raw {JSON} Op)`;

/** A parse failure at a token. */
class Fail extends Error {
  readonly column: number;
  readonly code: DaxIssue['code'];
  readonly expected: string;
  constructor(column: number, code: DaxIssue['code'], message: string, expected: string) {
    super(message);
    this.column = column;
    this.code = code;
    this.expected = expected;
  }
}

/** The cursor over one line's tokens. */
class Cursor {
  i = 0;
  readonly toks: readonly Token[];
  constructor(toks: readonly Token[]) {
    this.toks = toks;
  }
  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i++;
    return t;
  }
  isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'name' && t.text === w;
  }
  isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === p;
  }
  eat(p: string): boolean {
    if (this.isPunct(p) || this.isWord(p)) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(p: string, what = `"${p}"`): Token {
    const t = this.peek();
    if (!this.eat(p)) throw new Fail(t.column, 'SYNTAX', `expected ${what}, found ${describe(t)}`, what);
    return t;
  }
  name(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'name' && t.kind !== 'string') throw new Fail(t.column, 'SYNTAX', `expected ${what}, found ${describe(t)}`, what);
    this.i++;
    return t;
  }
  number(what: string): Token & { value: number } {
    const t = this.peek();
    if (t.kind !== 'number') throw new Fail(t.column, t.kind === 'name' ? 'BAD_ADDRESS' : 'SYNTAX', `expected ${what}, found ${describe(t)}`, what);
    this.i++;
    return t as Token & { value: number };
  }
  end(): void {
    const t = this.peek();
    if (t.kind !== 'end') throw new Fail(t.column, 'SYNTAX', `unexpected ${describe(t)} at the end of the line`, 'the end of the line or a # comment');
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the line';
  if (t.kind === 'string') return JSON.stringify(t.text);
  return `"${t.text}"`;
}

/** A file address: `F+8K`, `F` (offset 0). */
interface FileAddr {
  readonly file: string;
  readonly offset: number;
  readonly column: number;
  readonly offsetColumn: number;
}

/** The outcome of one line. */
export type LineResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'op'; readonly op: Op; readonly thread: string | null; readonly columns: OpColumns }
  | { readonly kind: 'expect'; readonly expect: Expectation }
  | { readonly kind: 'issue'; readonly issue: DaxIssue };

/** Builds the Op's fields without seq (the reader numbers Ops). */
type Fields = Record<string, unknown> & { type: string };

/**
 * Reads a `.dax` file line by line. `line()` may be tried on a clone (the emitter
 * does), since all state is the Env and a few header fields.
 */
export class DaxReader {
  env = new Env();
  description: string | undefined;
  profile: string | null = null;
  seq = 0;
  readonly file: string;
  /** The column of the `N pages` count of the Op being read, if it has one. */
  private nrColumn: number | undefined;
  constructor(file: string) {
    this.file = file;
  }

  clone(): DaxReader {
    const r = new DaxReader(this.file);
    r.env = this.env.clone();
    r.description = this.description;
    r.profile = this.profile;
    r.seq = this.seq;
    return r;
  }

  /** Parses one line; an Op gets the next seq. */
  line(text: string, lineNo: number): LineResult {
    const toks = lexLine(text);
    if (!Array.isArray(toks)) return this.issue(lineNo, toks.column, 'SYNTAX', toks.message, toks.expected);
    const c = new Cursor(toks);
    if (c.peek().kind === 'end') return { kind: 'none' };
    try {
      return this.statement(c, text, lineNo);
    } catch (e) {
      if (e instanceof Fail) return this.issue(lineNo, e.column, e.code, e.message, e.expected);
      throw e;
    }
  }

  private issue(line: number, column: number, code: DaxIssue['code'], message: string, expected: string): LineResult {
    return { kind: 'issue', issue: { file: this.file, line, column, code, message, expected } };
  }

  private statement(c: Cursor, text: string, lineNo: number): LineResult {
    const first = c.peek();
    // `T: op …`: a thread prefix (a name or "string" followed by a colon)
    if ((first.kind === 'name' || first.kind === 'string') && c.isPunct(':', 1)) {
      c.next();
      c.next();
      const proc = this.env.processOf(first.text);
      if (proc === undefined) throw new Fail(first.column, 'UNDECLARED', `process ${first.text} is not declared`, `a "process ${first.text.split('.')[0]}" line above (threads are P or P.n of a declared process P)`);
      return this.operation(c, first.text, proc);
    }
    if (first.kind === 'name' && DECLARATIONS.includes(first.text)) {
      c.next();
      switch (first.text) {
        case 'scenario': {
          const t = c.peek();
          if (t.kind !== 'string') throw new Fail(t.column, 'SYNTAX', `expected a "quoted description", found ${describe(t)}`, 'a "quoted description"');
          c.next();
          c.end();
          this.description = t.text;
          return { kind: 'none' };
        }
        case 'profile': {
          const t = c.name('a profile: legacy, unified or <family>@<version>');
          c.end();
          this.checkProfile(t);
          this.profile = t.text;
          return { kind: 'none' };
        }
        case 'process': {
          do {
            const t = c.name('a process name');
            if (!this.env.processes.has(t.text)) this.env.processes.set(t.text, []);
          } while (c.peek().kind !== 'end');
          return { kind: 'none' };
        }
        case 'file':
          this.fileDecl(c);
          return { kind: 'none' };
        case 'expect':
          return { kind: 'expect', expect: this.expectation(c, text, lineNo) };
      }
    }
    return this.operation(c, null, undefined);
  }

  private checkProfile(t: Token): void {
    try {
      modelFor(t.text);
    } catch (e) {
      throw new Fail(t.column, 'BAD_VALUE', e instanceof Error ? e.message : String(e), 'legacy, unified or <family>@<version> (legacy@6.1, unified@7.2)');
    }
  }

  /** `file F` | `file F +SIZE` | `file F A..B -> PFN [reflink]`. */
  private fileDecl(c: Cursor): void {
    const name = c.name('a file name').text;
    if (c.eat('+')) {
      const size = c.number('a size (4M, 0x1000)').value;
      c.end();
      this.env.addExtent(name, undefined, size);
      return;
    }
    if (c.peek().kind === 'end') {
      this.env.addExtent(name, undefined, 0);
      return;
    }
    const [lo, hi, loTok] = this.range(c, false);
    c.expect('->', '"->" and the first pfn of the extent');
    const pfn = c.number('the extent\'s first pfn (0x48400)').value;
    const reflink = c.eat('reflink');
    c.end();
    if (hi === undefined || hi <= lo) throw new Fail(loTok, 'BAD_ADDRESS', `empty extent ${lo}..${hi}`, 'a range A..B with A < B');
    this.env.addExtent(name, { start: lo / PAGE_SIZE, end: hi / PAGE_SIZE, pfn, reflink }, hi);
  }

  /** `A..B` or `A..` (to EOF, when allowed), page-aligned byte offsets. */
  private range(c: Cursor, openEnd: boolean): [number, number | undefined, number] {
    const a = c.number('a byte range A..B (0..4M)');
    this.aligned(a, PAGE_SIZE);
    c.expect('..', '".." (a range A..B)');
    if (openEnd && (c.peek().kind !== 'number')) return [a.value, undefined, a.column];
    const b = c.number('the end of the range (exclusive)');
    this.aligned(b, PAGE_SIZE);
    return [a.value, b.value, a.column];
  }

  private aligned(t: Token & { value: number }, size: number): void {
    if (t.value % size !== 0) throw new Fail(t.column, 'BAD_ADDRESS', `${t.text} is not ${sizeText(size)} aligned`, `a multiple of ${sizeText(size)}`);
  }

  /** `F+OFF` or `F`: a declared file (or device-dax pgmap) and a byte offset in it. */
  private fileAddr(c: Cursor): FileAddr {
    const t = c.peek();
    if (t.kind !== 'name' && t.kind !== 'string') throw new Fail(t.column, 'BAD_ADDRESS', `expected a file address such as F+8K, found ${describe(t)}`, 'a file address F+OFFSET');
    c.next();
    if (!this.env.file(t.text)) throw new Fail(t.column, 'UNDECLARED', `file ${t.text} is not declared`, `a "file ${t.text} …" line above (or a devdax pgmap of that name)`);
    let offset = 0;
    let offsetColumn = t.column;
    if (c.eat('+')) {
      const o = c.number('a byte offset (8K, 0x2000)');
      offset = o.value;
      offsetColumn = o.column;
      this.aligned(o, PAGE_SIZE);
    }
    return { file: t.text, offset, column: t.column, offsetColumn };
  }

  private inFile(a: FileAddr, pages = 1): void {
    const size = this.env.file(a.file)!.size;
    if (a.offset + pages * PAGE_SIZE > size) throw new Fail(a.offsetColumn, 'OUT_OF_FILE', `offset ${hexText(a.offset)} is outside file ${a.file} (size ${sizeText(size)})`, `an offset below ${sizeText(size)}`);
  }

  /** A pfn: a number, or a file address resolved through the file's extents. */
  private pfnAddr(c: Cursor): number {
    const t = c.peek();
    if (t.kind === 'number') {
      c.next();
      if (!this.env.pgmapOf(t.value!)) throw new Fail(t.column, 'BAD_ADDRESS', `pfn ${t.text} is in no declared pgmap`, 'a pfn inside a pgmap declared above, or a file address F+OFF');
      return t.value!;
    }
    const a = this.fileAddr(c);
    this.inFile(a);
    const x = this.env.extentAt(a.file, a.offset / PAGE_SIZE);
    if (!x) throw new Fail(a.offsetColumn, 'BAD_ADDRESS', `offset ${hexText(a.offset)} of ${a.file} is a hole (no extent)`, `an offset inside an extent of ${a.file}`);
    return x.pfn + (a.offset / PAGE_SIZE - x.start);
  }

  /** The mapping of `proc` covering a file address. */
  private mapping(proc: string, a: FileAddr): Mapping {
    const m = this.env.mappingAt(proc, a.file, a.offset / PAGE_SIZE);
    if (!m) throw new Fail(a.column, 'UNDECLARED', `process ${proc} has no mapping of ${a.file} at offset ${hexText(a.offset)}`, `an "${proc}: mmap ${a.file} …" line above covering it`);
    return m;
  }

  private vaOf(m: Mapping, a: FileAddr): number {
    return m.start + a.offset - m.pgoff * PAGE_SIZE;
  }

  private needProc(proc: string | undefined, what: string, col: number): string {
    if (proc === undefined) throw new Fail(col, 'UNDECLARED', `${what} runs in a process: write "A: ${what} …"`, 'a thread prefix "A:" naming a declared process');
    return proc;
  }

  private operation(c: Cursor, thread: string | null, proc: string | undefined): LineResult {
    const t = c.peek();
    if (t.kind === 'json' || c.isWord('raw')) {
      if (c.isWord('raw')) c.next();
      return this.raw(c, thread);
    }
    if (t.kind !== 'name') throw new Fail(t.column, 'UNKNOWN_OP', `expected an operation, found ${describe(t)}`, OP_WORDS);
    const word = ALIASES[t.text] ?? t.text;
    if (!(OPERATIONS as readonly string[]).includes(word)) throw new Fail(t.column, 'UNKNOWN_OP', `unknown operation "${t.text}"`, OP_WORDS);
    c.next();
    if (word === 'mmap') {
      this.mmap(c, this.needProc(proc, 'mmap', t.column));
      return { kind: 'none' };
    }
    this.nrColumn = undefined;
    const f = this.opFields(word, c, proc, t.column);
    const nrColumn = this.nrColumn;
    // options every Op takes: `line N` (the trace line it was lifted from), `ends N`
    // (Op.endsWait: the task's earlier layout break N, whose wait is over by this Op)
    if (c.eat('line')) f.line = c.number('a trace line number').value;
    if (c.eat('ends')) f.endsWait = c.number('the seq of a layout break Op').value;
    c.end();
    this.seq++;
    const op = { seq: this.seq, ...f } as unknown as Op;
    if (op.type === 'fork') this.env.processes.set(op.child, [...(this.env.processes.get(op.mm) ?? [])]);
    if (op.type === 'mremap') {
      // the moved (or resized) mapping: later `F+OFF` addresses resolve to its new place
      const m = [...(this.env.processes.get(op.mm) ?? [])].reverse().find((x) => op.start >= x.start && op.start < x.end);
      if (m) this.env.addMapping(op.mm, { file: m.file, start: op.newStart, end: op.newEnd, shared: m.shared, pgoff: m.pgoff + (op.start - m.start) / PAGE_SIZE });
    }
    return { kind: 'op', op, thread, columns: { op: t.column, fields: nrColumn === undefined ? {} : { nr: nrColumn } } };
  }

  /** `A: mmap F A..B shared|private [at ADDR]`. */
  private mmap(c: Cursor, proc: string): void {
    const ft = c.name('the file (or devdax pgmap) to map');
    if (!this.env.file(ft.text)) throw new Fail(ft.column, 'UNDECLARED', `file ${ft.text} is not declared`, `a "file ${ft.text} …" line above`);
    const [lo, hi, loCol] = this.range(c, false);
    if (hi === undefined || hi <= lo) throw new Fail(loCol, 'BAD_ADDRESS', 'empty mapping', 'a range A..B with A < B');
    const st = c.peek();
    const shared = c.eat('shared') ? true : c.eat('private') ? false : undefined;
    if (shared === undefined) throw new Fail(st.column, 'SYNTAX', `expected shared or private, found ${describe(st)}`, 'shared or private');
    let start = this.env.nextSlot(proc, hi - lo);
    if (c.eat('at')) {
      const a = c.number('a virtual address (0x7f0000000000)');
      this.aligned(a, PAGE_SIZE);
      start = a.value;
    }
    c.end();
    this.env.addMapping(proc, { file: ft.text, start, end: start + hi - lo, shared, pgoff: lo / PAGE_SIZE });
  }

  /** `{…}` or `raw {…}`: one Op as JSONL fields (no seq), for what no keyword spells. */
  private raw(c: Cursor, thread: string | null): LineResult {
    const t = c.peek();
    if (t.kind !== 'json') throw new Fail(t.column, 'SYNTAX', `expected a {JSON} Op, found ${describe(t)}`, 'a {JSON} Op');
    const site = { file: this.file, line: 0 };
    const json = parseJsonObject(t.text, site);
    if (!json.ok) throw new Fail(t.column + json.issue.column - 1, 'SYNTAX', json.issue.message, json.issue.expected);
    const obj = { seq: this.seq + 1, ...json.obj };
    const op = decodeOp(obj, { ...site, text: JSON.stringify(obj) }, this.seq);
    if ('code' in op) throw new Fail(t.column, 'BAD_VALUE', op.message, op.expected);
    this.seq++;
    // the value of each top-level "key": as written (the first match: a raw Op is one flat object but for its vma)
    const fields: Record<string, number> = {};
    for (const key of Object.keys(json.obj)) {
      const m = new RegExp(`"${key.replace(/\W/g, '\\$&')}"\\s*:\\s*`).exec(t.text);
      if (m !== null) fields[key] = t.column + m.index + m[0].length;
    }
    return { kind: 'op', op, thread, columns: { op: t.column, fields } };
  }

  /** The fields of one operation (after its keyword), options included. */
  private opFields(word: string, c: Cursor, proc: string | undefined, col: number): Fields {
    switch (word) {
      case 'pgmap': {
        const name = c.name('the pgmap name (pmem0, dax0.0)').text;
        const tt = c.name('the pgmap type');
        const pgmapType = PGMAP_WORDS[tt.text];
        if (!pgmapType) throw new Fail(tt.column, 'BAD_VALUE', `unknown pgmap type "${tt.text}"`, `one of ${Object.keys(PGMAP_WORDS).join(', ')}`);
        const pfn = c.number('the first pfn (0x40000)').value;
        c.expect('+', '"+SIZE" (the size of the range, +512M)');
        const st = c.number('the size of the range (512M)');
        this.aligned(st, PAGE_SIZE);
        let shift = 0;
        if (c.eat('align')) {
          const at = c.number('the folio size (2M, 1G)');
          const pages = at.value / PAGE_SIZE;
          if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) throw new Fail(at.column, 'BAD_VALUE', `align ${at.text} is not a power-of-two number of pages`, 'a power of two from 4K (4K, 2M, 1G)');
          shift = Math.log2(pages);
        }
        // no struct page past the widest physical address: pfns fit in 52 bits
        if (pfn + st.value / PAGE_SIZE > PFN_LIMIT) throw new Fail(st.column, 'BAD_VALUE', `the ${st.text} range from pfn 0x${pfn.toString(16)} runs past pfn 2^52`, 'a range ending at or below pfn 2^52 (a pfn fits in 52 bits)');
        this.env.pgmaps.set(name, { name, type: pgmapType, pfn, nr: st.value / PAGE_SIZE });
        return { type: 'pgmap.register', pgmap: name, pgmapType, pfn, nr: st.value / PAGE_SIZE, vmemmapShift: shift };
      }
      case 'memunmap': {
        const t = c.name('the pgmap name');
        if (!this.env.pgmaps.has(t.text)) throw new Fail(t.column, 'UNDECLARED', `pgmap ${t.text} is not declared`, 'a pgmap declared above');
        return { type: 'pgmap.unregister', pgmap: t.text };
      }
      case 'fault': {
        const mm = this.needProc(proc, word, col);
        const a = this.fileAddr(c);
        let level: Level = 'pte';
        let write = false;
        for (;;) {
          if (c.eat('pte')) level = 'pte';
          else if (c.eat('pmd')) level = 'pmd';
          else if (c.eat('pud')) level = 'pud';
          else if (c.eat('read')) write = false;
          else if (c.eat('write')) write = true;
          else break;
        }
        // a huge fault may come at any page of its block (the faulting address); its pfn
        // is the block's head, as dax_iomap_pmd_fault() maps the aligned block
        const pages = 2 ** levelOrder(level);
        const pgoff = a.offset / PAGE_SIZE;
        const head: FileAddr = { ...a, offset: (pgoff - (pgoff % pages)) * PAGE_SIZE };
        this.inFile(head, pages);
        const m = this.mapping(mm, a);
        const x = this.env.extentAt(a.file, head.offset / PAGE_SIZE);
        if (!x) throw new Fail(a.offsetColumn, 'BAD_ADDRESS', `offset ${hexText(head.offset)} of ${a.file} is a hole (no extent; a read of a hole is hole-read)`, `an offset inside an extent of ${a.file}`);
        const pfn = x.pfn + (head.offset / PAGE_SIZE - x.start);
        if (!this.env.pgmapOf(pfn)) throw new Fail(a.offsetColumn, 'BAD_ADDRESS', `pfn ${hexText(pfn)} behind ${a.file}+${hexText(head.offset)} is in no declared pgmap`, 'an extent inside a pgmap declared above');
        return { type: 'dax.fault', mm, vma: vmaOf(m), address: this.vaOf(m, a), file: a.file, pgoff, pfn, level, write, vmaShared: m.shared, reflink: x.reflink };
      }
      case 'mkwrite': {
        const mm = this.needProc(proc, word, col);
        const a = this.fileAddr(c);
        this.inFile(a);
        const m = this.mapping(mm, a);
        const pgoff = a.offset / PAGE_SIZE;
        const x = this.env.extentAt(a.file, pgoff);
        if (!x) throw new Fail(a.offsetColumn, 'BAD_ADDRESS', `offset ${hexText(a.offset)} of ${a.file} is a hole`, `an offset inside an extent of ${a.file}`);
        return { type: 'dax.mkwrite', mm, address: this.vaOf(m, a), file: a.file, pgoff, pfn: x.pfn + (pgoff - x.start) };
      }
      case 'hole-read': {
        const mm = this.needProc(proc, word, col);
        const a = this.fileAddr(c);
        this.inFile(a);
        const m = this.mapping(mm, a);
        return { type: 'dax.hole_read', mm, vma: vmaOf(m), address: this.vaOf(m, a), file: a.file, pgoff: a.offset / PAGE_SIZE };
      }
      case 'munmap': {
        const mm = this.needProc(proc, word, col);
        if (c.peek().kind === 'number') {
          const [lo, hi] = this.range(c, false);
          return { type: 'munmap', mm, start: lo, end: hi };
        }
        const ft = c.name('a mapped file, or a virtual range 0x…..0x…');
        if (c.peek().kind !== 'number') {
          // `munmap F`: the whole latest mapping of F
          const m = [...(this.env.processes.get(mm) ?? [])].reverse().find((x) => x.file === ft.text);
          if (!m) throw new Fail(ft.column, 'UNDECLARED', `process ${mm} has no mapping of ${ft.text}`, `an "${mm}: mmap ${ft.text} …" line above`);
          return { type: 'munmap', mm, start: m.start, end: m.end };
        }
        const [lo, hi] = this.range(c, false);
        const a: FileAddr = { file: ft.text, offset: lo, column: ft.column, offsetColumn: ft.column };
        const m = this.mapping(mm, a);
        return { type: 'munmap', mm, start: this.vaOf(m, a), end: this.vaOf(m, { ...a, offset: hi! }) };
      }
      case 'mremap': {
        // `mremap 0xS..0xE to 0xNS..0xNE`: move and/or resize a mapping (virtual addresses)
        const mm = this.needProc(proc, word, col);
        const [start, end] = this.range(c, false);
        c.expect('to', '"to" and the new range 0x…..0x…');
        const [newStart, newEnd] = this.range(c, false);
        return { type: 'mremap', mm, start, end: end!, newStart, newEnd: newEnd! };
      }
      case 'madvise':
      case 'mprotect': {
        // `madvise 0xS..0xE dontneed`, `mprotect 0xS..0xE read|write`
        const mm = this.needProc(proc, word, col);
        const [start, end] = this.range(c, false);
        if (word === 'madvise') {
          c.expect('dontneed', '"dontneed" (MADV_DONTNEED)');
          return { type: 'madvise', mm, start, end: end!, advice: 'dontneed' };
        }
        const write = c.eat('write') ? true : c.eat('read') ? false : null;
        if (write === null) throw new Fail(c.peek().column, 'SYNTAX', 'mprotect needs the new protection', '"read" (PROT_READ) or "write" (PROT_READ|PROT_WRITE)');
        return { type: 'mprotect', mm, start, end: end!, write };
      }
      case 'split':
      case 'cow': {
        const mm = this.needProc(proc, word, col);
        let address: number;
        if (c.isWord('va')) {
          c.next();
          const v = c.number('a virtual address');
          address = v.value;
        } else {
          const a = this.fileAddr(c);
          address = this.vaOf(this.mapping(mm, a), a);
        }
        return { type: word === 'split' ? 'pmd.split' : 'cow', mm, address };
      }
      case 'fork': {
        const mm = this.needProc(proc, word, col);
        const child = c.name('the child process name').text;
        return { type: 'fork', mm, child };
      }
      case 'exit':
        return { type: 'exit', mm: this.needProc(proc, word, col) };
      case 'get':
      case 'pin':
      case 'dio-grab': {
        const pfn = this.pfnAddr(c);
        const f: Fields = { type: word === 'get' ? 'gup.get' : word === 'pin' ? 'gup.pin' : 'dio.grab', ...(proc !== undefined ? { mm: proc } : {}), pfn, nr: 1, fast: false };
        if (word === 'pin') f.longterm = false;
        const flags = word === 'pin' ? ['fast', 'longterm', 'write'] : ['fast', 'write'];
        this.options(c, f, flags);
        return f;
      }
      case 'put':
      case 'unpin':
      case 'dio-release': {
        const pfn = this.pfnAddr(c);
        const f: Fields = { type: word === 'dio-release' ? 'dio.release' : word, pfn, nr: 1 };
        this.options(c, f, word === 'dio-release' ? [] : ['via']);
        return f;
      }
      case 'break':
      case 'truncate':
      case 'punch':
      case 'evict': {
        const ft = c.name('a file name');
        if (!this.env.file(ft.text)) throw new Fail(ft.column, 'UNDECLARED', `file ${ft.text} is not declared`, `a "file ${ft.text} …" line above`);
        const type = word === 'break' ? 'fs.break_layout' : word === 'evict' ? 'fs.evict' : 'fs.truncate';
        const f: Fields = { type, file: ft.text, start: 0 };
        if (c.peek().kind === 'number' || word === 'punch') {
          const [lo, hi] = this.range(c, word !== 'punch');
          f.start = lo / PAGE_SIZE;
          if (hi !== undefined) f.end = hi / PAGE_SIZE - 1;
        }
        const fsTok = c.peek();
        if (fsTok.kind === 'name' && (FILESYSTEMS as readonly string[]).includes(fsTok.text)) {
          c.next();
          f.fs = fsTok.text;
        }
        return f;
      }
      case 'devpriv-alloc':
      case 'devpriv-free': {
        const pfn = this.pfnAddr(c);
        let order = 0;
        if (c.eat('order')) order = c.number('a folio order').value;
        return { type: word === 'devpriv-alloc' ? 'devpriv.alloc' : 'devpriv.free', pfn, order };
      }
    }
    throw new Fail(col, 'UNKNOWN_OP', `unknown operation "${word}"`, OP_WORDS);
  }

  /** `N pages`, flags (`fast`, `longterm`, `write`) and `via FN`, in any order. */
  private options(c: Cursor, f: Fields, allowed: readonly string[]): void {
    for (;;) {
      const t = c.peek();
      if (t.kind === 'number' && (c.isWord('pages', 1) || c.isWord('page', 1))) {
        c.next();
        c.next();
        if (t.value! < 1) throw new Fail(t.column, 'BAD_VALUE', 'a page count must be at least 1', 'a positive page count');
        f.nr = t.value;
        this.nrColumn = t.column;
        continue;
      }
      if (t.kind !== 'name' || !allowed.includes(t.text)) {
        if (t.kind === 'name' && t.text !== 'line') throw new Fail(t.column, 'BAD_VALUE', `"${t.text}" is not an option of ${f.type}`, allowed.length ? `N pages, ${allowed.join(', ')}` : 'N pages');
        if (t.kind === 'number') throw new Fail(t.column, 'SYNTAX', `expected "pages" after ${t.text}`, 'N pages');
        return;
      }
      c.next();
      if (t.text === 'via') {
        const v = c.name('a function name');
        const vias: readonly string[] = f.type === 'put' ? PUT_PATHS : UNPIN_VIAS;
        if (!vias.includes(v.text)) throw new Fail(v.column, 'BAD_VALUE', `${f.type} cannot go via "${v.text}"`, `one of ${vias.join(', ')}`);
        f.via = v.text;
      } else f[t.text] = true;
    }
  }

  /** `expect MODEL: CHECK`, `expect diff: CHECK` (legacy vs unified) or `expect MODEL vs MODEL: CHECK`. */
  private expectation(c: Cursor, text: string, lineNo: number): Expectation {
    const mt = c.name('legacy, unified, <family>@<version>, diff or MODEL vs MODEL');
    let pair: [string, string] | undefined;
    if (mt.text !== 'diff' && c.eat('vs')) {
      // the diff of two named models (`expect legacy@6.1 vs unified: wake`): explore and
      // minimize compare the pair they were given, which `expect diff:` would not
      const bt = c.name('the second model of the pair (unified, legacy@6.1)');
      this.checkProfile(mt);
      this.checkProfile(bt);
      pair = [mt.text, bt.text];
    }
    c.expect(':', pair ? '":" after the pair of models' : '":" after the model');
    // cut at the first `#` by index (the regex `\s*#.*$` was quadratic in a run of blanks)
    const rest = text.slice(c.peek().column - 1);
    const hash = rest.indexOf('#');
    const body = (hash < 0 ? rest : rest.slice(0, hash)).trim();
    const quoted = `${pair ? pair.join(' vs ') : mt.text}: ${body}`;
    if (mt.text === 'diff' || pair) {
      const check = this.diffCheck(c);
      c.end();
      return { line: lineNo, text: quoted, target: 'diff', models: pair ?? ['legacy', 'unified'], check };
    }
    this.checkProfile(mt);
    const check = this.modelCheck(c);
    c.end();
    return { line: lineNo, text: quoted, target: 'model', model: mt.text, check };
  }

  private atPfn(c: Cursor): number | undefined {
    return c.eat('at') ? this.pfnAddr(c) : undefined;
  }

  private modelCheck(c: Cursor): ModelCheck {
    const t = c.peek();
    const WHAT = 'ADDR refcount|mapcount|pincount|order N, ADDR mapping F|none, finding CODE, no finding(s), findings N, waiting, no waiter';
    if (c.eat('no')) {
      if (c.eat('findings')) return { kind: 'findings', count: 0 };
      if (c.eat('finding')) return { kind: 'finding', code: c.name('a finding code').text, negate: true };
      if (c.eat('waiter') || c.eat('waiters')) return { kind: 'waiting', negate: true, ...opt(this.atPfn(c)) };
      throw new Fail(c.peek().column, 'SYNTAX', `expected findings, finding CODE or waiter after "no", found ${describe(c.peek())}`, 'findings, finding CODE or waiter');
    }
    if (c.eat('finding')) {
      const code = c.name('a finding code (missed-wakeup, refcount-underflow)').text;
      return { kind: 'finding', code, negate: false, ...opt(this.atPfn(c)) };
    }
    if (c.eat('findings')) return { kind: 'findings', count: c.number('a count').value };
    if (c.eat('waiting') || c.eat('hang')) return { kind: 'waiting', negate: false, ...opt(this.atPfn(c)) };
    if (t.kind === 'number' || t.kind === 'name' || t.kind === 'string') {
      const pfn = this.pfnAddr(c);
      const ft = c.peek();
      if (c.eat('mapping')) {
        const v = c.name('a file name or none');
        return { kind: 'mapping', pfn, value: v.kind === 'name' && v.text === 'none' ? null : v.text };
      }
      for (const field of ['refcount', 'mapcount', 'pincount', 'order'] as const) {
        if (!c.eat(field)) continue;
        if (field === 'pincount' && c.eat('none')) return { kind: 'field', pfn, field, value: null };
        return { kind: 'field', pfn, field, value: c.number('a count').value };
      }
      throw new Fail(ft.column, 'SYNTAX', `expected refcount, mapcount, pincount, order or mapping, found ${describe(ft)}`, 'refcount, mapcount, pincount, order or mapping');
    }
    throw new Fail(t.column, 'SYNTAX', `expected an expectation, found ${describe(t)}`, WHAT);
  }

  private diffCheck(c: Cursor): DiffCheck {
    const negate = c.eat('no');
    if (c.eat('divergence') || c.eat('divergences')) {
      if (negate) return { kind: 'divergences', count: 0 };
      return { kind: 'divergences', count: c.number('a count').value };
    }
    const t = c.name(`a divergence class (${DIVERGENCE_CLASSES.join(', ')}) or divergences N`);
    if (!(DIVERGENCE_CLASSES as readonly string[]).includes(t.text)) throw new Fail(t.column, 'BAD_VALUE', `unknown divergence class "${t.text}"`, `one of ${DIVERGENCE_CLASSES.join(', ')}`);
    return { kind: 'divergence', cls: t.text as DivergenceClass, negate, ...opt(this.atPfn(c)) };
  }
}

function opt(pfn: number | undefined): { pfn?: number } {
  return pfn === undefined ? {} : { pfn };
}

function vmaOf(m: Mapping): VmaRef {
  return { start: m.start, end: m.end, shared: m.shared, file: m.file, pgoff: m.pgoff };
}

/** A byte size as the language writes it: the largest exact K/M/G/T suffix, else hex. */
export function sizeText(n: number): string {
  if (n === 0) return '0';
  for (const [s, v] of [['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) if (n % v === 0) return `${n / v}${s}`;
  return hexText(n);
}

/** A pfn or address in hex. */
export function hexText(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Parses a whole `.dax` text: the scenario, or every bad line's issue. */
export function parseDax(text: string, file: string): DaxScenario | { readonly issues: readonly DaxIssue[] } {
  const r = new DaxReader(file);
  const ops: Op[] = [];
  const threads: (string | null)[] = [];
  const lines: number[] = [];
  const columns: OpColumns[] = [];
  const expects: Expectation[] = [];
  const issues: DaxIssue[] = [];
  text.replace(/\n$/, '').split('\n').forEach((line, i) => {
    const res = r.line(line, i + 1);
    if (res.kind === 'op') {
      ops.push(res.op);
      threads.push(res.thread);
      lines.push(i + 1);
      columns.push(res.columns);
    } else if (res.kind === 'expect') expects.push(res.expect);
    else if (res.kind === 'issue') issues.push(res.issue);
  });
  if (issues.length) return { issues };
  return { file, ...(r.description !== undefined ? { description: r.description } : {}), profile: r.profile, ops, threads, lines, columns, expects };
}
