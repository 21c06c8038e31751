import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { moduleLoadOrder, moduleName, shellAssign, WANTED_MODULES } from '../../vmtest/src/initramfs.ts';
import { expandArgs, parseManifest } from '../../vmtest/src/manifest.ts';
import { kernelCmdline, qemuArgs } from '../../vmtest/src/qemu.ts';

describe('parseManifest', () => {
  it('reads an array or {workloads}, args as an array or a string', () => {
    expect(parseManifest('[{"name":"a","targets":["ext4","devdax-2M"],"args":["-n","3"]}]', 'w.json')).toEqual([{ name: 'a', targets: ['ext4', 'devdax-2M'], args: ['-n', '3'], needs: [] }]);
    expect(parseManifest('{"workloads":[{"name":"b","targets":["xfs"],"args":"x  y"},{"name":"c","targets":["devdax-1G"]}]}', 'w.json')).toEqual([
      { name: 'b', targets: ['xfs'], args: ['x', 'y'], needs: [] },
      { name: 'c', targets: ['devdax-1G'], args: [], needs: [] },
    ]);
  });

  it('reads needs and covers (ignored), and replaces the device placeholders with the guest devices', () => {
    const [w] = parseManifest('[{"name":"fsdax-race","targets":["ext4","xfs"],"args":["{slowdev}"],"needs":["slowdev"],"covers":["punch-hole-pinned"]}]', 'w.json');
    expect(w).toEqual({ name: 'fsdax-race', targets: ['ext4', 'xfs'], args: ['{slowdev}'], needs: ['slowdev'] });
    expect(expandArgs(['{blockdev}', '{slowdev}', '-x'])).toEqual(['/dev/ram0', '/dev/vda', '-x']);
    expect(() => parseManifest('[{"name":"a","targets":["ext4"],"args":["{nvme}"]}]', 'w.json')).toThrow('w.json: workloads[0].args: unknown placeholder {nvme} (known: {blockdev}, {slowdev})');
    expect(() => parseManifest('[{"name":"a","targets":["ext4"],"needs":["gpu"]}]', 'w.json')).toThrow('w.json: workloads[0].needs[0]: expected one of blockdev, slowdev, xfs-reflink');
  });

  it('refuses unknown targets, bad names and shell characters with the place', () => {
    expect(() => parseManifest('[{"name":"a","targets":["btrfs"]}]', 'w.json')).toThrow('w.json: workloads[0].targets[0]: expected one of ext4, xfs, devdax-1G, devdax-2M');
    expect(() => parseManifest('[{"name":"../a","targets":["ext4"]}]', 'w.json')).toThrow('w.json: workloads[0].name');
    expect(() => parseManifest('[{"name":"a","targets":["ext4"],"args":["$(x)"]}]', 'w.json')).toThrow('shell characters');
    expect(() => parseManifest('{', 'w.json')).toThrow('w.json: not JSON');
  });
});

describe('initramfs pieces', () => {
  it('loads modules after their dependencies, once each, skipping built-in ones', () => {
    const files = new Map(['nd_pmem', 'libnvdimm', 'nd_btt', 'ext4', 'jbd2', 'mbcache', 'crc16', 'nd_e820'].map((n) => [n, `${n}.ko.xz`]));
    const deps: Record<string, string[]> = { nd_pmem: ['libnvdimm', 'nd_btt'], nd_btt: ['libnvdimm'], ext4: ['jbd2', 'crc16', 'mbcache'], nd_e820: ['libnvdimm'], dax_pmem: ['libnvdimm'] };
    expect(moduleLoadOrder(['nd_e820', 'nd_pmem', 'dax_pmem', 'ext4'], files, (n) => deps[n] ?? [])).toEqual(['libnvdimm', 'nd_e820', 'nd_btt', 'nd_pmem', 'jbd2', 'crc16', 'mbcache', 'ext4']);
    expect(moduleName('kernel/drivers/dax/device-dax.ko.zst')).toBe('device_dax');
  });

  it('loads the virtio PCI transport before virtio_blk (Debian 6.1 builds it as a module)', () => {
    // the depends lists modinfo prints for Debian 6.1.0-57-amd64
    const deps: Record<string, string[]> = { virtio_pci: ['virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio'], virtio: ['virtio_ring'], virtio_blk: ['virtio', 'virtio_ring'] };
    const files = new Map(['virtio_pci', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio', 'virtio_ring', 'virtio_blk'].map((n) => [n, `${n}.ko`]));
    const order = moduleLoadOrder(WANTED_MODULES, files, (n) => deps[n] ?? []);
    expect(order).toEqual(['virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio', 'virtio_pci', 'virtio_blk']);
  });

  it('quotes env values for the guest shell', () => {
    expect(shellAssign('V', "a b 'c' $x")).toBe(`V='a b '\\''c'\\'' $x'\n`);
  });
});

describe('QEMU command line', () => {
  it('gives each planned target its pmem region and ends the boot on a panic', () => {
    expect(kernelCmdline(['ext4', 'devdax-1G'])).toBe('console=ttyS0 loglevel=5 panic=-1 oops=panic transparent_hugepage=always memmap=512M!1G memmap=2G!4G brd.rd_nr=1 brd.rd_size=8192');
    const a = qemuArgs({ kernel: 'k', initrd: 'i', targets: ['xfs'], accel: 'tcg', consoleLog: 'c.log', dataLog: 'd.log', extra: ['nokaslr'] });
    expect(a.slice(0, 8)).toEqual(['-machine', 'pc,accel=tcg', '-cpu', 'max', '-smp', '2', '-m', '6G']);
    expect(a).toContain('console=ttyS0 loglevel=5 panic=-1 oops=panic transparent_hugepage=always memmap=512M!2G brd.rd_nr=1 brd.rd_size=8192 nokaslr');
    expect(a.slice(-4)).toEqual(['-serial', 'file:c.log', '-serial', 'file:d.log']);
    expect(a).not.toContain('-drive');
  });

  it('attaches the 3 s null-co disk only when a workload needs slowdev', () => {
    const a = qemuArgs({ kernel: 'k', initrd: 'i', targets: ['ext4'], accel: 'tcg', consoleLog: 'c', dataLog: 'd', slowdev: true });
    expect(a).toContain('if=none,id=slow,driver=null-co,size=64M,latency-ns=3000000000,read-zeroes=on');
    expect(a).toContain('virtio-blk-pci,drive=slow');
  });
});

describe('guest /init', () => {
  it('is valid POSIX sh', () => {
    const r = spawnSync('sh', ['-n', 'vmtest/guest/init.sh'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
