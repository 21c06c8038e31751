/**
 * The page_ref tier's kernel build script (vmtest/kernels/pageref): the parts
 * that decide something without downloading or building a kernel. The
 * functions live in lib.sh so each can be called on its own from bash.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const dir = resolve('vmtest/kernels/pageref');
const lib = join(dir, 'lib.sh');
const fragment = join(dir, 'dax-trace.config');

interface Run { status: number | null; stdout: string; stderr: string }

/** Run `source lib.sh; <script>` in bash with extra environment. */
function sh(script: string, env: Record<string, string> = {}): Run {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; . "$LIB"; ${script}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home', LIB: lib, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp = '';
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dax-refsim-pageref-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const p = join(tmp, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

describe('pr_fragment_options', () => {
  it('lists the committed fragment: every option the page_ref tier needs, built in', () => {
    const r = sh(`pr_fragment_options "${fragment}"`);
    expect(r.status).toBe(0);
    const opts = new Map(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    for (const name of ['64BIT', 'PRINTK', 'TTY', 'SERIAL_8250_CONSOLE', 'BLK_DEV_INITRD', 'RD_GZIP', 'DEVTMPFS',
      'PROC_FS', 'SYSFS', 'FTRACE', 'KPROBES', 'KPROBE_EVENTS', 'DYNAMIC_FTRACE', 'DEBUG_PAGE_REF', 'ZONE_DEVICE',
      'MEMORY_HOTPLUG', 'SPARSEMEM_VMEMMAP', 'TRANSPARENT_HUGEPAGE', 'FS_DAX', 'FS_DAX_PMD', 'LIBNVDIMM',
      'BLK_DEV_PMEM', 'X86_PMEM_LEGACY', 'DEV_DAX', 'DEV_DAX_PMEM', 'EXT4_FS', 'XFS_FS', 'BLK_DEV_RAM',
      'VIRTIO_BLK', 'VIRTIO_PCI', 'IO_URING', 'FUTEX', 'SHMEM', 'MULTIUSER', 'SLUB']) {
      expect(opts.get(name), name).toBe('y');
    }
    expect(opts.get('NR_CPUS')).toBe('4');
    // nothing as a module: the guest has no module tree
    expect([...opts.values()].filter((v) => v === 'm')).toEqual([]);
  });

  it('gives "n" for "is not set", lets a later line win, and keeps first-seen order', () => {
    const f = write('f.config', '# a comment\n\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_A=n\n');
    const r = sh(`pr_fragment_options "${f}"`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('A n\nB n\nC "x y"\n');
  });

  it('rejects a line that is no option, naming file:line:column, exit 2', () => {
    const f = write('bad.config', 'CONFIG_A=y\nDEBUG_PAGE_REF=y\n');
    const r = sh(`pr_fragment_options "${f}"`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${f}:2:1: expected CONFIG_NAME=value, '# CONFIG_NAME is not set', a comment or a blank line, got: DEBUG_PAGE_REF=y\n`);
  });

  it('rejects an empty value', () => {
    const f = write('empty.config', 'CONFIG_A=\n');
    const r = sh(`pr_fragment_options "${f}"`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${f}:1:1: expected a value after CONFIG_A=\n`);
  });

  it('reads the optional-symbol lines', () => {
    expect(sh(`pr_fragment_optional "${fragment}"`).stdout).toBe('SLUB\nPROC_SYSCTL\n');
  });
});

describe('pr_verify_config', () => {
  const frag = '# optional-symbol: GONE removed upstream\nCONFIG_A=y\nCONFIG_N=4\n# CONFIG_OFF is not set\nCONFIG_GONE=y\n';

  it('passes silently when every option kept its value', () => {
    const f = write('f.config', frag);
    const c = write('.config', 'CONFIG_A=y\nCONFIG_N=4\n# CONFIG_OFF is not set\nCONFIG_GONE=y\nCONFIG_OTHER=y\n');
    const r = sh(`pr_verify_config "${f}" "${c}"`);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('names each option olddefconfig dropped or changed, exit 1', () => {
    const f = write('f.config', frag);
    const c = write('.config', '# CONFIG_A is not set\nCONFIG_N=8\nCONFIG_OFF=y\nCONFIG_GONE=y\n');
    const r = sh(`pr_verify_config "${f}" "${c}"`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('CONFIG_A: wanted y, got not set\nCONFIG_N: wanted 4, got 8\nCONFIG_OFF: wanted n, got y\n');
  });

  it('with a kernel tree: an optional symbol the tree does not define is a note, any other is a failure', () => {
    const f = write('f.config', `${frag}CONFIG_TYPO=y\n`);
    const c = write('.config', 'CONFIG_A=y\nCONFIG_N=4\n');
    const tree = join(tmp, 'linux');
    write('linux/Kconfig', 'config A\n\tbool "a"\nmenuconfig N\n\tint "n"\n');
    write('linux/mm/Kconfig', 'config OFF\n\tbool "off"\n');
    const r = sh(`pr_verify_config "${f}" "${c}" "${tree}"`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("CONFIG_TYPO: wanted y, got not set (this kernel's Kconfig does not define it)\n");
    expect(r.stderr).toBe('note: CONFIG_GONE is not defined by this kernel (optional in the fragment)\n');
  });

  it('an optional symbol the tree does define must still keep its value', () => {
    const f = write('f.config', frag);
    const c = write('.config', 'CONFIG_A=y\nCONFIG_N=4\n');
    const tree = join(tmp, 'linux');
    write('linux/Kconfig', 'config A\nconfig N\nconfig OFF\nconfig GONE\n');
    const r = sh(`pr_verify_config "${f}" "${c}" "${tree}"`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('CONFIG_GONE: wanted y, got not set\n');
  });
});

describe('cache layout', () => {
  it('lives under $XDG_CACHE_HOME/dax-refsim/kernels, one pageref-<Debian version> directory per build', () => {
    const r = sh('pr_kernel_dir 6.12.118-1~deb12u1; pr_kernel_dir 1:7.3.4-1~bpo13+1', { XDG_CACHE_HOME: tmp });
    expect(r.stdout).toBe(`${tmp}/dax-refsim/kernels/pageref-6.12.118-1_deb12u1\n${tmp}/dax-refsim/kernels/pageref-1_7.3.4-1_bpo13+1\n`);
  });

  it('falls back to ~/.cache without XDG_CACHE_HOME', () => {
    expect(sh('pr_cache_root', { HOME: tmp }).stdout).toBe(`${tmp}/.cache/dax-refsim/kernels\n`);
  });

  it('counts a directory as built only with bzImage, .config and a complete version file from the same fragment', () => {
    const k = join(tmp, 'k');
    const built = (sha = '') => sh(`pr_is_built "${k}" ${sha ? `"${sha}"` : ''}`).status;
    mkdirSync(k);
    expect(built()).toBe(1);
    write('k/bzImage', 'kernel');
    write('k/.config', 'CONFIG_A=y\n');
    expect(built()).toBe(1);
    write('k/version', 'package=linux-source-6.12\nkernelrelease=\n');
    expect(built()).toBe(1);
    write('k/version', 'package=linux-source-6.12\nkernelrelease=6.12.118\nfragment_sha256=abc\n');
    expect(built()).toBe(0);
    expect(built('abc')).toBe(0);
    expect(built('def')).toBe(1);
  });
});

describe('build.sh with the kernel in the cache', () => {
  function seed(version: string): string {
    const sha = spawnSync('sha256sum', [fragment], { encoding: 'utf8' }).stdout.split(' ')[0];
    const k = join(tmp, 'dax-refsim/kernels', `pageref-${version.replace('~', '_')}`);
    mkdirSync(k, { recursive: true });
    writeFileSync(join(k, 'bzImage'), 'kernel');
    writeFileSync(join(k, '.config'), 'CONFIG_DEBUG_PAGE_REF=y\n');
    writeFileSync(join(k, 'version'), `package=linux-source-6.12\ndebian_version=${version}\nkernelrelease=6.12.118\nfragment_sha256=${sha}\n`);
    return k;
  }
  const run = (args: string[], env: Record<string, string>) => spawnSync(join(dir, 'build.sh'), args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home', XDG_CACHE_HOME: tmp, ...env },
  });

  it('a second run does nothing and says so, touching neither apt nor the cache', () => {
    const k = seed('6.12.118-1~deb12u1');
    const before = readdirSync(join(tmp, 'dax-refsim/kernels')).sort();

    // apt stubs first on PATH that record any call: the run must not ask apt anything
    const stubs = join(tmp, 'stubs');
    for (const tool of ['apt-get', 'apt-cache']) {
      write(`stubs/${tool}`, `#!/bin/sh\necho ${tool} >> "${tmp}/apt-called"\nexit 99\n`);
      spawnSync('chmod', ['+x', join(stubs, tool)]);
    }
    const r = run(['6.12'], { DAX_REFSIM_PAGEREF_DEBVER: '6.12.118-1~deb12u1', PATH: `${stubs}:${process.env.PATH ?? '/usr/bin:/bin'}` });
    expect(r.status).toBe(0);
    expect(existsSync(join(tmp, 'apt-called'))).toBe(false);
    expect(r.stdout).toBe(`already built: linux-source-6.12 6.12.118-1~deb12u1 in ${k} (6.12.118); nothing to do\n`);
    expect(readdirSync(join(tmp, 'dax-refsim/kernels')).sort()).toEqual(before);
    expect(readFileSync(join(k, 'bzImage'), 'utf8')).toBe('kernel');
  });

  it('--print-dir prints the directory and whether it is built', () => {
    const k = seed('6.12.118-1~deb12u1');
    const r = run(['--print-dir', '6.12'], { DAX_REFSIM_PAGEREF_DEBVER: '6.12.118-1~deb12u1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${k}\n`);
    expect(r.stderr).toBe('built\n');
    const r2 = run(['--print-dir', '6.1'], { DAX_REFSIM_PAGEREF_DEBVER: '6.1.192-3' });
    expect(r2.stdout).toBe(`${tmp}/dax-refsim/kernels/pageref-6.1.192-3\n`);
    expect(r2.stderr).toBe('not built\n');
  });

  it('rejects a malformed series with exit 2 before doing anything', () => {
    const r = run(['6.x'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('build.sh: expected a series like 6.12 or "newest", got \'6.x\'\n');
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('private apt view', () => {
  it('confines apt to its own directory: sources, lists, cache, state, empty dpkg status, no host parts', () => {
    const r = sh('pr_apt_args /c/apt');
    expect(r.stdout.trim().split('\n')).toEqual([
      '-o', 'Dir::Etc::SourceList=/c/apt/sources.list',
      '-o', 'Dir::Etc::SourceParts=/c/apt/sources.list.d',
      '-o', 'Dir::Etc::Preferences=/c/apt/preferences',
      '-o', 'Dir::Etc::PreferencesParts=/c/apt/preferences.d',
      '-o', 'Dir::State=/c/apt/state',
      '-o', 'Dir::State::Lists=/c/apt/lists',
      '-o', 'Dir::State::status=/dev/null',
      '-o', 'Dir::Cache=/c/apt/cache',
      '-o', 'Acquire::Languages=none',
      '-o', 'APT::Sandbox::User=root',
    ]);
  });

  it('writes one signed source line per suite, and only inside its directory', () => {
    const d = join(tmp, 'apt');
    const r = sh(`pr_apt_setup "${d}" "$M" trixie-backports sid`, { M: 'http://mirror.invalid/debian' });
    expect(r.status).toBe(0);
    expect(readFileSync(join(d, 'sources.list'), 'utf8')).toBe(
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.invalid/debian trixie-backports main\n'
      + 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.invalid/debian sid main\n');
    expect(readdirSync(tmp)).toEqual(['apt']);
    expect(readdirSync(d).sort()).toEqual(['cache', 'lists', 'preferences', 'preferences.d', 'sources.list', 'sources.list.d', 'state']);
  });

  it('searches trixie-backports and sid unless told otherwise; the mirror can be overridden', () => {
    expect(sh('pr_private_suites').stdout).toBe('trixie-backports\nsid\n');
    expect(sh('pr_private_suites', { DAX_REFSIM_APT_SUITES: 'experimental' }).stdout).toBe('experimental\n');
    expect(sh('pr_debian_mirror', { DAX_REFSIM_DEBIAN_MIRROR: 'http://m.invalid/debian/' }).stdout).toBe('http://m.invalid/debian\n');
  });

  it('picks the newest version and the newest X.Y series from what apt-cache lists, passing the view options on', () => {
    write('stubs/apt-cache', [
      '#!/bin/sh',
      `echo "$@" >> "${tmp}/apt-cache-args"`,
      'case "$*" in',
      '  *madison*) printf "%s\\n" " linux-source-7.2 |   7.2.13-1 | m sid/main amd64 Packages" " linux-source-7.2 | 7.2.9-1~bpo13+1 | m trixie-backports/main amd64 Packages" " linux-source-7.2 | 7.2.12-1~bpo13+1 | m trixie-backports/main amd64 Packages" ;;',
      '  *pkgnames*) printf "%s\\n" linux-source-7.2 linux-source-6.12 linux-source-7.10 linux-source-7.3 linux-source-7.3-extra ;;',
      'esac',
      '',
    ].join('\n'));
    spawnSync('chmod', ['+x', join(tmp, 'stubs/apt-cache')]);
    const env = { PATH: `${join(tmp, 'stubs')}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    expect(sh('pr_newest_version linux-source-7.2 -o Dir::State::status=/dev/null', env).stdout).toBe('7.2.13-1\n');
    expect(sh('pr_newest_series -o X=1', env).stdout).toBe('7.10\n');
    expect(readFileSync(join(tmp, 'apt-cache-args'), 'utf8')).toBe('-o Dir::State::status=/dev/null madison linux-source-7.2\n-o X=1 pkgnames linux-source-\n');
  });
});
