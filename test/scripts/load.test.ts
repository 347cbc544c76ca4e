/**
 * `npm run load`: its pure parts (arguments, percentiles, /proc parsing, matching, the table) and one tiny run
 * end to end. Nothing here depends on how fast the machine is: the run is checked for sane numbers only.
 */
import { runLoad } from '../../scripts/load';
import { parseArgs, type LoadOptions } from '../../scripts/load/args';
import { base64Bytes, heardBefore, inboundLatencies, minimumLag, outboundLatencies } from '../../scripts/load/match';
import { parseProcStat, parseVmRssBytes } from '../../scripts/load/proc';
import type { ModeResult } from '../../scripts/load/run';
import { median, percentile, summarize } from '../../scripts/load/stats';
import { formatAddedCalls, formatRounds, formatTable, num, problems, withRatios, type Machine } from '../../scripts/load/table';

describe('percentiles', () => {
  it('interpolates between the closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    expect(percentile([10], 99)).toBe(10);
    const hundredAndOne = Array.from({ length: 101 }, (_, i) => i);
    expect(percentile(hundredAndOne, 99)).toBe(99);
    expect(percentile([0, 10], 99)).toBeCloseTo(9.9, 10);
  });

  it('is NaN for no values and refuses a percentile outside 0–100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/0–100/);
  });

  it('summarizes any order, leaving out what is not a number', () => {
    const s = summarize([5, 1, NaN, 3, Infinity, 2, 4]);
    expect(s).toMatchObject({ n: 5, min: 1, p50: 3, max: 5, mean: 3 });
    expect(summarize([]).n).toBe(0);
    expect(summarize([]).p50).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
  });
});

describe('/proc parsing', () => {
  it('reads utime, stime and threads from a stat line whose command has spaces and parentheses', () => {
    const fields = ['S', '1', '4242', '4242', '0', '-1', '4194560', '9000', '0', '12', '0', '1234', '567', '0', '0', '20', '0', '11', '0', '8800', '1100000000', '25000'];
    const stat = parseProcStat(`4242 (node (main) x) ${fields.join(' ')}\n`);
    expect(stat).toEqual({ pid: 4242, comm: 'node (main) x', state: 'S', utime: 1234, stime: 567, threads: 11 });
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseProcStat('no parentheses here')).toThrow(/not a \/proc/);
    expect(() => parseProcStat('1 (x) S 1 2')).toThrow(/too few fields/);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseVmRssBytes('Name:\tnode\nVmHWM:\t  90000 kB\nVmRSS:\t   81234 kB\nThreads:\t11\n')).toBe(81234 * 1024);
    expect(() => parseVmRssBytes('Name:\tnode\n')).toThrow(/VmRSS/);
  });
});

describe('arguments', () => {
  it('has modest defaults: every mode, with the baseline first', () => {
    expect(parseArgs([])).toEqual<LoadOptions>({
      calls: [20],
      seconds: 20,
      modes: ['baseline', 'pcm16', 'hybrid', 'passthrough'],
      concurrency: 1,
      json: undefined,
      server: 'dist',
      ref: undefined,
      env: {},
      instances: 1,
      nodeArgs: [],
      rounds: 1,
      networkMs: 0,
      help: false,
    });
  });

  it('reads values after the flag or after =', () => {
    const o = parseArgs(['--calls', '200', '--seconds=60', '--mode', 'hybrid', '--concurrency', '4', '--json', 'out.json', '--env', 'LOCAL_BARGE_IN=false', '--server', 'tsx']);
    expect(o).toMatchObject({ calls: [200], seconds: 60, modes: ['baseline', 'hybrid'], concurrency: 4, json: 'out.json', server: 'tsx', env: { LOCAL_BARGE_IN: 'false' } });
    expect(parseArgs(['--calls', '200,50,100,50']).calls).toEqual([50, 100, 200]);
    expect(() => parseArgs(['--calls', '100,0'])).toThrow(/--calls must be within/);
    expect(parseArgs(['--ref', 'HEAD~1']).ref).toBe('HEAD~1');
    expect(parseArgs(['--instances', '2']).instances).toBe(2);
    expect(parseArgs(['--rounds', '3']).rounds).toBe(3);
    expect(parseArgs(['--network-ms', '40']).networkMs).toBe(40);
    expect(parseArgs(['--node-arg', '--cpu-prof', '--node-arg=--cpu-prof-dir=/tmp/p']).nodeArgs).toEqual(['--cpu-prof', '--cpu-prof-dir=/tmp/p']);
  });

  it('runs the baseline unless told not to, and alone when asked', () => {
    expect(parseArgs(['--mode', 'pcm16', '--no-baseline']).modes).toEqual(['pcm16']);
    expect(parseArgs(['--mode', 'baseline']).modes).toEqual(['baseline']);
    expect(parseArgs(['--mode', 'passthrough,pcm16']).modes).toEqual(['baseline', 'pcm16', 'passthrough']);
    expect(parseArgs(['--help']).help).toBe(true);
  });

  it('names what is wrong', () => {
    expect(() => parseArgs(['--calls', '0'])).toThrow(/--calls must be within/);
    expect(() => parseArgs(['--calls', 'many'])).toThrow(/whole number/);
    expect(() => parseArgs(['--seconds'])).toThrow(/--seconds needs a value/);
    expect(() => parseArgs(['--mode', 'mp3'])).toThrow(/--mode must be/);
    expect(() => parseArgs(['--env', 'NOEQUALS'])).toThrow(/KEY=VALUE/);
    expect(() => parseArgs(['--server', 'bun'])).toThrow(/dist or tsx/);
    expect(() => parseArgs(['--instances', '9'])).toThrow(/--instances must be within 1–8/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument --fast/);
  });
});

describe('matching what was sent with what arrived', () => {
  it('pairs append a with frame a + offset, within the window', () => {
    const sent = [0, 20, 40, 60, 80, 100];
    const appended = [41, 62, 83, 105]; // frames 2..5
    expect(inboundLatencies(sent, appended, 2, 0, 1000)).toEqual([1, 2, 3, 5]);
    expect(inboundLatencies(sent, appended, 2, 50, 90)).toEqual([2, 3]);
    expect(minimumLag(sent, appended, 2)).toBe(1);
    // One frame later is impossible: appends would arrive before their frames were sent.
    expect(minimumLag(sent, appended, 3)).toBeLessThan(0);
  });

  it('times each delta to the media that carries its end, within the tolerance and the lead', () => {
    const deltas = [
      { at: 0, endBytes: 800 },
      { at: 25, endBytes: 1600 },
      { at: 50, endBytes: 2400 },
      { at: 75, endBytes: 9600 }, // beyond the lead: left out
    ];
    // 40 ms chunks (320 bytes); the first delta's last chunk is 10 bytes short (a filter's delay).
    const media = [
      { at: 1, bytes: 320 },
      { at: 1, bytes: 320 },
      { at: 2, bytes: 150 },
      { at: 27, bytes: 320 },
      { at: 27, bytes: 320 },
      { at: 28, bytes: 170 },
    ];
    const match = outboundLatencies(deltas, media, { maxOffsetBytes: 8000, toleranceBytes: 40 });
    expect(match.latencies).toEqual([2, 3]);
    expect(match.unmatched).toBe(1); // the third delta never reached the caller
    expect(match.impossible).toBe(0);
  });

  it('adds up what the caller heard before a moment from the playback intervals', () => {
    expect(heardBefore([100, 300], [200, 350], 330)).toBe(130);
    expect(heardBefore([100], [], 160)).toBe(60);
    expect(heardBefore([100], [200], 50)).toBe(0);
  });

  it('counts base64 bytes from the length', () => {
    for (const n of [0, 1, 2, 3, 160, 961]) expect(base64Bytes(Buffer.alloc(n).toString('base64'))).toBe(n);
  });
});

function fakeResult(mode: ModeResult['mode'], msPerCallSecond: number, overrides: Partial<ModeResult> = {}): ModeResult {
  const s = summarize([1, 2, 3]);
  const none = summarize([]);
  return {
    mode,
    instances: 1,
    calls: { planned: 10, connected: 10, dialFailed: 0, endedByServer: 0, violations: 0, noClear: 0, noReply: 0, unpaired: 0, pairing: 'dial order', rampSeconds: 1.5, misaligned: 0 },
    window: { seconds: 12.34, quiet: true, activeCalls: 10 },
    cpu: { msPerCallSecond, wholeRunMsPerCallSecond: 2 * msPerCallSecond, coreFraction: 0.123, idleCoreFraction: 0.002 },
    rss: { idleMB: 60, steadyMB: 70, perCallKB: 1024 },
    callerToModel: s,
    callerToModelSpeech: s,
    modelToCaller: s,
    clearAfterSpeechStarted: s,
    clearAfterCallerSpoke: s,
    truncationError: mode === 'baseline' ? s : none,
    lastEchoLate: s,
    firstAudio: s,
    serverEventLoop: { p50: 0.1, p99: 2, max: 5, mean: 0.3 },
    serverWork: {
      frame: { count: 100, p50: 0.02, p99: 0.1, max: 1 },
      delta: { count: 0 },
      speechStarted: { count: 10, p50: 0.05, p99: 0.2, max: 0.3 },
      clearAfterSpeechStarted: { count: 4, p50: 0.01, p99: 0.03, max: 0.04 },
      clearAfterFrame: { count: 0 },
    },
    heap: { idleMB: 20, steadyMB: 30 },
    harness: { coreFraction: 0.2, eventLoop: { p50: 0, p99: 1, max: 3, mean: 0.2 } },
    server: { exitCode: 0, signal: null, warnings: 0, errors: 0, messages: [] },
    fake: { sessions: 10, errors: {}, oddAppends: 0, oddAppendMs: [] },
    loadAverage: { before: [1, 1, 1], after: [1.5, 1, 1] },
    ...overrides,
  };
}

const MACHINE: Machine = { cpu: 'Test CPU', cores: 2, node: 'v20.0.0', os: 'Linux 6', memoryGB: 8 };

describe('the table', () => {
  it('puts each bridge in a column, with the CPU ratio against the baseline of the same run', () => {
    const results = withRatios([fakeResult('baseline', 0.5), fakeResult('pcm16', 1.5)]);
    expect(results[1]!.cpu.ratioToBaseline).toBeCloseTo(3, 10);
    const text = formatTable(results, MACHINE, '--calls 10 --seconds 20', 'abc1234');
    const lines = text.split('\n');
    expect(lines[0]).toBe('npm run load -- --calls 10 --seconds 20');
    expect(lines[1]).toBe('machine: Test CPU, 2 cores, 8 GB, Linux 6, node v20.0.0');
    expect(lines[2]).toBe('code: abc1234');
    expect(lines[4]).toMatch(/^\s+baseline\s+pcm16$/);
    expect(text).toMatch(/server CPU, ms per call-second\s+0\.500\s+1\.500/);
    expect(text).toMatch(/bridge work per caller frame p50\/p99\/max, ms\s+0\.020 \/ 0\.100 \/ 1\.0/);
    expect(text).toMatch(/bridge work per model delta p50\/p99\/max, ms\s+–/);
    expect(text).toMatch(/bridge: speech_started → clear sent p50\/p99\/max, ms\s+0\.010 \/ 0\.030 \/ 0\.0/);
    expect(text).toMatch(/× baseline\s+1\.00×\s+3\.00×/);
    expect(text).toMatch(/steady window, s \(calls in it\)\s+12\.3 \(10\)/);
    expect(text).toMatch(/calls connected \/ planned \(in s\)\s+10\/10 \(1\.5\)/);
    expect(text).toMatch(/truncation error p1\/p50\/p99, ms\s+1\.0 \/ 2\.0 \/ 3\.0\s+–/);
    // Right-aligned columns: every row of the table ends in the same column.
    const table = lines.slice(4, 4 + 18);
    expect(new Set(table.map((l) => l.length)).size).toBe(1);
  });

  it('sums up rounds: each mode against its own round\'s baseline, and the median', () => {
    const round = (base: number, pcm16: number, hybrid?: number) =>
      withRatios([fakeResult('baseline', base), fakeResult('pcm16', pcm16), ...(hybrid === undefined ? [] : [fakeResult('hybrid', hybrid)])]);
    expect(formatRounds([round(2, 2.2, 1.8), round(3, 2.7, 3), round(2, 2.4)]).split('\n')).toEqual([
      "server CPU per call-second × its round's baseline, 3 rounds:",
      'pcm16: 1.10×, 0.90×, 1.20×; median 1.10×',
      'hybrid: 0.90×, 1.00×, –; median 0.95×',
    ]);
  });

  it('sums up call counts: each mode\'s steady RSS per call added from one count to the next, the median over rounds', () => {
    const at = (baselineMB: number, pcm16MB: number) => [
      fakeResult('baseline', 2, { rss: { idleMB: 50, steadyMB: baselineMB, perCallKB: 0 } }),
      fakeResult('pcm16', 2, { rss: { idleMB: 90, steadyMB: pcm16MB, perCallKB: 0 } }),
    ];
    const text = formatAddedCalls([
      { calls: 100, rounds: [at(70, 140), at(72, 150), at(71, 130)] },
      { calls: 200, rounds: [at(86, 154)] },
      { calls: 300, rounds: [at(100, 168.5)] },
    ]);
    expect(text.split('\n')).toEqual([
      'RSS per added call (steady RSS at one call count less at the one before, over the calls added):',
      'baseline: 100 → 200 calls 154 KB; 200 → 300 calls 143 KB',
      'pcm16: 100 → 200 calls 143 KB; 200 → 300 calls 148 KB',
    ]);
  });

  it('names a bridge that ran as several instances', () => {
    const text = formatTable([fakeResult('baseline', 0.5), fakeResult('pcm16', 1.5, { instances: 2 })], MACHINE, '--instances 2');
    expect(text.split('\n')[3]).toMatch(/^\s+baseline\s+pcm16 ×2 instances$/);
  });

  it('has no ratio without a baseline, and lists what went wrong under the table', () => {
    const broken = fakeResult('hybrid', 1, {
      calls: { planned: 10, connected: 9, dialFailed: 1, endedByServer: 2, violations: 0, noClear: 0, noReply: 0, unpaired: 0, pairing: 'dial order', rampSeconds: 2, misaligned: 0 },
      window: { seconds: 3, quiet: false, activeCalls: 7 },
      server: { exitCode: 1, signal: null, warnings: 3, errors: 0, messages: [{ level: 'warn', message: 'model error', count: 3 }] },
      fake: { sessions: 9, errors: { response_cancel_not_active: 2 }, oddAppends: 2, oddAppendMs: [1000, 1000] },
    });
    const [result] = withRatios([broken]);
    expect(result!.cpu.ratioToBaseline).toBeUndefined();
    expect(problems(result!)).toEqual([
      '1 calls failed to connect',
      '2 calls were hung up by the bridge before the caller',
      'no quiet steady part: the window includes the scripted part of the calls (make --seconds longer)',
      '2 appends that were not whole 20 ms frames (1000 ms): silence the bridge filled in',
      'errors from the model: response_cancel_not_active ×2',
      'the bridge exited with 1',
      'bridge warn: model error (×3)',
    ]);
    const text = formatTable([result!], MACHINE, '');
    expect(text).toContain('3.0* (7)');
    expect(text).toContain('hybrid: 2 calls were hung up by the bridge before the caller');
    expect(num(NaN)).toBe('–');
    expect(num(undefined)).toBe('–');
  });
});

describe('a tiny run, end to end', () => {
  it('puts two calls through the real server and measures every column', async () => {
    const options = parseArgs(['--calls', '2', '--seconds', '8', '--mode', 'pcm16', '--no-baseline']);
    const report = await runLoad({ ...options, calls: options.calls[0]! }, 'test', () => {});
    expect(report.failures).toEqual([]);
    const [r] = report.results;
    expect(r!.mode).toBe('pcm16');
    expect(r!.calls).toMatchObject({ planned: 2, connected: 2, dialFailed: 0, endedByServer: 0, violations: 0, noClear: 0, noReply: 0, unpaired: 0, misaligned: 0 });
    expect(r!.server.exitCode).toBe(0);
    expect(r!.server.errors).toBe(0);
    expect(r!.window.seconds).toBeGreaterThan(0);
    expect(r!.window.activeCalls).toBe(2);
    expect(r!.cpu.msPerCallSecond).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(r!.cpu.msPerCallSecond)).toBe(true);
    expect(r!.rss.idleMB).toBeGreaterThan(10);
    expect(r!.rss.steadyMB).toBeGreaterThan(10);
    // Every frame in the window, each way: latencies are real durations, never negative.
    expect(r!.callerToModel.n).toBeGreaterThan(50);
    expect(r!.callerToModel.min).toBeGreaterThanOrEqual(0);
    // Each caller's phrase (3.5 s): its frames are matched even when the silence before it came in one append.
    expect(r!.callerToModelSpeech.n).toBeGreaterThan(300);
    expect(r!.callerToModelSpeech.min).toBeGreaterThanOrEqual(0);
    expect(r!.modelToCaller.n).toBeGreaterThan(10);
    expect(r!.modelToCaller.min).toBeGreaterThanOrEqual(0);
    expect(r!.clearAfterCallerSpoke.n).toBe(2);
    expect(r!.clearAfterSpeechStarted.n).toBe(2);
    expect(r!.truncationError.n).toBe(2);
    expect(Number.isFinite(r!.truncationError.p50)).toBe(true);
    // The echo the cut is timed from went out after playout passed its mark, within a few ticks on a test machine.
    expect(r!.lastEchoLate.n).toBe(2);
    expect(r!.lastEchoLate.min).toBeGreaterThanOrEqual(0);
    expect(r!.serverEventLoop).toBeDefined();
    // The probe times the bridge's work on every caller frame, model delta and speech_started.
    expect(r!.serverWork!.frame.count).toBeGreaterThan(50);
    expect(r!.serverWork!.delta.count).toBeGreaterThan(5);
    expect(r!.serverWork!.speechStarted.count).toBe(2);
    expect(r!.serverWork!.frame.p50).toBeGreaterThan(0);
    expect(Number.isFinite(r!.cpu.wholeRunMsPerCallSecond)).toBe(true);
    expect(r!.heap.steadyMB).toBeGreaterThan(1);
    expect(report.machine.cores).toBeGreaterThan(0);
    const text = formatTable(report.results, report.machine, 'test');
    expect(text).toContain('pcm16');
    expect(text).not.toContain('NaN');
  }, 40_000);
});
