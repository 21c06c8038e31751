/**
 * The initramfs of one boot: busybox, the guest /init, the recorder, the workloads,
 * the kernel's modules for pmem, device-dax, ext4 and xfs (decompressed, in
 * dependency order, with a modules.dep from the host's depmod), the kernel config
 * at /boot (the recorder reads it), and the host's mke2fs, mkfs.xfs, ndctl and daxctl
 * with their shared libraries.
 */
import { chmodSync, copyFileSync, symlinkSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { run, runBytes, runOk } from './proc.ts';

/**
 * Modules the guest needs; their dependencies come from modinfo. Built-in or absent
 * ones are skipped. The crc32c crypto driver comes first: libcrc32c (xfs) and ext4's
 * metadata_csum ask the crypto API for "crc32c" (a softdep, which modinfo's depends
 * does not list); without it xfs does not load and an ext4 mount fails with ENOENT
 * (6.1, 6.12). 7.x provides it as crc32c-cryptoapi. virtio_pci comes before
 * virtio_blk: Debian 6.1 builds it as a module (CONFIG_VIRTIO_PCI=m), and without the
 * PCI transport virtio_blk binds to nothing, /dev/vda (the O_DIRECT slow device of
 * fsdax-race) never appears and the race phases are skipped (no_slowdev). modinfo
 * adds its virtio_pci_modern_dev / virtio_pci_legacy_dev dependencies.
 */
export const WANTED_MODULES = ['crc32c_generic', 'crc32c_cryptoapi', 'nd_e820', 'nd_pmem', 'dax_pmem', 'device_dax', 'ext4', 'xfs', 'brd', 'virtio_pci', 'virtio_blk'] as const;

/** Host tools copied with their libraries: [path on the host, path in the image]. */
const HOST_TOOLS: readonly (readonly [string, string])[] = [
  ['/sbin/mke2fs', '/usr/sbin/mke2fs'],
  ['/sbin/mkfs.xfs', '/usr/sbin/mkfs.xfs'],
  ['/usr/bin/ndctl', '/usr/bin/ndctl'],
  ['/usr/bin/daxctl', '/usr/bin/daxctl'],
];

/** The module file name without its compression suffix, and its module name (`-` read as `_`). */
export function moduleName(file: string): string {
  return basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');
}

/**
 * Orders modules so each comes after its dependencies (depth-first, as modprobe
 * loads them). `deps` maps a module name to its `depends` names; a name missing
 * from `files` is built in (or absent) and skipped.
 */
export function moduleLoadOrder(wanted: readonly string[], files: ReadonlyMap<string, string>, deps: (name: string) => readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    if (!files.has(name)) return;
    for (const d of deps(name)) visit(d);
    order.push(name);
  };
  for (const w of wanted) visit(w);
  return order;
}

function walk(dir: string, out: Map<string, string>): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.ko(\.xz|\.zst|\.gz)?$/.test(e.name)) out.set(moduleName(e.name), p);
  }
}

/** Shell assignment with the value single-quoted. */
export function shellAssign(name: string, value: string): string {
  return `${name}='${value.replace(/'/g, `'\\''`)}'\n`;
}

export interface ImageSpec {
  out: string;
  stage: string;
  release: string;
  modulesDir: string | null;
  config: string;
  recorder: string;
  initScript: string;
  workloads: ReadonlyMap<string, string>;
  plan: string;
  env: Readonly<Record<string, string>>;
}

function copyWithLibs(stage: string, hostPath: string, imagePath: string): void {
  const dst = join(stage, imagePath);
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(hostPath, dst);
  chmodSync(dst, 0o755);
  const ldd = run('ldd', [hostPath]).stdout;
  for (const m of ldd.matchAll(/(\/\S+)/g)) {
    const lib = m[1]!;
    const to = join(stage, lib);
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(lib, to);
  }
}

/** Builds the image; returns the modules it holds, in load order. */
export function buildInitramfs(spec: ImageSpec): string[] {
  const { stage } = spec;
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'mnt', 'etc', 'boot', 'vmtest', 'w']) mkdirSync(join(stage, d), { recursive: true });
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (busybox === undefined || !/statically linked|not a dynamic/.test(run('ldd', [busybox]).stdout + run('ldd', [busybox]).stderr)) {
    throw new Error('a static busybox is needed (Debian package busybox-static)');
  }
  copyFileSync(busybox, join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  symlinkSync('busybox', join(stage, 'bin/sh'));
  copyFileSync(spec.initScript, join(stage, 'init'));
  chmodSync(join(stage, 'init'), 0o755);
  copyFileSync(spec.recorder, join(stage, 'vmtest/record.sh'));
  chmodSync(join(stage, 'vmtest/record.sh'), 0o755);
  // the guest copies it to /boot/config-$(uname -r), where the recorder looks
  copyFileSync(spec.config, join(stage, 'vmtest/config'));
  for (const [name, bin] of spec.workloads) {
    copyFileSync(bin, join(stage, 'w', name));
    chmodSync(join(stage, 'w', name), 0o755);
  }
  for (const [host, image] of HOST_TOOLS) {
    const p = existsSync(host) ? host : host.replace(/^\/sbin/, '/usr/sbin');
    if (!existsSync(p)) throw new Error(`${host} is needed in the guest (Debian packages e2fsprogs, xfsprogs, ndctl, daxctl)`);
    copyWithLibs(stage, p, image);
  }
  if (existsSync('/etc/mke2fs.conf')) copyFileSync('/etc/mke2fs.conf', join(stage, 'etc/mke2fs.conf'));
  writeFileSync(join(stage, 'vmtest/plan'), spec.plan);
  writeFileSync(join(stage, 'vmtest/env'), Object.entries(spec.env).map(([k, v]) => shellAssign(k, v)).join(''));

  let order: string[] = [];
  if (spec.modulesDir !== null) {
    const files = new Map<string, string>();
    walk(join(spec.modulesDir, 'kernel'), files);
    const depCache = new Map<string, string[]>();
    const deps = (name: string): string[] => {
      let d = depCache.get(name);
      if (d === undefined) {
        d = runOk('modinfo', ['-F', 'depends', files.get(name)!]).trim().split(',').filter((x) => x !== '').map((x) => x.replace(/-/g, '_'));
        depCache.set(name, d);
      }
      return d;
    };
    order = moduleLoadOrder(WANTED_MODULES, files, deps);
    const mdir = join(stage, 'lib/modules', spec.release);
    mkdirSync(mdir, { recursive: true });
    const loaded: string[] = [];
    for (const name of order) {
      const src = files.get(name)!;
      const plain = basename(src).replace(/\.(xz|zst|gz)$/, '');
      const dst = join(mdir, plain);
      if (src.endsWith('.xz')) writeFileSync(dst, runBytes('xz', ['-dc', src]));
      else if (src.endsWith('.zst')) writeFileSync(dst, runBytes('zstd', ['-qdc', src]));
      else if (src.endsWith('.gz')) writeFileSync(dst, runBytes('gzip', ['-dc', src]));
      else copyFileSync(src, dst);
      loaded.push(plain);
    }
    for (const f of ['modules.builtin', 'modules.builtin.modinfo', 'modules.order']) {
      if (existsSync(join(spec.modulesDir, f))) copyFileSync(join(spec.modulesDir, f), join(mdir, f));
    }
    runOk('depmod', ['-b', stage, spec.release]);
    writeFileSync(join(stage, 'vmtest/modules'), loaded.join('\n') + '\n');
  } else {
    writeFileSync(join(stage, 'vmtest/modules'), '');
  }
  runOk('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet | gzip -1 > "$2"', 'sh', stage, spec.out]);
  return order;
}

/** The text of a file, or null. */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
