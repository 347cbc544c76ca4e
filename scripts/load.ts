/**
 * `npm run load`: many simulated Twilio calls through a real server process, against an offline fake of the
 * OpenAI Realtime API, next to a minimal forwarding bridge measured the same way in the same run. Prints
 * what the bridge costs per call (CPU, memory) and what it adds to the conversation (latency each way,
 * barge-in timing, truncation accuracy). Benchmarks print; they never fail on timing. See docs/load.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs, USAGE, type LoadOptions, type Mode } from './load/args';
import { runMode, type ModeResult, type RunOptions } from './load/run';
import { build, snapshot, workingTree } from './load/source';
import { formatAddedCalls, formatRounds, formatTable, withRatios, type Machine } from './load/table';

export interface LoadReport {
  machine: Machine;
  /** The code the server ran. */
  code: string;
  command: string;
  startedAt: string;
  options: RunOptions;
  results: ModeResult[];
  /** Modes that could not be measured, and why. */
  failures: Array<{ mode: Mode; error: string }>;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memoryGB: os.totalmem() / 2 ** 30,
  };
}

/** Runs every mode asked for, one after the other, each with its own fake and bridge process. */
export async function runLoad(options: RunOptions, command: string, log: (line: string) => void): Promise<LoadReport> {
  const startedAt = new Date().toISOString();
  const source = options.ref === undefined ? workingTree() : snapshot(options.ref);
  const results: ModeResult[] = [];
  const failures: LoadReport['failures'] = [];
  try {
    if (options.server === 'dist' && options.modes.some((m) => m !== 'baseline')) {
      log(`building the server (${source.code})`);
      build(source.root);
    }
    for (const mode of options.modes) {
      try {
        results.push(await runMode(mode, options, source.root, log));
      } catch (err) {
        // The other bridges are still worth measuring.
        const error = (err as Error).message;
        failures.push({ mode, error });
        log(`${mode}: not measured: ${error}`);
      }
    }
  } finally {
    source.cleanup();
  }
  return { machine: machine(), code: source.code, command, startedAt, options, results: withRatios(results), failures };
}

export async function main(argv: string[]): Promise<number> {
  let options: LoadOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.seconds < 8) process.stderr.write(`note: a call's scripted part takes about 6 s; with --seconds ${options.seconds} there is little or no steady part\n`);
  const command = argv.join(' ');
  const byCalls: Array<{ calls: number; reports: LoadReport[] }> = [];
  for (const calls of options.calls) {
    const reports: LoadReport[] = [];
    // Rounds take turns with the baseline, so a machine that speeds up or slows down meets every bridge alike.
    for (let round = 1; round <= options.rounds; round++) {
      const prefix = [options.calls.length > 1 ? `${calls} calls` : '', options.rounds > 1 ? `round ${round}` : ''].filter(Boolean).join(', ');
      const log = (line: string) => process.stderr.write(`${prefix ? `${prefix}: ` : ''}${line}\n`);
      const report = await runLoad({ ...options, calls }, command, log);
      reports.push(report);
      const failed = report.failures.map((f) => `\n${f.mode}: NOT MEASURED: ${f.error}`).join('');
      const heading = prefix ? `${prefix}\n` : '';
      process.stdout.write(`${heading}${formatTable(report.results, report.machine, command, report.code)}${failed}\n\n`);
    }
    if (options.rounds > 1) process.stdout.write(`${formatRounds(reports.map((r) => r.results))}\n\n`);
    byCalls.push({ calls, reports });
  }
  if (byCalls.length > 1) process.stdout.write(`${formatAddedCalls(byCalls.map(({ calls, reports }) => ({ calls, rounds: reports.map((r) => r.results) })))}\n`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(jsonReport(byCalls), null, 2)}\n`);
  return byCalls.some(({ reports }) => reports.some((r) => r.failures.length > 0)) ? 1 : 0;
}

/** One run as before; several rounds as `{ rounds }`; several call counts as `{ byCalls: [{ calls, rounds }] }`. */
function jsonReport(byCalls: Array<{ calls: number; reports: LoadReport[] }>): unknown {
  if (byCalls.length > 1) return { byCalls: byCalls.map(({ calls, reports }) => ({ calls, rounds: reports })) };
  const { reports } = byCalls[0]!;
  return reports.length > 1 ? { rounds: reports } : reports[0];
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`load run failed: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
