import { describe, expect, it } from 'vitest';
import { compareDebVersions } from '../../vmtest/src/debversion.ts';
import { STOCK_SERIES, newestRelease, newestVersion, packagesLine, parseMadison, seriesId } from '../../vmtest/src/kernels.ts';

const series = (id: string) => STOCK_SERIES.find((s) => s.id === id)!;

describe('newestRelease', () => {
  it('picks the highest ABI of bookworm 6.1 numerically and skips signed, rt and cloud images', () => {
    const names = ['linux-image-6.1.0-9-amd64-unsigned', 'linux-image-6.1.0-57-amd64-unsigned', 'linux-image-6.1.0-57-rt-amd64-unsigned', 'linux-image-6.1.0-58-cloud-amd64-unsigned', 'linux-image-6.1.0-56-amd64'];
    expect(newestRelease(series('6.1'), names)).toBe('6.1.0-57-amd64');
  });

  it('picks the newest 6.12 patch level', () => {
    expect(newestRelease(series('6.12'), ['linux-image-6.12.9+deb13-amd64-unsigned', 'linux-image-6.12.118+deb13-amd64-unsigned', 'linux-image-6.12.119+bpo-amd64-unsigned'])).toBe('6.12.118+deb13-amd64');
  });

  it('picks the newest unified 7.x across trixie-backports (+deb13) and unstable (+deb14)', () => {
    const names = ['linux-binary-7.2.13+deb14-amd64', 'linux-binary-7.3.4+deb13-amd64', 'linux-binary-7.3.4+deb13-rt-amd64', 'linux-binary-7.10.1+deb14-cloud-amd64', 'linux-binary-7.2.9+deb13-amd64'];
    expect(newestRelease(series('7'), names)).toBe('7.3.4+deb13-amd64');
    expect(series('7').packages('7.3.4+deb13-amd64')).toEqual(['linux-binary-7.3.4+deb13-amd64', 'linux-modules-7.3.4+deb13-amd64', 'linux-base-7.3.4+deb13-amd64']);
  });

  it('returns null when nothing matches', () => {
    expect(newestRelease(series('7'), ['linux-image-6.1.0-57-amd64-unsigned'])).toBeNull();
  });

  it('names a release by its series', () => {
    expect(seriesId('7.3.4+deb13-amd64')).toBe('7.3');
    expect(seriesId('6.1.0-57-amd64')).toBe('6.1');
  });
});

describe('madison and Debian version order', () => {
  const madison = ` linux-binary-7.3.4+deb13-amd64 | 7.3.4-1~bpo13+1 | http://m/debian trixie-backports/main amd64 Packages
 linux-binary-7.3.4+deb13-amd64 | 7.3.4-1~bpo13+2 | http://m/debian trixie-backports/main amd64 Packages
 linux-base-7.3.4+deb13-amd64 | 7.3.4-1~bpo13+1 | http://m/debian trixie-backports/main amd64 Packages
`;
  it('parses rows and takes the highest version of a package', () => {
    const rows = parseMadison(madison);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ name: 'linux-binary-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1', source: 'http://m/debian trixie-backports/main amd64 Packages' });
    expect(newestVersion(rows, 'linux-binary-7.3.4+deb13-amd64')).toBe('7.3.4-1~bpo13+2');
    expect(newestVersion(rows, 'linux-modules-7.3.4+deb13-amd64')).toBeNull();
  });

  it('orders versions like dpkg: tilde first, digits numerically, epochs win', () => {
    expect(compareDebVersions('7.3.4-1~bpo13+1', '7.3.4-1')).toBeLessThan(0);
    expect(compareDebVersions('6.1.192-3', '6.1.192-2')).toBeGreaterThan(0);
    expect(compareDebVersions('6.1.192-10', '6.1.192-9')).toBeGreaterThan(0);
    expect(compareDebVersions('1:1.0-1', '2.0-1')).toBeGreaterThan(0);
    expect(compareDebVersions('1.0', '1.0')).toBe(0);
    expect(compareDebVersions('1.0~rc1', '1.0')).toBeLessThan(0);
    expect(compareDebVersions('1.0a', '1.0')).toBeGreaterThan(0);
  });

  it('prints the packages of a kernel as written into trace headers', () => {
    expect(packagesLine({ id: '7.3', release: '7.3.4+deb13-amd64', kind: 'stock', packages: [{ name: 'linux-binary-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1' }, { name: 'linux-base-7.3.4+deb13-amd64', version: '7.3.4-1~bpo13+1' }] }))
      .toBe('linux-binary-7.3.4+deb13-amd64 7.3.4-1~bpo13+1, linux-base-7.3.4+deb13-amd64 7.3.4-1~bpo13+1');
  });
});
