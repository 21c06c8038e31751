/**
 * The model registry: a profile in, the model of that kernel out.
 */
import type { RefcountModel } from './model.ts';
import { resolveProfile, type Kconfig, type Profile } from './profile.ts';
import { createLegacyModel } from './legacy/index.ts';
import { createUnifiedModel } from './unified/index.ts';

/** The model of a resolved profile. */
export function createModel(profile: Profile): RefcountModel {
  return profile.family === 'legacy' ? createLegacyModel(profile) : createUnifiedModel(profile);
}

/** Resolves `legacy`, `unified@6.16`, … (see resolveProfile) and creates its model. */
export function modelFor(spec: string | undefined, opts: { kernel?: string; kconfig?: Kconfig } = {}): RefcountModel {
  return createModel(resolveProfile(spec, opts));
}

export type { RefcountModel, ModelCtx, Invariant } from './model.ts';
export { resolveProfile, describeProfile, parseKconfig, PROFILE_SPANS, DEFAULT_KCONFIG, ProfileError, type Profile, type Kconfig, type Family } from './profile.ts';
