import { describe, expect, it } from 'vitest';
import { aptOptions, hostMirrors, privateSources, sourcesListText } from '../../vmtest/src/apt.ts';

const DEB822 = `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe('hostMirrors', () => {
  it('takes the archive and the security archive from deb822 sources', () => {
    expect(hostMirrors([DEB822])).toEqual({ debian: 'http://mirror.example/debian', security: 'http://mirror.example/debian-security' });
  });

  it('reads one-line deb lists, skips deb-src and non-http entries', () => {
    const list = 'deb-src http://src.example/debian bookworm main\ndeb cdrom:[x]/ bookworm main\ndeb [arch=amd64] http://a.example/debian bookworm main\ndeb http://a.example/sec bookworm-security main\n';
    expect(hostMirrors([list])).toEqual({ debian: 'http://a.example/debian', security: 'http://a.example/sec' });
  });

  it('lets VMTEST_DEBIAN_MIRROR override the archive, and fails clearly without any', () => {
    expect(hostMirrors([DEB822], 'http://other.example/debian').debian).toBe('http://other.example/debian');
    expect(() => hostMirrors(['# nothing\n'])).toThrow(/set VMTEST_DEBIAN_MIRROR/);
  });
});

describe('private sources', () => {
  it('lists the four kernel suites and both security suites, each pinned to the archive keyring', () => {
    const text = sourcesListText(privateSources({ debian: 'http://m/debian', security: 'http://m/sec' }));
    expect(text).toBe(
      'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian bookworm main\n' +
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian trixie main\n' +
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian trixie-backports main\n' +
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/debian sid main\n' +
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/sec bookworm-security main\n' +
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m/sec trixie-security main\n',
    );
  });

  it('leaves the security suites out when the host names no security archive', () => {
    expect(privateSources({ debian: 'http://m/debian', security: null }).map((s) => s.suite)).toEqual(['bookworm', 'trixie', 'trixie-backports', 'sid']);
  });

  it('points every apt directory into the private tree and reads no dpkg status', () => {
    const opts = aptOptions('/c/apt');
    const o = new Map<string, string>();
    for (let i = 0; i < opts.length; i += 2) {
      expect(opts[i]).toBe('-o');
      const [k, v] = opts[i + 1]!.split('=') as [string, string];
      o.set(k, v);
    }
    expect(o.get('Dir::Etc::SourceList')).toBe('/c/apt/sources.list');
    expect(o.get('Dir::Etc::SourceParts')).toBe('/c/apt/sources.list.d');
    expect(o.get('Dir::State::Lists')).toBe('/c/apt/state/lists');
    expect(o.get('Dir::State::status')).toBe('/dev/null');
    expect(o.get('Dir::Cache::Archives')).toBe('/c/apt/cache/archives');
    expect(o.get('APT::Architecture')).toBe('amd64');
    expect([...o.values()].filter((v) => v.startsWith('/') && v !== '/dev/null').every((v) => v.startsWith('/c/apt/'))).toBe(true);
  });
});
