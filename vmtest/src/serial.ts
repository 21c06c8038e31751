/**
 * What the guest wrote: the runs on the data port (one trace each) and the progress
 * lines on the console, which tell whether the boot got to the first workload.
 */

/** One run as the guest reported it on the data port. */
export interface GuestRun {
  target: string;
  workload: string;
  /** The recorder's exit status as text (`0`, `137`, `setup-failed`). */
  rc: string;
  /** The recorder's output, as written (empty when it wrote none). */
  trace: string;
}

/**
 * Splits the data port's text into runs. A run cut short (the guest died while
 * writing it) is returned with `complete: false`.
 */
export function parseDataLog(text: string): { runs: (GuestRun & { complete: boolean })[]; done: boolean } {
  const runs: (GuestRun & { complete: boolean })[] = [];
  let cur: (GuestRun & { complete: boolean; lines: string[] }) | null = null;
  let done = false;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const begin = /^VMTEST-TRACE-BEGIN target=(\S+) workload=(\S+) rc=(\S+)$/.exec(line);
    if (begin) {
      if (cur) runs.push(finish(cur, false));
      cur = { target: begin[1]!, workload: begin[2]!, rc: begin[3]!, trace: '', complete: false, lines: [] };
      continue;
    }
    if (line === 'VMTEST-TRACE-END' && cur) {
      runs.push(finish(cur, true));
      cur = null;
      continue;
    }
    if (line === 'VMTEST-DONE') {
      done = true;
      continue;
    }
    cur?.lines.push(line);
  }
  if (cur) runs.push(finish(cur, false));
  return { runs, done };
}

function finish(c: GuestRun & { complete: boolean; lines: string[] }, complete: boolean): GuestRun & { complete: boolean } {
  const text = c.lines.join('\n');
  return { target: c.target, workload: c.workload, rc: c.rc, trace: text === '' ? '' : `${text}\n`, complete };
}

/** What the console shows about one boot. */
export interface BootProgress {
  booted: boolean;
  /** A `VMTEST: run-start` line: the first workload began. */
  started: boolean;
  done: boolean;
  /** The first line saying why the kernel died, if it did. */
  panic: string | null;
  /**
   * The run (`<target> <workload>`) whose recorder was still setting up tracefs when
   * the kernel died: after its run-start the recorder printed a set-up step and not yet
   * `running the command`. null when the kernel died elsewhere, or did not die.
   */
  diedInSetup: string | null;
  /** `target-failed` lines. */
  targetFailures: string[];
  /** Guest seconds from run-start to run-end, by `<target> <workload>`. */
  seconds: Map<string, number>;
}

const PANIC = /(Kernel panic - not syncing.*|BUG: .*|Oops: .*|general protection fault.*|KVM internal error.*)/;

export function parseConsole(text: string): BootProgress {
  const p: BootProgress = { booted: false, started: false, done: false, panic: null, diedInSetup: null, targetFailures: [], seconds: new Map() };
  const starts = new Map<string, number>();
  // the run whose recorder said it is setting up (a `dax-refsim-record: [t] …` step after
  // its run-start) and has not yet said `running the command`: positive evidence only
  let lastStart: string | null = null;
  let inSetup: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const run = /VMTEST: run-(start|end) (\S+) (\S+)(?: .*)? \[([0-9.]+)s\]$/.exec(line);
    if (run) {
      const key = `${run[2]!} ${run[3]!}`;
      const at = Number(run[4]);
      if (run[1] === 'start') starts.set(key, at);
      else if (starts.has(key)) p.seconds.set(key, Math.round((at - starts.get(key)!) * 10) / 10);
      lastStart = run[1] === 'start' ? key : null;
      inSetup = null;
    }
    const step = /dax-refsim-record: \[[0-9.]+\] (.*)$/.exec(line);
    if (step) inSetup = step[1]!.startsWith('running the command') ? null : lastStart;
    if (/VMTEST: booted /.test(line)) p.booted = true;
    else if (/VMTEST: run-start /.test(line)) p.started = true;
    else if (/VMTEST: done/.test(line)) p.done = true;
    else if (/VMTEST: target-failed /.test(line)) p.targetFailures.push(line.slice(line.indexOf('VMTEST: ') + 8));
    const m = PANIC.exec(line);
    if (m && p.panic === null) {
      p.panic = m[1]!.trim().slice(0, 120);
      p.diedInSetup = inSetup;
    }
  }
  return p;
}
