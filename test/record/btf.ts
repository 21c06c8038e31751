/**
 * A small vmlinux BTF blob (the format of /sys/kernel/btf/vmlinux: header, type
 * section, string section) with struct page, folio and dev_pagemap laid out as the
 * recorder's BTF walk must find them: fields inside nested anonymous unions and
 * structs, records of other kinds before and after (an enum, a function prototype, an
 * array, a bitfield member), so that the walk's record lengths are exercised.
 */

const BTF_KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FUNC_PROTO: 13 } as const;

/** Offsets (bytes) of the fake layout: those of 7.2/7.3 (events/traces/k73-ext4-daxwork.md) unless given. */
export interface FakeLayout {
  readonly structPage: number;
  readonly mapcount: number;
  readonly refcount: number;
  readonly flags1: number;
  readonly large: number;
  readonly entire: number;
  readonly pincount: number;
  readonly pgmapType: number;
  readonly pgmapShift: number;
  readonly pgmapNrRange: number;
  readonly pgmapRange: number;
}

export const LAYOUT_72: FakeLayout = {
  structPage: 64, mapcount: 48, refcount: 52, flags1: 64, large: 80, entire: 88, pincount: 92,
  pgmapType: 96, pgmapShift: 104, pgmapNrRange: 128, pgmapRange: 136,
};

/** Builds the blob. */
export function fakeBtf(l: FakeLayout = LAYOUT_72): Buffer {
  const strings: string[] = [''];
  const offsets = new Map<string, number>([['', 0]]);
  let strLen = 1;
  const str = (s: string): number => {
    const known = offsets.get(s);
    if (known !== undefined) return known;
    offsets.set(s, strLen);
    strings.push(s);
    strLen += Buffer.byteLength(s) + 1;
    return offsets.get(s)!;
  };
  const words: number[] = [];
  let id = 0;
  const type = (name: string, kind: number, vlen: number, sizeOrType: number, extra: number[], kindFlag = false): number => {
    words.push(str(name), ((kindFlag ? 1 : 0) << 31 >>> 0) + (kind << 24) + vlen, sizeOrType, ...extra);
    return ++id;
  };
  // members: [name, type id, byte offset]
  const members = (ms: [string, number, number][]): number[] => ms.flatMap(([n, t, o]) => [str(n), t, o * 8]);
  const int = type('int', BTF_KIND.INT, 0, 4, [32]);
  type('pgmap_type_enum', BTF_KIND.ENUM, 2, 4, [str('MEMORY_DEVICE_PRIVATE'), 1, str('MEMORY_DEVICE_FS_DAX'), 3]);
  type('', BTF_KIND.FUNC_PROTO, 2, int, [str('a'), int, str('b'), int]);
  type('', BTF_KIND.ARRAY, 0, 0, [int, int, 16]);
  // ids are assigned in order: page's anonymous unions come right after it
  const page = id + 1;
  type('page', BTF_KIND.STRUCT, 4, l.structPage, members([['flags', int, 0], ['', page + 1, 8], ['', page + 2, l.mapcount], ['_refcount', int, l.refcount]]));
  type('', BTF_KIND.UNION, 2, 40, members([['compound_head', int, 0], ['pgmap', int, 0]]));
  type('', BTF_KIND.UNION, 2, 4, members([['page_type', int, 0], ['_mapcount', int, 0]]));
  const folio = id + 1;
  type('folio', BTF_KIND.STRUCT, 2, 4 * l.structPage, members([['', folio + 1, 0], ['', folio + 2, l.structPage]]));
  type('', BTF_KIND.UNION, 2, l.structPage, members([['', folio + 3, 0], ['page', page, 0]]));
  type('', BTF_KIND.UNION, 2, l.structPage, members([['', folio + 4, 0], ['__page_1', page, 0]]));
  type('', BTF_KIND.STRUCT, 1, 8, members([['flags', int, 0]]));
  type('', BTF_KIND.STRUCT, 4, l.structPage, members([
    ['_flags_1', int, l.flags1 - l.structPage], ['_large_mapcount', int, l.large - l.structPage],
    ['_entire_mapcount', int, l.entire - l.structPage], ['_pincount', int, l.pincount - l.structPage],
  ]));
  const pgmap = id + 1;
  type('dev_pagemap', BTF_KIND.STRUCT, 4, l.pgmapRange + 16, members([
    ['type', int, l.pgmapType], ['vmemmap_shift', int, l.pgmapShift], ['nr_range', int, l.pgmapNrRange], ['', pgmap + 1, l.pgmapRange],
  ]));
  type('', BTF_KIND.UNION, 2, 16, members([['range', int, 0], ['ranges', int, 0]]));
  // a bitfield member (kind_flag: bitfield size in the top byte) and more types after
  type('bits', BTF_KIND.STRUCT, 1, 4, [str('x'), int, (3 << 24) + 5], true);
  type('', BTF_KIND.PTR, 0, page, []);
  const typeSec = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => typeSec.writeUInt32LE(w >>> 0, i * 4));
  const strSec = Buffer.from(`${strings.join('\0')}\0`, 'utf8');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt8(0, 3);
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(typeSec.length, 12);
  hdr.writeUInt32LE(typeSec.length, 16);
  hdr.writeUInt32LE(strSec.length, 20);
  return Buffer.concat([hdr, typeSec, strSec]);
}
