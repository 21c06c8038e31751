/**
 * Kprobe / kretprobe event bodies, `(LOCATION) name=value …`, typed from the probe's
 * own definition (the header's `# kprobe_events:`), so a new probe needs no new code.
 * Without a definition the values' types are inferred and an UNKNOWN_EVENT warning is
 * raised.
 */
import { reportAt, reportUnknownEvent, type BodyInput } from './body-context.ts';
import { scanKeyValues } from './key-values.ts';
import { convertProbeValue, inferProbeValue, isStringType, type ProbeArgType, type ProbeValue } from './probe-arg-type.ts';
import type { ProbeArg, ProbeDefinition } from './probe-definition.ts';
import { scanProbeLocation } from './probe-location.ts';
import { kprobeRecord } from './record-build.ts';
import { MAX_FOLIO_ORDER } from '../events/schema.ts';
import type { KprobeRecord } from './record-types.ts';

/** What is derived once per probe definition (snap lines carry dozens of fields). */
interface ProbePlan {
  /** `name=` of each argument. */
  readonly prefixes: readonly string[];
  /** `" name=`: how a quoted string value ends when this argument follows it. */
  readonly quoteEnds: readonly string[];
  readonly fieldTypes: Readonly<Record<string, ProbeArgType | null>>;
}

const plans = new WeakMap<ProbeDefinition, ProbePlan>();

function planFor(probe: ProbeDefinition): ProbePlan {
  let plan = plans.get(probe);
  if (plan === undefined) {
    const fieldTypes: Record<string, ProbeArgType | null> = {};
    for (const a of probe.args) fieldTypes[a.name] = a.type;
    const prefixes = probe.args.map((a) => `${a.name}=`);
    plan = { prefixes, quoteEnds: prefixes.map((p) => `" ${p}`), fieldTypes };
    plans.set(probe, plan);
  }
  return plan;
}

/** True when a body has the kprobe shape (starts with a parenthesised location). */
export function looksLikeKprobe(body: string): boolean {
  return body.startsWith('(') && body.includes(')');
}

/**
 * Parses a kprobe body with `probe` (or inferred types when `probe` is `null`).
 * Returns `null` when the location is unreadable (reported as TRUNCATED_LINE).
 */
export function parseKprobeBody(input: BodyInput, probe: ProbeDefinition | null): KprobeRecord | null {
  const body = input.base.body;
  const scan = scanProbeLocation(body);
  if (scan === null) {
    reportAt(input, 'TRUNCATED_LINE', body.length, 'kprobe location "(…)" is not closed');
    return null;
  }
  const plan = probe === null ? null : planFor(probe);
  // Filled in definition order; copying a template object was measured 10× slower.
  const fields: Record<string, ProbeValue> = {};
  let fieldTypes = plan?.fieldTypes ?? {};
  let from = skipSpace(body, scan.end);
  if (probe !== null && plan !== null) from = readDeclared(input, probe.args, plan, from, fields);
  if (from < body.length && body.slice(from).trim() !== '') {
    fieldTypes = { ...fieldTypes };
    readRemaining(input, from, probe !== null, fields, fieldTypes);
  }
  if (probe === null) {
    reportUnknownEvent(input, `no # kprobe_events definition for '${input.base.event}'; field types inferred`);
  }
  const system = probe?.group ?? null;
  const type = probe === null ? input.base.event : `${probe.group}:${probe.name}`;
  const probeKind = probe?.kind ?? scan.location.kind;
  return kprobeRecord(input.base, system, type, { probe, probeKind, location: scan.location, fields, fieldTypes });
}

/**
 * Reads the declared arguments in order into `fields`. A missing argument is `null`; missing trailing arguments mean the line was cut
 * (TRUNCATED_LINE warning). Returns the offset after the last field read.
 */
function readDeclared(
  input: BodyInput,
  args: readonly ProbeArg[],
  plan: ProbePlan,
  start: number,
  fields: Record<string, ProbeValue>,
): number {
  const body = input.base.body;
  let pos = start;
  let missing: string[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as ProbeArg;
    const prefix = plan.prefixes[i] as string;
    if (!body.startsWith(prefix, pos)) {
      const later = pos < body.length ? body.indexOf(` ${prefix}`, pos) : -1;
      if (later < 0) {
        (missing ??= []).push(arg.name);
        fields[arg.name] = null;
        continue;
      }
      reportAt(input, 'BAD_FIELD', pos, `unexpected text before ${prefix}`, 'warning');
      pos = later + 1;
    }
    const valueAt = pos + prefix.length;
    const end = declaredValueEnd(body, valueAt, arg, plan, i + 1);
    if (end === null) {
      reportAt(input, 'TRUNCATED_LINE', valueAt, `unclosed quote in ${prefix}`);
      for (let j = i; j < args.length; j++) fields[(args[j] as ProbeArg).name] = null;
      return body.length;
    }
    const text = body.slice(valueAt, end);
    const value = convertProbeValue(text, arg.type);
    if (value === undefined) reportAt(input, 'BAD_FIELD', valueAt, `${prefix}${text} expected ${arg.type.text}`);
    else if (arg.name === 'shift' && !isFolioOrder(value)) {
      // get_dev_pagemap()'s pgmap->vmemmap_shift (observations.ts PGMAP_FIELDS): memremap_pages()
      // makes folios of that order, and a folio is at most MAX_FOLIO_ORDER here
      reportAt(input, 'BAD_FIELD', valueAt, `${prefix}${text} expected a pgmap vmemmap_shift (a folio order) from 0 to ${MAX_FOLIO_ORDER}`);
      fields[arg.name] = null;
      pos = skipSpace(body, end);
      continue;
    }
    fields[arg.name] = value ?? null;
    pos = skipSpace(body, end);
  }
  if (missing !== null && pos >= body.length) {
    reportAt(input, 'TRUNCATED_LINE', body.length, `missing field(s) ${missing.join(', ')}`, 'warning');
  }
  return pos;
}

/**
 * End of a declared value. A quoted string value may hold spaces and `key=value` text
 * (the snap probe's `txt="PHASE … addr=0x…"`): it ends at the quote followed by the
 * next declared field, or at the last quote of the body for the last field.
 */
function declaredValueEnd(body: string, start: number, arg: ProbeArg, plan: ProbePlan, firstLater: number): number | null {
  if (!isStringType(arg.type) || body.charCodeAt(start) !== 0x22 /* " */) {
    const sp = body.indexOf(' ', start);
    return sp < 0 ? body.length : sp;
  }
  let best = -1;
  for (let j = firstLater; j < plan.quoteEnds.length; j++) {
    const at = body.indexOf(plan.quoteEnds[j] as string, start + 1);
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  if (best >= 0) return best + 1;
  const last = body.trimEnd().lastIndexOf('"');
  return last > start ? last + 1 : null;
}

/** Undeclared (or, without a definition, all) `key=value` pairs from `from` on. */
function readRemaining(
  input: BodyInput,
  from: number,
  declared: boolean,
  fields: Record<string, ProbeValue>,
  fieldTypes: Record<string, ProbeArgType | null>,
): void {
  const scan = scanKeyValues(input.base.body, from);
  for (const p of scan.pairs) {
    fields[p.key] = inferProbeValue(p.value);
    fieldTypes[p.key] = null;
    if (declared) reportAt(input, 'BAD_FIELD', p.keyOffset, `field '${p.key}' is not in the probe definition`, 'warning');
  }
  if (scan.unclosedQuote !== null) reportAt(input, 'TRUNCATED_LINE', scan.unclosedQuote, 'unclosed quote');
}

/** A number (or bigint) from 0 to MAX_FOLIO_ORDER; other values (strings, null) are not shifts. */
function isFolioOrder(value: ProbeValue): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_FOLIO_ORDER;
  if (typeof value === 'bigint') return value >= 0n && value <= BigInt(MAX_FOLIO_ORDER);
  return true;
}

function skipSpace(text: string, pos: number): number {
  let p = pos;
  while (text.charCodeAt(p) === 0x20) p++;
  return p;
}
