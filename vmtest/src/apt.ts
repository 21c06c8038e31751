/**
 * A private apt configuration: its own sources.list, lists, archive cache and an empty
 * dpkg status, all under the vmtest cache. Kernels of suites the host does not list
 * (trixie, trixie-backports, unstable) are resolved and downloaded through it without
 * touching the host's apt state, and nothing is ever installed.
 */
import { join } from 'node:path';

/** One `deb` line of the private sources.list. */
export interface AptSource {
  uri: string;
  suite: string;
  components: readonly string[];
}

/** The archive and security mirror URIs, as the host's apt configuration names them. */
export interface Mirrors {
  debian: string;
  security: string | null;
}

/** The keyring every Debian suite is signed with (debian-archive-keyring). */
export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * The suites the matrix needs: bookworm (6.1), trixie (6.12), trixie-backports and
 * unstable (the unified 7.x); each stable suite with its security suite, where the
 * kernel updates land first.
 */
export const SUITES = ['bookworm', 'trixie', 'trixie-backports', 'sid'] as const;
const SECURITY_SUITES = ['bookworm-security', 'trixie-security'] as const;

/**
 * Finds the mirrors in the host's apt sources (one-line `deb` lists and deb822
 * `.sources` files, given as their texts), so that no mirror is hard-coded: the
 * archive is the URI that serves a plain suite, the security archive the one that
 * serves a `-security` suite. `override` (VMTEST_DEBIAN_MIRROR) wins.
 */
export function hostMirrors(texts: readonly string[], override?: string): Mirrors {
  let debian: string | null = null;
  let security: string | null = null;
  const note = (uri: string, suites: readonly string[]): void => {
    if (!/^(https?|file):/.test(uri)) return;
    if (suites.some((s) => s.endsWith('-security') || s.endsWith('/updates'))) security ??= uri;
    else if (suites.length > 0) debian ??= uri;
  };
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m) note(m[1]!, [m[2]!]);
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string): string[] => {
        const m = new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza);
        return m ? m[1]!.trim().split(/\s+/) : [];
      };
      const types = field('Types');
      if (!types.includes('deb')) continue;
      const suites = field('Suites');
      for (const uri of field('URIs')) note(uri, suites);
    }
  }
  if (override !== undefined && override !== '') debian = override;
  if (debian === null) {
    throw new Error('no Debian archive found in the host apt sources; set VMTEST_DEBIAN_MIRROR');
  }
  return { debian, security };
}

/** The private sources: every suite of SUITES from the archive, plus the security suites. */
export function privateSources(mirrors: Mirrors): AptSource[] {
  const out: AptSource[] = SUITES.map((suite) => ({ uri: mirrors.debian, suite, components: ['main'] }));
  if (mirrors.security !== null) {
    for (const suite of SECURITY_SUITES) out.push({ uri: mirrors.security, suite, components: ['main'] });
  }
  return out;
}

/** The sources.list text, each line pinned to the Debian archive keyring. */
export function sourcesListText(sources: readonly AptSource[], keyring = DEBIAN_KEYRING): string {
  return sources.map((s) => `deb [arch=amd64 signed-by=${keyring}] ${s.uri} ${s.suite} ${s.components.join(' ')}\n`).join('');
}

/** The directories of a private apt tree rooted at `root`. */
export function aptDirs(root: string): { sourceList: string; sourceParts: string; prefParts: string; state: string; lists: string; cache: string; archives: string } {
  return {
    sourceList: join(root, 'sources.list'),
    sourceParts: join(root, 'sources.list.d'),
    prefParts: join(root, 'preferences.d'),
    state: join(root, 'state'),
    lists: join(root, 'state', 'lists'),
    cache: join(root, 'cache'),
    archives: join(root, 'cache', 'archives'),
  };
}

/**
 * The `-o` options that point apt-get / apt-cache at the private tree only: its own
 * sources (no host sources.list.d, no host preferences), lists, cache and an empty
 * dpkg status (so nothing installed on the host shapes a resolution), amd64 only,
 * no translations. Downloads run as the invoking user: apt's `_apt` sandbox user
 * cannot enter a cache in root's home.
 */
export function aptOptions(root: string): string[] {
  const d = aptDirs(root);
  const opts: Record<string, string> = {
    'Dir::Etc::SourceList': d.sourceList,
    'Dir::Etc::SourceParts': d.sourceParts,
    'Dir::Etc::PreferencesParts': d.prefParts,
    'Dir::Etc::Preferences': join(root, 'preferences'),
    'Dir::State': d.state,
    'Dir::State::Lists': d.lists,
    'Dir::State::status': '/dev/null',
    'Dir::Cache': d.cache,
    'Dir::Cache::Archives': d.archives,
    'APT::Architecture': 'amd64',
    'APT::Architectures': 'amd64',
    'Acquire::Languages': 'none',
    'APT::Sandbox::User': 'root',
  };
  return Object.entries(opts).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}
