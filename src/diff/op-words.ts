/**
 * What an Op did, in the words a kernel reader uses ("PTE read fault of F at pgoff 1",
 * "hole punch of inode 0xc on 259:0, offset 8192"), with its trace line when it was
 * lifted from a recording. Internal sequence numbers are the diff's row keys; the
 * sentences name the Op by what it did.
 */
import { hex, PAGE_SHIFT } from '../kernel/constants.ts';
import type { Op } from '../events/op.ts';
import { fileWords } from '../events/file-words.ts';

export { fileWords };


function pages(n: number): string {
  return n === 1 ? '1 page' : `${n} pages`;
}

function bytes(pgoff: number): number {
  return pgoff * 2 ** PAGE_SHIFT;
}

/** What the Op did, without its line. */
export function opWords(op: Op): string {
  switch (op.type) {
    case 'pgmap.register':
      return `memremap_pages() of ${op.pgmap} (${op.pgmapType}, ${op.nr} pages from pfn ${hex(op.pfn)})`;
    case 'pgmap.unregister':
      return `memunmap_pages() of ${op.pgmap}`;
    case 'dax.fault':
      return `${op.level.toUpperCase()} ${op.write ? 'write' : 'read'} fault of ${fileWords(op.file)} at pgoff ${op.pgoff} (pfn ${hex(op.pfn)}${op.reflink ? ', shared extent' : ''})`;
    case 'dax.mkwrite':
      return `write upgrade of ${fileWords(op.file)} pgoff ${op.pgoff} (pfn ${hex(op.pfn)})`;
    case 'dax.hole_read':
      return `read fault on a hole of ${fileWords(op.file)} at pgoff ${op.pgoff}`;
    case 'munmap':
      return `munmap of ${(op.end - op.start) / 1024} KiB at ${hex(op.start)} in mm ${op.mm}`;
    case 'mremap':
      return `mremap of ${hex(op.start)}..${hex(op.end)} to ${hex(op.newStart)}..${hex(op.newEnd)} in mm ${op.mm}`;
    case 'madvise':
      return `madvise(MADV_DONTNEED) of ${(op.end - op.start) / 1024} KiB at ${hex(op.start)} in mm ${op.mm}`;
    case 'mprotect':
      return `mprotect(${op.write ? 'PROT_READ|PROT_WRITE' : 'PROT_READ'}) of ${(op.end - op.start) / 1024} KiB at ${hex(op.start)} in mm ${op.mm}`;
    case 'pmd.split':
      return `PMD split at ${hex(op.address)} in mm ${op.mm}`;
    case 'fork':
      return `fork of mm ${op.mm} (child ${op.child})`;
    case 'exit':
      return `exit_mmap of mm ${op.mm}`;
    case 'gup.get':
      return `${op.fast ? 'GUP-fast' : 'GUP'} FOLL_GET of ${pages(op.nr)} at pfn ${hex(op.pfn)}`;
    case 'gup.pin':
      return `${op.fast ? 'GUP-fast' : 'GUP'} FOLL_PIN${op.longterm ? '|FOLL_LONGTERM' : ''} of ${pages(op.nr)} at pfn ${hex(op.pfn)}`;
    case 'put':
      return `${op.via === 'bio_release' ? 'O_DIRECT bio release' : op.via ?? 'put_page'} of ${op.nr === 1 ? '1 reference' : `${op.nr} references`} on pfn ${hex(op.pfn)}`;
    case 'unpin':
      return `${op.via ?? 'unpin_user_pages'} of ${pages(op.nr)} at pfn ${hex(op.pfn)}`;
    case 'dio.grab':
      return `O_DIRECT submission of ${pages(op.nr)} at pfn ${hex(op.pfn)}`;
    case 'dio.release':
      return `O_DIRECT completion of ${pages(op.nr)} at pfn ${hex(op.pfn)}`;
    case 'cow':
      return `CoW write fault at ${hex(op.address)} in mm ${op.mm}`;
    case 'fs.break_layout':
      return `layout break of ${fileWords(op.file)}${rangeWords(op.start, op.end)}`;
    case 'fs.truncate':
      // truncate always runs to EOF; a range with an end is a hole punch
      return op.end === undefined
        ? `truncate of ${fileWords(op.file)} to ${bytes(op.start)} bytes`
        : `hole punch of ${fileWords(op.file)}, offset ${bytes(op.start)}, ${bytes(op.end - op.start + 1)} bytes`;
    case 'fs.evict':
      return `eviction of ${fileWords(op.file)}`;
    case 'devpriv.alloc':
      return `device-private allocation of pfn ${hex(op.pfn)} (order ${op.order})`;
    case 'devpriv.free':
      return `device-private free of pfn ${hex(op.pfn)} (order ${op.order})`;
    case 'p2p.alloc_mmap':
      return `p2pmem_alloc_mmap of ${pages(op.nr)} at pfn ${hex(op.pfn)}`;
  }
}

function rangeWords(start: number, end: number | undefined): string {
  if (start === 0 && end === undefined) return '';
  return end === undefined ? ` from pgoff ${start}` : ` pgoff ${start}–${end}`;
}

/** `#4 PTE read fault of F at pgoff 1 (…)` plus `, trace line N` for a lifted Op. */
export function opName(op: Op): string {
  return `#${op.seq} ${opWords(op)}${op.line !== undefined ? `, trace line ${op.line}` : ''}`;
}
