/**
 * Reading and lifting the recorded traces of events/traces in tests (whole texts,
 * synchronously).
 */
import { readFileSync } from 'node:fs';
import { collectLifted, liftItemsSync, type LiftedTrace } from '../../src/lift/lift-trace.ts';
import { parseTraceLinesSync, splitLines } from '../../src/trace/read-trace.ts';

/** The directory of the recorded traces. */
export const TRACES = new URL('../../events/traces/', import.meta.url);

/** A trace's text by file name (`k612-ext4-daxwork.trace.txt`). */
export function traceText(name: string): string {
  return readFileSync(new URL(name, TRACES), 'utf8');
}

/** The path of a trace by file name, for the file-level APIs. */
export function tracePath(name: string): string {
  return new URL(name, TRACES).pathname;
}

/** Lifts a trace text. */
export function liftText(text: string, file = 'trace'): Promise<LiftedTrace> {
  return collectLifted(liftItemsSync(parseTraceLinesSync(splitLines(text), file)));
}

/** Lifts a trace of events/traces by file name. */
export function liftNamed(name: string): Promise<LiftedTrace> {
  return liftText(traceText(name), `events/traces/${name}`);
}
