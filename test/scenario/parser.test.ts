/**
 * The `.dax` language: every construct reads to the exact Op, every kind of mistake
 * is a positioned issue, and `.dax` → JSONL → `.dax` → JSONL is byte-identical on the
 * corpus (and on a lifted trace).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDax } from '../../src/scenario/parser.ts';
import { toDax } from '../../src/scenario/emit.ts';
import { formatDaxIssue, type DaxScenario } from '../../src/scenario/types.ts';
import { formatJsonl, formatOp } from '../../src/events/jsonl.ts';
import { listCases } from '../../src/io/corpus.ts';
import { liftForDiff } from '../../src/lift/lift-file.ts';
import { checkExpectations } from '../../src/scenario/expect.ts';

const HEAD = 'process A B\npgmap pmem0 fsdax 0x40000 +512M\nfile F 0..4M -> 0x48400\n';

function ok(text: string): DaxScenario {
  const r = parseDax(text, 't.dax');
  if ('issues' in r) throw new Error(r.issues.map(formatDaxIssue).join('\n'));
  return r;
}
/** The Ops of `body` after HEAD, as canonical JSON lines (the pgmap Op dropped). */
function ops(body: string): string[] {
  return ok(HEAD + body).ops.slice(1).map((o) => formatOp({ ...o, seq: o.seq - 1 }));
}
function issues(text: string): string[] {
  const r = parseDax(text, 't.dax');
  return 'issues' in r ? r.issues.map(formatDaxIssue) : [];
}

const VMA = '{"start":139637976727552,"end":139637980921856,"shared":true,"file":"F","pgoff":0}';

describe('.dax Op columns (where a later error, an Op over its bound, is named)', () => {
  it('the operation word, and the N of `N pages` or a raw Op\'s "nr" value', () => {
    const s = ok(HEAD + 'A: mmap F 0..4M shared\nA: fault F\nA: pin F 3 pages fast\nB: get F\n{"type":"put","pfn":"0x48400","nr": 2}\n');
    // pgmap, fault, pin, get, raw put (mmap is no Op)
    expect(s.lines).toEqual([2, 5, 6, 7, 8]);
    expect(s.columns).toEqual([
      { op: 1, fields: {} },
      { op: 4, fields: {} },
      { op: 4, fields: { nr: 10 } },
      { op: 4, fields: {} },
      { op: 1, fields: { type: 9, pfn: 21, nr: 37 } },
    ]);
  });
});

describe('.dax constructs', () => {
  it('header lines: scenario, profile, comments, blank lines', () => {
    const s = ok('# a comment\n\nscenario "what if"   # trailing comment\nprofile legacy@6.1\n');
    expect(s).toMatchObject({ description: 'what if', profile: 'legacy@6.1', ops: [] });
  });
  it('pgmap: fsdax, devdax with align, other types, memunmap; hex and size suffixes', () => {
    const s = ok('pgmap pmem0 fsdax 0x40000 +512M\npgmap dax0.0 devdax 0x100000 +2G align 1G\npgmap p2p p2pdma 1048576 +0x1000\nmemunmap pmem0\n');
    expect(s.ops.map(formatOp)).toEqual([
      '{"seq":1,"type":"pgmap.register","pgmap":"pmem0","pgmapType":"fsdax","pfn":262144,"nr":131072,"vmemmapShift":0}',
      '{"seq":2,"type":"pgmap.register","pgmap":"dax0.0","pgmapType":"generic","pfn":1048576,"nr":524288,"vmemmapShift":18}',
      '{"seq":3,"type":"pgmap.register","pgmap":"p2p","pgmapType":"p2pdma","pfn":1048576,"nr":1,"vmemmapShift":0}',
      '{"seq":4,"type":"pgmap.unregister","pgmap":"pmem0"}',
    ]);
  });
  it('mmap (first free 64 GiB slot from 0x7f0000000000, or at ADDR) and faults by file offset at every level', () => {
    expect(ops('A: mmap F 0..4M shared\nA: fault F+8K write\nA: fault F+2M pmd\n')).toEqual([
      `{"seq":1,"type":"dax.fault","mm":"A","vma":${VMA},"address":139637976735744,"file":"F","pgoff":2,"pfn":295938,"level":"pte","write":true,"vmaShared":true,"reflink":false}`,
      `{"seq":2,"type":"dax.fault","mm":"A","vma":${VMA},"address":139637978824704,"file":"F","pgoff":512,"pfn":296448,"level":"pmd","write":false,"vmaShared":true,"reflink":false}`,
    ]);
    const s = ok('process A\npgmap d devdax 0x100000 +2G align 1G\nA: mmap d 1G..2G private at 0x7fc000000000\nA: fault d+1G pud\n');
    expect(s.ops[1]).toMatchObject({ vma: { start: 0x7fc000000000, end: 0x7fc040000000, shared: false, file: 'd', pgoff: 262144 }, pgoff: 262144, pfn: 0x140000, level: 'pud', vmaShared: false });
    // a second mapping of the same process takes the next free slot
    expect(ok(HEAD + 'file G +4M\nA: mmap F 0..4M shared\nA: mmap G 0..4M shared\nA: hole-read G+4K\n').ops[1]).toMatchObject({ type: 'dax.hole_read', vma: { start: 0x7f1000000000 }, address: 0x7f1000001000, pgoff: 1 });
  });
  it('reflink extents, later extents and mappings win, threads A.1, quoted names, Op type aliases', () => {
    const s = ok('process "mm:1"\npgmap pmem0 fsdax 0x40000 +512M\nfile "f/1" 0..8K -> 0x48050 reflink\nfile "f/1" 4K..8K -> 0x48070\n"mm:1": mmap "f/1" 0..8K shared\n"mm:1.2": dax.fault "f/1"+4K\n"mm:1": fault "f/1"\n');
    expect(s.ops[1]).toMatchObject({ mm: 'mm:1', pfn: 0x48070, reflink: false });
    expect(s.ops[2]).toMatchObject({ pfn: 0x48050, reflink: true });
    expect(s.threads).toEqual([null, 'mm:1.2', 'mm:1']);
  });
  it('mkwrite, munmap (whole, a file range, a virtual range), split, cow, fork (the child inherits the mappings), exit', () => {
    expect(ops('A: mmap F 0..4M shared\nA: mkwrite F+4K\nA: munmap F\nA: munmap F 1M..2M\nA: munmap 0x7f0000000000..0x7f0000001000\nA: split F+2M\nA: cow va 0x7f0000003000\nA: fork C\nC.1: cow F+4K\nC: exit\n')).toEqual([
      '{"seq":1,"type":"dax.mkwrite","mm":"A","address":139637976731648,"file":"F","pgoff":1,"pfn":295937}',
      '{"seq":2,"type":"munmap","mm":"A","start":139637976727552,"end":139637980921856}',
      '{"seq":3,"type":"munmap","mm":"A","start":139637977776128,"end":139637978824704}',
      '{"seq":4,"type":"munmap","mm":"A","start":139637976727552,"end":139637976731648}',
      '{"seq":5,"type":"pmd.split","mm":"A","address":139637978824704}',
      '{"seq":6,"type":"cow","mm":"A","address":139637976739840}',
      '{"seq":7,"type":"fork","mm":"A","child":"C"}',
      '{"seq":8,"type":"cow","mm":"C","address":139637976731648}',
      '{"seq":9,"type":"exit","mm":"C"}',
    ]);
  });
  it('get, pin, put, unpin, dio-grab, dio-release by file offset or pfn, with pages, flags and via', () => {
    expect(ops('A: get F+8K fast write\nput 0x48402 via folio_put_refs\nB: pin F 512 pages fast longterm write\nunpin F 512 pages via unpin_user_pages_dirty_lock\nget 0x48400\nA: dio-grab F+4K 2 pages fast write\nA: dio-release F+4K 2 pages\n')).toEqual([
      '{"seq":1,"type":"gup.get","mm":"A","pfn":295938,"nr":1,"fast":true,"write":true}',
      '{"seq":2,"type":"put","pfn":295938,"nr":1,"via":"folio_put_refs"}',
      '{"seq":3,"type":"gup.pin","mm":"B","pfn":295936,"nr":512,"fast":true,"longterm":true,"write":true}',
      '{"seq":4,"type":"unpin","pfn":295936,"nr":512,"via":"unpin_user_pages_dirty_lock"}',
      '{"seq":5,"type":"gup.get","pfn":295936,"nr":1,"fast":false}',
      '{"seq":6,"type":"dio.grab","mm":"A","pfn":295937,"nr":2,"fast":true,"write":true}',
      '{"seq":7,"type":"dio.release","pfn":295937,"nr":2}',
    ]);
  });
  it('truncate, punch, break, evict with ranges and a filesystem; devpriv; raw JSON; line N', () => {
    const s = ok('process A\npgmap dp private 0x100000 +128M\nfile F +1M\ntruncate F\ntruncate F 8K..\npunch F 8K..12K xfs line 7\nbreak F 0..4K ext4\nevict F\ndevpriv-alloc 0x100010 order 9\ndevpriv-free 0x100010\nA: {"type":"exit","mm":"A"}\nraw {"type":"put","pfn":1048592,"nr":1}\n');
    expect(s.ops.slice(1).map(formatOp)).toEqual([
      '{"seq":2,"type":"fs.truncate","file":"F","start":0}',
      '{"seq":3,"type":"fs.truncate","file":"F","start":2}',
      '{"seq":4,"type":"fs.truncate","file":"F","fs":"xfs","start":2,"end":2,"line":7}',
      '{"seq":5,"type":"fs.break_layout","file":"F","fs":"ext4","start":0,"end":0}',
      '{"seq":6,"type":"fs.evict","file":"F","start":0}',
      '{"seq":7,"type":"devpriv.alloc","pfn":1048592,"order":9}',
      '{"seq":8,"type":"devpriv.free","pfn":1048592,"order":0}',
      '{"seq":9,"type":"exit","mm":"A"}',
      '{"seq":10,"type":"put","pfn":1048592,"nr":1}',
    ]);
    expect(s.threads.slice(-2)).toEqual(['A', null]);
  });
  it('expect lines: fields, mapping, findings, waiters, divergences', () => {
    const s = ok(`${HEAD}A: mmap F 0..4M shared\nA: fault F\nexpect legacy: 0x48400 refcount 1\nexpect unified@7.2: F mapcount 1   # by file offset\nexpect legacy: F mapping F\nexpect unified: 0x48400 pincount none\nexpect unified: 0x48400 order 0\nexpect legacy: finding missed-wakeup at F\nexpect legacy: no finding missed-wakeup\nexpect legacy: no findings\nexpect unified: findings 0\nexpect legacy: waiting\nexpect legacy: no waiter\nexpect diff: map-reference at 0x48400\nexpect diff: no busy\nexpect diff: divergences 2\nexpect diff: no divergence\n`);
    expect(s.expects.map((e) => e.text)).toHaveLength(15);
    expect(s.expects[1]).toEqual({ line: 7, text: 'unified@7.2: F mapcount 1', target: 'model', model: 'unified@7.2', check: { kind: 'field', pfn: 0x48400, field: 'mapcount', value: 1 } });
    expect(checkExpectations(s.ops, s.expects).map((r) => r.holds)).toEqual([true, true, true, true, true, false, true, true, true, false, true, true, true, true, false]);
  });
  it('expect A vs B: the diff of a named pair; expect diff: is legacy vs unified', () => {
    // the 6.1 race: a punch waiting through the O_DIRECT completion, which wakes on 6.14 and unified but not on 6.1
    const race = `profile legacy@6.1\n${HEAD}A: mmap F 0..4M shared\nA: fault F write\nA: dio-grab F write\npunch F 0..4K ext4\ndio-release F\n`;
    const s = ok(`${race}expect legacy@6.1 vs unified: wake   # 6.1 misses the wakeup\nexpect diff: no wake\nexpect legacy@6.1 vs unified@7.2: finding at 0x48400\nexpect legacy vs legacy@6.1: wake\n`);
    expect(s.expects[0]).toEqual({ line: 10, text: 'legacy@6.1 vs unified: wake', target: 'diff', models: ['legacy@6.1', 'unified'], check: { kind: 'divergence', cls: 'wake', negate: false } });
    expect(s.expects[1]).toMatchObject({ text: 'diff: no wake', target: 'diff', models: ['legacy', 'unified'] });
    expect(checkExpectations(s.ops, s.expects).map((r) => r.holds)).toEqual([true, true, true, true]);
    expect(issues(`${race}expect legacy@6.1 vs: wake\nexpect diff vs unified: wake\nexpect legacy vs unified@6.1: wake\n`)).toEqual([
      't.dax:10:21 SYNTAX expected the second model of the pair (unified, legacy@6.1), found ":" (expected the second model of the pair (unified, legacy@6.1))',
      't.dax:11:13 SYNTAX expected ":" after the model, found "vs" (expected ":" after the model)',
      expect.stringMatching(/^t\.dax:12:18 BAD_VALUE /),
    ]);
  });
});

describe('.dax positioned errors', () => {
  it('unknown operation', () => {
    expect(issues(`${HEAD}A: fualt F\n`)).toEqual([expect.stringMatching(/^t\.dax:4:4 UNKNOWN_OP unknown operation "fualt" \(expected fault, mkwrite, hole-read, /)]);
  });
  it('bad address: a pfn in no pgmap, a misaligned offset, a hole', () => {
    expect(issues(`${HEAD}put 0x9999\nput F+3K\nfile H +8K\nA: mmap H 0..8K shared\nA: fault H+4K\n`)).toEqual([
      't.dax:4:5 BAD_ADDRESS pfn 0x9999 is in no declared pgmap (expected a pfn inside a pgmap declared above, or a file address F+OFF)',
      't.dax:5:7 BAD_ADDRESS 3K is not 4K aligned (expected a multiple of 4K)',
      't.dax:8:12 BAD_ADDRESS offset 0x1000 of H is a hole (no extent; a read of a hole is hole-read) (expected an offset inside an extent of H)',
    ]);
  });
  it('a huge fault at any page of its block maps the block: pfn of the head, pgoff and address of the page', () => {
    expect(ok(`${HEAD}A: mmap F 0..4M shared\nA: fault F+4K pmd\n`).ops[1]).toMatchObject({ pgoff: 1, address: 0x7f0000001000, pfn: 0x48400, level: 'pmd' });
  });
  it('offset outside the file', () => {
    expect(issues(`${HEAD}A: mmap F 0..8M shared\nA: fault F+4M\n`)).toEqual(['t.dax:5:12 OUT_OF_FILE offset 0x400000 is outside file F (size 4M) (expected an offset below 4M)']);
  });
  it('undeclared process, file, mapping; an mm Op without a thread', () => {
    expect(issues(`${HEAD}C: fault F\nA: fault G\nA: fault F\nfault F\n`)).toEqual([
      't.dax:4:1 UNDECLARED process C is not declared (expected a "process C" line above (threads are P or P.n of a declared process P))',
      't.dax:5:10 UNDECLARED file G is not declared (expected a "file G …" line above (or a devdax pgmap of that name))',
      't.dax:6:10 UNDECLARED process A has no mapping of F at offset 0x0 (expected an "A: mmap F …" line above covering it)',
      't.dax:7:1 UNDECLARED fault runs in a process: write "A: fault …" (expected a thread prefix "A:" naming a declared process)',
    ]);
  });
  it('a pgmap running past pfn 2^52 is BAD_VALUE at its size', () => {
    expect(issues('pgmap pmem0 fsdax 0xfffffffffff00 +2M\n')).toEqual([
      't.dax:1:36 BAD_VALUE the 2M range from pfn 0xfffffffffff00 runs past pfn 2^52 (expected a range ending at or below pfn 2^52 (a pfn fits in 52 bits))',
    ]);
    expect(ok('pgmap pmem0 fsdax 0xffffffffffe00 +2M\n').ops[0]).toMatchObject({ type: 'pgmap.register', pfn: 0xffffffffffe00, nr: 512 });
  });
  it('syntax and values: a missing arrow, a bad number, an unterminated string, an unknown flag, profile and via', () => {
    expect(issues('file F 0..4K 0x48400\nfile F 0..4Q\nscenario "open\nprofile legacy@9.9.9x\n')).toEqual([
      expect.stringMatching(/^t\.dax:1:14 SYNTAX expected "->" and the first pfn of the extent, found "0x48400"/),
      expect.stringMatching(/^t\.dax:2:11 SYNTAX bad number "4Q"/),
      't.dax:3:10 SYNTAX unterminated string (expected a closing ")',
      expect.stringMatching(/^t\.dax:4:9 BAD_VALUE /),
    ]);
    expect(issues(`${HEAD}put F via put_folio\nA: get F slow\n`)).toEqual([
      't.dax:4:11 BAD_VALUE put cannot go via "put_folio" (expected one of put_page, folio_put_refs, bio_release)',
      't.dax:5:10 BAD_VALUE "slow" is not an option of gup.get (expected N pages, fast, write)',
    ]);
  });
});

describe('round trips', () => {
  const cases = listCases('replays');
  it.each(cases)('replays/%s: .dax → JSONL → .dax → JSONL is byte-identical, and ops.jsonl is generated from it', (name) => {
    const s = ok(readFileSync(`replays/${name}/scenario.dax`, 'utf8'));
    const header = { kind: 'ops' as const, profile: s.profile, ...(s.description !== undefined ? { description: s.description } : {}) };
    const jsonl1 = formatJsonl(header, s.ops);
    const s2 = ok(toDax(s.ops, { ...header, threads: s.threads }));
    expect(formatJsonl(header, s2.ops)).toBe(jsonl1);
    expect(s2.description).toBe(s.description);
    // `npm run scenarios:jsonl` writes ops.jsonl with `dax-refsim ops`
    expect(readFileSync(`replays/${name}/ops.jsonl`, 'utf8')).toBe(jsonl1);
  });
  it.each(['k61-ext4-daxwork', 'k612-devdax-devdaxwork', 'k72-ext4-daxshare', 'k73-ext4-daxwork'])('events/traces/%s: JSONL → .dax → JSONL is byte-identical, no raw line', async (name) => {
    const t = await liftForDiff(`events/traces/${name}.trace.txt`);
    const dax = toDax(t.ops);
    expect(dax).not.toContain('{"type"');
    expect(ok(dax).ops.map(formatOp)).toEqual(t.ops.map(formatOp));
  });
  it('a lifted 6.1 trace: JSONL → .dax → JSONL is byte-identical (quoted names, growing mappings, trace lines)', async () => {
    const t = await liftForDiff('events/traces/k61-ext4-daxrace.trace.txt');
    const dax = toDax(t.ops);
    expect(dax).toContain('"mm:368": dio-grab "259:0/0xc"+8K fast write line 165\npunch "259:0/0xc" 8K..12K ext4 line 172\n');
    expect(ok(dax).ops.map(formatOp)).toEqual(t.ops.map(formatOp));
  });
  it('an Op no keyword spells (p2p.alloc_mmap) is written as raw JSON and reads back', () => {
    const op = { seq: 1, type: 'p2p.alloc_mmap', mm: 'A', vma: { start: 4096, end: 12288, shared: true }, address: 4096, pfn: 5, nr: 2 } as const;
    const dax = toDax([op]);
    expect(dax).toBe('process A\nA: {"type":"p2p.alloc_mmap","mm":"A","vma":{"start":4096,"end":12288,"shared":true},"address":4096,"pfn":5,"nr":2}\n');
    expect(ok(dax).ops.map(formatOp)).toEqual([formatOp(op)]);
  });
});
