/**
 * Fuzzing every reader and command with mutated and generated lines (fast-check,
 * pinned seed and numRuns). Mutations start from every shipped trace, example and
 * corpus file: characters replaced by hostile ones (control bytes, brackets, quotes,
 * non-ASCII), numbers swapped for boundary values (2^31, 2^53+1, 2^64, 10^20), runs
 * of blanks, digits or brackets inserted, lines cut, doubled, emptied or replaced by
 * generated text. What must hold, whatever the input:
 *
 * - the readers (trace reader, page_ref byte stream, JSONL decoder) never throw, and
 *   every issue they report is positioned inside the file (line and column);
 * - every command that reads a user file (replay, check, diff, ops, holders, export,
 *   report, minimize, explore, test, corpus --root; on traces, JSONL and .dax scenarios
 *   as each accepts them) never exits 3, exits 2 only with positioned or named errors,
 *   and no input runs past a generous per-input bound. `record` reads no input file (it
 *   runs a command under tracing, as root) and `scenarios` none at all.
 *
 * At least 100,000 mutated or generated lines go through the readers, not counting the
 * unchanged lines of a mutated file (counted per reader and asserted below).
 */
import fc from 'fast-check';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceLinesSync } from '../../src/trace/read-trace.ts';
import { PageRefStream } from '../../src/trace/page-ref-stream.ts';
import { JsonlDecoder } from '../../src/events/jsonl-decoder.ts';
import type { ParseIssue } from '../../src/trace/issues.ts';
import { cli } from '../cli/in-process.ts';
import { root, scratch } from './helpers.ts';

const SEED = 0x15_2026;
const dir = scratch('dax-refsim-fuzz-');

/** A source file as lines. */
interface Source {
  readonly name: string;
  readonly kind: 'trace' | 'jsonl' | 'dax';
  readonly lines: readonly string[];
}

function sourcesIn(folder: string, pred: (f: string) => boolean, kind: Source['kind']): Source[] {
  return readdirSync(join(root, folder))
    .filter(pred)
    .sort()
    .map((f) => ({ name: `${folder}/${f}`, kind, lines: readFileSync(join(root, folder, f), 'utf8').split('\n') }));
}

const TRACES = sourcesIn('events/traces', (f) => f.endsWith('.txt'), 'trace');
const JSONL = [
  ...sourcesIn('events/examples', (f) => f.endsWith('.jsonl'), 'jsonl'),
  ...readdirSync(join(root, 'replays'))
    .sort()
    .flatMap((c) => sourcesIn(`replays/${c}`, (f) => f === 'ops.jsonl', 'jsonl')),
];
const SCENARIOS = readdirSync(join(root, 'replays'))
  .sort()
  .flatMap((c) => sourcesIn(`replays/${c}`, (f) => f.endsWith('.dax'), 'dax'));

/** Hostile single characters: C0 controls (0x10-0x19 among them), DEL, JSON and ftrace syntax, non-ASCII. */
const HOSTILE_CHARS = ['\x00', '\x01', '\x09', '\x0b', '\x0d', '\x10', '\x15', '\x19', '\x1b', '\x7f', '{', '}', '[', ']', '"', '\\', ':', '=', ',', ' ', '-', '(', ')', '#', '\u00e9', '\u2028', '\ufeff', '\ud800', '0', '9', 'x', 'f'];
/** Numbers at the kernel's and JavaScript's boundaries. */
const BOUNDARY_NUMBERS = ['0', '-1', '2147483647', '2147483648', '-2147483649', '4294967296', '4503599627370496', '9007199254740993', '18446744073709551616', '100000000000000000000', '1e400', '0x7fffffff', '0xffffffffffffffff', '0x10000000000000000', '1.5', '-0', '00', ''];

/** A number of a line swapped for a boundary value or a small neighbour: the line stays well-formed, so the run goes past the reader into the models. */
const arbNumberMutation: fc.Arbitrary<(line: string) => string> = fc
  .tuple(fc.nat(), fc.oneof(fc.constantFrom(...BOUNDARY_NUMBERS), fc.integer({ min: -3, max: 1030 }).map(String)))
  .map(([k, num]) => (l: string) => {
    const runs = [...l.matchAll(/(?<=[=: ,[])-?\d+(?=[ ,}\]]|$)/g)];
    if (runs.length === 0) return l;
    const m = runs[k % runs.length]!;
    return l.slice(0, m.index) + num + l.slice(m.index + m[0].length);
  });

/** A mutation of one line. */
const arbLineMutation: fc.Arbitrary<(line: string) => string> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_CHARS)).map(([at, c]) => (l: string) => { const i = l.length === 0 ? 0 : at % l.length; return l.slice(0, i) + c + l.slice(i + 1); }),
  fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_CHARS), fc.integer({ min: 1, max: 3000 })).map(([at, c, n]) => (l: string) => { const i = at % (l.length + 1); return l.slice(0, i) + c.repeat(n) + l.slice(i); }),
  fc.tuple(fc.nat(), fc.constantFrom(...BOUNDARY_NUMBERS)).map(([k, num]) => (l: string) => {
    const runs = [...l.matchAll(/-?(?:0x)?[0-9a-f]+/gi)];
    if (runs.length === 0) return l + num;
    const m = runs[k % runs.length]!;
    return l.slice(0, m.index) + num + l.slice(m.index + m[0].length);
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (l: string) => { const i = a % (l.length + 1); return l.slice(0, i) + l.slice(Math.min(l.length, i + (b % 40))); }),
  fc.nat().map((at) => (l: string) => l.slice(0, at % (l.length + 1))),
  fc.constant((l: string) => l + l),
  fc.constant(() => ''),
  fc.integer({ min: 1, max: 200_000 }).map((n) => (l: string) => ' '.repeat(n) + l),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => () => s),
  fc.string({ unit: fc.constantFrom('{', '[', '"', ':', ',', '1', ' ', ']', '}'), maxLength: 200 }).map((s) => () => s),
);

/** A source with `edits` of its lines mutated (some lines twice). */
function arbMutatedFile(sources: readonly Source[], maxEdits: number, mutation: fc.Arbitrary<(line: string) => string> = arbLineMutation): fc.Arbitrary<{ source: Source; lines: string[]; edited: number }> {
  return fc
    .tuple(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: maxEdits }))
    .map(([source, edits]) => {
      const lines = [...source.lines];
      const touched = new Set<number>();
      for (const [at, mutate] of edits) {
        const i = at % lines.length;
        lines[i] = mutate(lines[i]!);
        touched.add(i);
      }
      return { source, lines, edited: touched.size };
    });
}

/** An issue lies inside the file: a real line, a column at most one past the line's end (or past the length limit). */
function positioned(issue: { line: number; column: number }, lines: readonly string[]): boolean {
  if (!Number.isInteger(issue.line) || issue.line < 1 || issue.line > lines.length + 1) return false;
  const text = lines[issue.line - 1] ?? '';
  return Number.isInteger(issue.column) && issue.column >= 1 && issue.column <= Math.max(text.length, Buffer.byteLength(text)) + 1;
}

let linesFed = 0;
/** Of those, the lines a mutation changed or a generator made (each counted once per reader it went through). */
let mutatedFed = 0;

describe('readers: no throw, every issue positioned', () => {
  it('the trace reader and the page_ref byte stream on mutated traces', () => {
    fc.assert(
      fc.property(arbMutatedFile(TRACES, 12), ({ source, lines, edited }) => {
        const issues: ParseIssue[] = [];
        for (const item of parseTraceLinesSync(lines, source.name)) if (item.type === 'issue') issues.push(item.issue);
        for (const i of issues) expect(positioned(i, lines), `${i.file}:${i.line}:${i.column} ${i.code}`).toBe(true);
        const streamIssues: ParseIssue[] = [];
        const stream = new PageRefStream(source.name, { header: () => undefined, pageRef: () => true, issue: (i) => void streamIssues.push(i) });
        const bytes = Buffer.from(lines.join('\n'));
        // odd chunk sizes, so lines straddle chunks
        for (let at = 0; at < bytes.length; at += 4093) stream.push(bytes.subarray(at, at + 4093));
        stream.end();
        for (const i of streamIssues) expect(positioned(i, lines), `${i.file}:${i.line}:${i.column} ${i.code}`).toBe(true);
        linesFed += 2 * lines.length;
        mutatedFed += 2 * edited;
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('the JSONL decoder on mutated examples and corpus Op streams', () => {
    fc.assert(
      fc.property(arbMutatedFile(JSONL, 6), ({ source, lines, edited }) => {
        const decoder = new JsonlDecoder(source.name);
        lines.forEach((text, k) => {
          const d = decoder.decode(text, k + 1, k < lines.length - 1);
          if (d.kind === 'issue') expect(positioned(d.issue, lines), `${d.issue.line}:${d.issue.column} ${d.issue.code}`).toBe(true);
        });
        linesFed += lines.length;
        mutatedFed += edited;
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('generated lines, alone after a real header', () => {
    const header = TRACES[0]!.lines.filter((l) => l.startsWith('#') || l.startsWith('KTRACE-BEGIN'));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: 'grapheme-ascii', maxLength: 400 })), { minLength: 150, maxLength: 150 }), (body) => {
        const lines = [...header, ...body];
        for (const item of parseTraceLinesSync(lines, 'generated')) if (item.type === 'issue') expect(positioned(item.issue, lines)).toBe(true);
        const decoder = new JsonlDecoder('generated');
        body.forEach((text, k) => decoder.decode(text, k + 1));
        linesFed += lines.length + body.length;
        mutatedFed += 2 * body.length;
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('fed at least 100,000 mutated or generated lines', () => {
    // printed so a run shows the volume it proved (the assertion is the floor)
    console.log(`fuzz readers: ${mutatedFed} mutated or generated lines of ${linesFed} lines fed`);
    expect(mutatedFed).toBeGreaterThanOrEqual(100_000);
    expect(linesFed).toBeGreaterThan(mutatedFed);
  });
});

/** A bad-input run's stderr: positioned issues (`file:line:column CODE`) or a named error, never an internal one. */
function expectUserError(stderr: string): void {
  expect(stderr).not.toContain('internal error');
  expect(stderr).toMatch(/^(?:.+:\d+:\d+ [A-Z_]+ |dax-refsim: |.+: EMPTY_INPUT |.+: NO_OPS |.+: (?:not found|refusing)|the trace header|the trace names no kernel|.+ has no expect line|.+ holds )/m);
}

/** Every positioned issue line of a stderr (`file:line:column CODE`) lies inside the file it names. */
function expectPositionedInside(stderr: string, path: string, lines: readonly string[]): void {
  for (const m of stderr.matchAll(/^(.*?):(\d+):(\d+) ([A-Z_]+) /gm)) {
    if (m[1] !== path) continue;
    const issue = { line: Number(m[2]), column: Number(m[3]) };
    expect(positioned(issue, lines), `${m[0]}`).toBe(true);
  }
}

/** Per-input bound: generous (a loaded CI machine), but far below the minutes a quadratic or unbounded input took. */
const PER_INPUT_MS = 20_000;

describe('commands: never exit 3, never unbounded', () => {
  let n = 0;
  const write = (lines: readonly string[], ext: string): string => {
    const path = join(dir, `case-${++n}.${ext}`);
    writeFileSync(path, lines.join('\n'));
    return path;
  };

  it('replay and check on mutated traces', async () => {
    await fc.assert(
      fc.asyncProperty(arbMutatedFile(TRACES, 4), fc.constantFrom('replay', 'check'), async ({ lines }, cmd) => {
        const path = write(lines, 'txt');
        const t0 = performance.now();
        const r = await cli(cmd, path, '--format', 'json');
        expect(performance.now() - t0).toBeLessThan(PER_INPUT_MS);
        expect([0, 1, 2]).toContain(r.status);
        if (r.status === 2) expectUserError(r.stderr);
        expectPositionedInside(r.stderr, path, lines);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('replay and diff on mutated .dax scenarios', async () => {
    await fc.assert(
      fc.asyncProperty(arbMutatedFile(SCENARIOS, 3), fc.constantFrom('replay', 'diff'), async ({ lines }, cmd) => {
        const path = write(lines, 'dax');
        const t0 = performance.now();
        const r = await cli(cmd, path, ...(cmd === 'replay' ? ['--model', 'legacy'] : []));
        expect(performance.now() - t0).toBeLessThan(PER_INPUT_MS);
        expect([0, 1, 2]).toContain(r.status);
        if (r.status === 2) expectUserError(r.stderr);
        expectPositionedInside(r.stderr, path, lines);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });

  it('replay and diff on mutated Op and RefEvent streams', async () => {
    await fc.assert(
      fc.asyncProperty(arbMutatedFile(JSONL, 3), fc.constantFrom('replay', 'diff'), async ({ source, lines }, cmd) => {
        const path = write(lines, 'jsonl');
        const t0 = performance.now();
        const ops = source.name.startsWith('replays/');
        const r = await cli(cmd, path, ...(cmd === 'replay' && ops ? ['--model', 'legacy'] : []));
        expect(performance.now() - t0).toBeLessThan(PER_INPUT_MS);
        expect([0, 1, 2]).toContain(r.status);
        if (r.status === 2) expectUserError(r.stderr);
        expectPositionedInside(r.stderr, path, lines);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

/** Op streams only (the corpus's), for the commands that read Ops and not RefEvents. */
const OPS_JSONL = JSONL.filter((s) => s.name.startsWith('replays/'));

/**
 * The other commands that read a user file, each on every kind of input it accepts
 * (its --help): one mutated file per run, output flags pointed into the scratch folder.
 */
const OTHER_COMMANDS: readonly { readonly name: string; readonly sources: readonly Source[]; readonly ext: string; readonly args: (path: string) => string[] }[] = [
  { name: 'ops', sources: SCENARIOS, ext: 'dax', args: (p) => ['ops', p] },
  { name: 'ops --to-dax (Op JSONL)', sources: OPS_JSONL, ext: 'jsonl', args: (p) => ['ops', p, '--to-dax'] },
  { name: 'ops --to-dax (trace)', sources: TRACES, ext: 'txt', args: (p) => ['ops', p, '--to-dax'] },
  { name: 'holders (.dax)', sources: SCENARIOS, ext: 'dax', args: (p) => ['holders', p] },
  { name: 'holders (JSONL)', sources: JSONL, ext: 'jsonl', args: (p) => ['holders', p] },
  { name: 'holders (trace)', sources: TRACES, ext: 'txt', args: (p) => ['holders', p] },
  { name: 'export (.dax)', sources: SCENARIOS, ext: 'dax', args: (p) => ['export', p, '--perfetto', `${p}.perfetto.json`] },
  { name: 'export (JSONL)', sources: JSONL, ext: 'jsonl', args: (p) => ['export', p, '--perfetto', `${p}.perfetto.json`] },
  { name: 'export (trace)', sources: TRACES, ext: 'txt', args: (p) => ['export', p, '--perfetto', `${p}.perfetto.json`] },
  { name: 'report (.dax)', sources: SCENARIOS, ext: 'dax', args: (p) => ['report', p, '--html', `${p}.html`] },
  { name: 'report (JSONL)', sources: JSONL, ext: 'jsonl', args: (p) => ['report', p, '--html', `${p}.html`] },
  { name: 'report (trace)', sources: TRACES, ext: 'txt', args: (p) => ['report', p, '--html', `${p}.html`] },
  { name: 'minimize (.dax)', sources: SCENARIOS, ext: 'dax', args: (p) => ['minimize', p, '--keep', 'divergence:baseline'] },
  { name: 'minimize (Op JSONL)', sources: OPS_JSONL, ext: 'jsonl', args: (p) => ['minimize', p, '--keep', 'hang'] },
  { name: 'minimize (trace)', sources: TRACES, ext: 'txt', args: (p) => ['minimize', p, '--keep', 'mismatch'] },
  { name: 'explore', sources: SCENARIOS, ext: 'dax', args: (p) => ['explore', p, '--max-interleavings', '200'] },
  { name: 'test', sources: SCENARIOS, ext: 'dax', args: (p) => ['test', p] },
];

describe('every other command that reads a file: never exit 3, never unbounded, errors positioned', () => {
  let n = 0;
  let commandLines = 0;
  let commandEdited = 0;
  const ran = new Map<string, number>();
  const statuses = new Map<string, number>();

  it('ops, holders, export, report, minimize, explore and test on mutated inputs of every kind they read', async () => {
    await fc.assert(
      fc.asyncProperty(
        // by name, so a counterexample prints the command and the mutated lines, not every source
        fc.constantFrom(...OTHER_COMMANDS.map((c) => c.name)).chain((name) => fc.tuple(fc.constant(name), arbMutatedFile(OTHER_COMMANDS.find((c) => c.name === name)!.sources, 3, fc.oneof(arbLineMutation, arbNumberMutation)).map((m) => ({ from: m.source.name, lines: m.lines, edited: m.edited })))),
        async ([name, { lines, edited }]) => {
          const c = OTHER_COMMANDS.find((o) => o.name === name)!;
          const path = join(dir, `other-${++n}.${c.ext}`);
          writeFileSync(path, lines.join('\n'));
          const t0 = performance.now();
          const r = await cli(...c.args(path));
          expect(performance.now() - t0, c.name).toBeLessThan(PER_INPUT_MS);
          expect([0, 1, 2], `${c.name}: ${r.stderr}`).toContain(r.status);
          if (r.status === 2) expectUserError(r.stderr);
          expectPositionedInside(r.stderr, path, lines);
          ran.set(c.name, (ran.get(c.name) ?? 0) + 1);
          statuses.set(`${c.name} exit ${r.status}`, (statuses.get(`${c.name} exit ${r.status}`) ?? 0) + 1);
          commandLines += lines.length;
          commandEdited += edited;
        },
      ),
      { seed: SEED, numRuns: 340 },
    );
    console.log(`fuzz commands: ${n} runs, ${commandEdited} mutated lines of ${commandLines}; ${[...statuses].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    // every command and input kind was drawn
    expect([...ran.keys()].sort()).toEqual(OTHER_COMMANDS.map((c) => c.name).sort());
  });

  it('corpus --root over a case folder whose scenario, Op stream and goldens are mutated', async () => {
    const CASE = 'replays/s3-pin-unmap-unpin';
    const files = readdirSync(join(root, CASE)).sort();
    const sources: Source[] = files.map((f) => ({ name: `${CASE}/${f}`, kind: f.endsWith('.dax') ? 'dax' : 'jsonl', lines: readFileSync(join(root, CASE, f), 'utf8').split('\n') }));
    let k = 0;
    const corpusStatus = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arbMutatedFile(sources, 3), async ({ source, lines }) => {
        const corpusRoot = join(dir, `corpus-${++k}`);
        const caseDir = join(corpusRoot, 's3-pin-unmap-unpin');
        mkdirSync(corpusRoot, { recursive: true });
        cpSync(join(root, CASE), caseDir, { recursive: true });
        const path = join(caseDir, source.name.slice(CASE.length + 1));
        writeFileSync(path, lines.join('\n'));
        const t0 = performance.now();
        const r = await cli('corpus', '--root', corpusRoot);
        expect(performance.now() - t0).toBeLessThan(PER_INPUT_MS);
        corpusStatus.set(r.status, (corpusStatus.get(r.status) ?? 0) + 1);
        expect([0, 1, 2], r.stderr).toContain(r.status);
        if (r.status === 2) expectUserError(r.stderr);
        expectPositionedInside(r.stderr, path, lines);
      }),
      { seed: SEED, numRuns: 30 },
    );
    console.log(`fuzz corpus --root: ${[...corpusStatus].sort().map(([k, v]) => `exit ${k}: ${v}`).join(', ')}`);
    // the mutations reach both outcomes: goldens that still match, and inputs refused or differing
    expect(corpusStatus.size).toBeGreaterThan(1);
  });
});
