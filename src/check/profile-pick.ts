/**
 * The profile a recording is checked under: from its header alone (`KTRACE-BEGIN
 * kernel=` → the version axis, `# kconfig:` → the config options that change what can
 * be observed), unless `--model`, `--kernel` or `--kconfig` say otherwise.
 */
import { resolveProfile, ProfileError, type Kconfig, type Profile } from '../models/profile.ts';
import type { PageLayout } from '../models/kernel-facts.ts';
import type { TraceHeader } from '../trace/header-types.ts';

/** What a caller may override. */
export interface ProfileChoice {
  /** `legacy`, `unified` or `<family>@<version>` (`--model`). */
  readonly model?: string;
  /** The kernel release to pick the profile by (`--kernel`). */
  readonly kernel?: string;
  /** Config options on top of the header's (`--kconfig`). */
  readonly kconfig?: Kconfig;
}

/** The header's `# kconfig:` options as a Kconfig. */
export function headerKconfig(header: TraceHeader): Kconfig {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(header.kconfig)) out[k.startsWith('CONFIG_') ? k : `CONFIG_${k}`] = v;
  return out;
}

/** The recording kernel's release string (or what `--kernel` says). */
export function kernelOf(header: TraceHeader, choice: ProfileChoice): string {
  return choice.kernel ?? header.kernel ?? 'unknown';
}

/** Resolves the profile of a recording. */
export function pickProfile(header: TraceHeader, choice: ProfileChoice = {}): Profile {
  const kconfig = { ...headerKconfig(header), ...(choice.kconfig ?? {}) };
  const kernel = choice.kernel ?? (choice.model === undefined ? (header.kernel ?? undefined) : undefined);
  if (choice.model === undefined && kernel === undefined) {
    throw new ProfileError('the trace header names no kernel (KTRACE-BEGIN kernel=…): give --kernel or --model');
  }
  return resolveProfile(choice.model, { ...(kernel !== undefined ? { kernel } : {}), kconfig });
}

/**
 * The recording kernel's own profile, whatever model the check runs (`--model`): what
 * it printed is in its format (page_ref's mapcount) and read at its offsets (its struct
 * page layout). Null when the header and `--kernel` name no kernel a profile covers.
 */
export function recordingProfile(header: TraceHeader, choice: ProfileChoice = {}): Profile | null {
  const kernel = choice.kernel ?? header.kernel ?? undefined;
  if (kernel === undefined) return null;
  try {
    const profile = resolveProfile(undefined, { kernel, kconfig: { ...headerKconfig(header), ...(choice.kconfig ?? {}) } });
    const layout = headerLayout(header);
    return layout === null ? profile : { ...profile, layout };
  } catch (e) {
    if (e instanceof ProfileError) return null;
    throw e;
  }
}

/**
 * The struct page layout the recording kernel's own BTF gave (`# vmemmap: layout_from=btf
 * …`, written by `dax-refsim record`): it outranks the per-version table, which only
 * knows the kernels recorded so far. Null without such a line or with a field missing.
 */
export function headerLayout(header: TraceHeader): PageLayout | null {
  const v = header.vmemmap;
  if (v === null || v.layoutFrom !== 'btf') return null;
  const o = v.offsets;
  const { word1, mapcount, refcount, order, entire, pincount } = o;
  if (word1 == null || mapcount == null || refcount == null || order == null || entire == null || pincount == null) return null;
  return { name: `BTF of ${header.kernel ?? 'the recording kernel'}`, word1, mapcount, refcount, order, entire, large: o['large'] ?? null, pincount };
}
