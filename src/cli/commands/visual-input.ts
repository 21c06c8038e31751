/**
 * The input of the picture commands (`holders`, `export`, `report`): an input's Ops
 * (readOpInput) and the models they run under: the given ones, else the profile the
 * input names (a scenario's header, a trace's recording kernel), else legacy and
 * unified side by side.
 */
import { modelFor, parseKconfig, type RefcountModel } from '../../models/index.ts';
import { readOpInput, type OpInput } from './op-input.ts';
import { UsageError } from '../errors.ts';

/** An input and its models. */
export interface VisualInput {
  readonly input: OpInput;
  readonly models: readonly RefcountModel[];
}

/**
 * Reads `path` and resolves `models` (comma-separated profiles, or undefined for the
 * default). `pair`: the default is two models, a recording's own kernel's profile and
 * the newest of the other family (legacy first, as diff chooses them), else legacy
 * and unified.
 */
export async function readVisualInput(path: string, models: string | undefined, kconfig?: string, opts: { readonly pair?: boolean; readonly command?: string } = {}): Promise<VisualInput> {
  const kc = kconfig === undefined ? {} : parseKconfig(kconfig);
  const names = models?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names !== undefined && names.length === 0) throw new UsageError(`--model ${models}: expected a profile, e.g. unified or legacy,unified`);
  // a bad --model fails before the input is read
  const given = names?.map((n) => modelFor(n, { kconfig: kc }));
  const input = await readOpInput(path, opts.command);
  if (given) return { input, models: given };
  if (opts.pair) {
    if (input.kernel === undefined) return { input, models: [modelFor('legacy', { kconfig: kc }), modelFor('unified', { kconfig: kc })] };
    const own = modelFor(undefined, { kernel: input.kernel, kconfig: kc });
    const other = modelFor(own.profile.family === 'legacy' ? 'unified' : 'legacy', { kconfig: kc });
    return { input, models: own.profile.family === 'legacy' ? [own, other] : [other, own] };
  }
  if (input.profile !== null) return { input, models: [modelFor(input.profile, { kconfig: kc })] };
  if (input.kernel !== undefined) return { input, models: [modelFor(undefined, { kernel: input.kernel, kconfig: kc })] };
  return { input, models: [modelFor('legacy', { kconfig: kc }), modelFor('unified', { kconfig: kc })] };
}
