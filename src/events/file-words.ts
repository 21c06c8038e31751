/**
 * A file as the lifter names it, in words: `259:0/0xc` (device 259:0, inode 0xc, as
 * fs_dax tracepoints print them) is "inode 0xc on 259:0"; a scenario's name stays as it
 * is.
 */
export function fileWords(file: string): string {
  const m = /^(\d+:\d+)\/(0x[0-9a-f]+)$/.exec(file);
  return m ? `inode ${m[2]} on ${m[1]}` : file;
}
