/** The `# vmemmap:` header line: parsed into the header, and a layout check cannot read refused. */
import { describe, expect, it } from 'vitest';
import { headerLayout } from '../../src/check/profile-pick.ts';
import { parseTraceText } from '../../src/trace/read-trace.ts';

const BEGIN = 'KTRACE-BEGIN kernel=6.12.117+deb13-amd64 fs=ext4\n';

describe('# vmemmap:', () => {
  it('gives the base, where it came from and the BTF layout, which outranks the version table', () => {
    const t = parseTraceText(`${BEGIN}# vmemmap: base=0xffb9145040000000 base_from=kprobe layout_from=btf struct_page=64 refcount=52 mapcount=48 word1=8 order=64 large=80 entire=84 pincount=92 pgmap_type=104\nKTRACE-END\n`, 't');
    expect(t.issues).toEqual([]);
    expect(t.header.vmemmap).toEqual({
      line: 2, base: 0xffb9145040000000n, baseFrom: 'kprobe', structPage: 64, layoutFrom: 'btf',
      offsets: { refcount: 52, mapcount: 48, word1: 8, order: 64, large: 80, entire: 84, pincount: 92, pgmap_type: 104 },
    });
    expect(headerLayout(t.header)).toEqual({ name: 'BTF of 6.12.117+deb13-amd64', word1: 8, mapcount: 48, refcount: 52, order: 64, entire: 84, large: 80, pincount: 92 });
  });

  it('an absent field (-1) is null; a default layout is not taken as the kernel\'s own', () => {
    const t = parseTraceText(`${BEGIN}# vmemmap: base=0xffffea0000000000 base_from=default layout_from=default-6.1 struct_page=64 refcount=52 mapcount=48 word1=8 order=81 large=-1 entire=84 pincount=88\n`, 't');
    expect(t.header.vmemmap?.offsets['large']).toBeNull();
    expect(headerLayout(t.header)).toBeNull();
  });

  it('refuses a struct page size check cannot place pages with, at its column', () => {
    const line = '# vmemmap: base=0xffffea0000000000 base_from=default layout_from=btf struct_page=56 refcount=52';
    const t = parseTraceText(`${BEGIN}${line}\nKTRACE-END\n`, 'k61dbg.txt');
    expect(t.issues.map((i) => [i.severity, i.line, i.column, i.message])).toEqual([
      ['error', 2, line.indexOf('struct_page=') + 1, "struct_page=56: dax-refsim reads struct page pointers as 64-byte entries and cannot place this kernel's pages"],
    ]);
  });

  it('reports a malformed token and keeps the rest', () => {
    const line = '# vmemmap: base=ffffea refcount=52 junk';
    const t = parseTraceText(`${BEGIN}${line}\nKTRACE-END\n`, 't');
    expect(t.issues.map((i) => [i.code, i.column, i.message])).toEqual([
      ['BAD_HEADER', line.indexOf('base=') + 1, 'base=ffffea: expected a hex address (0xffffea0000000000)'],
      ['BAD_HEADER', line.indexOf('junk') + 1, "expected KEY=VALUE, got 'junk'"],
    ]);
    expect(t.header.vmemmap?.base).toBeNull();
    expect(t.header.vmemmap?.offsets).toEqual({ refcount: 52 });
  });
});
