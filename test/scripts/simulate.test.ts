import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../scripts/simulate';
import { readWav } from '../../scripts/simulator/wav';
import { ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import { dominantFrequency } from '../support/signal';

/**
 * `npm run simulate` against the real server and the fake model, in-process: its main() with the environment and
 * output handed in. Real time, so each call takes a few seconds.
 */
const CALLER_HZ = 700;
const AGENT_HZ = 440;

/** A 44.1 kHz stereo 16-bit WAV: `toneMs` of a tone on both channels, then `silenceMs` of silence. */
function callerWav(toneMs: number, silenceMs: number): Buffer {
  const rate = 44_100;
  const frames = Math.round((rate * (toneMs + silenceMs)) / 1000);
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < (rate * toneMs) / 1000; i++) {
    const v = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * CALLER_HZ * i) / rate));
    data.writeInt16LE(v, i * 4);
    data.writeInt16LE(v, i * 4 + 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFFxxxxWAVEfmt ', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

async function simulate(argv: string[], env: NodeJS.ProcessEnv) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), env });
  return { code, out, err };
}

describe('npm run simulate', () => {
  let agent: TestAgent | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'simulate-'));
    writeFileSync(path.join(dir, 'caller.wav'), callerWav(800, 200));
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('calls as Twilio: waits for the greeting, talks, hears the answer, saves it and reports the timings and transcript', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Hello.' },
      { reply: (i) => ({ text: i === 0 ? 'Hello, Ada Dental.' : 'Your order ships tomorrow.', toneHz: AGENT_HZ, durationMs: 600 }) },
    );
    const env = { PUBLIC_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN };
    const outFile = path.join(dir, 'agent.wav');
    const run = await simulate(['--wav', path.join(dir, 'caller.wav'), '--out', outFile, '--url', agent.url], env);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('1.00 s at 44100 Hz, 2 channels → 8 kHz μ-law');
    expect(run.out).toMatch(/Call (CA[0-9a-f]{32}) \(as Twilio\): [\d.]+ s; the caller hung up\./);
    expect(run.out).toMatch(/first agent audio\s+0\.\d\d s after the call connected/);
    expect(run.out).toMatch(/reply latencies\s+0\.\d\d s \(end of your speech/);
    expect(run.out).toMatch(/barge-ins\s+none/);
    expect(run.out).toMatch(/agent\s+Hello, Ada Dental\.\n\s+[\d.]+ s\s+caller\s+I would like some help\.\n\s+[\d.]+ s\s+agent\s+Your order ships tomorrow\./);

    // The model heard the 44.1 kHz stereo file at its pitch.
    const session = agent.fake.sessions[0];
    const input = session.inputAudioPcm24k();
    const from = input.findIndex((v) => Math.abs(v) > 3000);
    expect(dominantFrequency(input.subarray(from + 2400, from + 2400 + 24 * 400), 24_000)).toBeCloseTo(CALLER_HZ, -1);

    // What the agent said, as heard, on the call's timeline: the greeting, a pause while the caller talks, the answer.
    const heard = readWav(readFileSync(outFile));
    expect(heard).toMatchObject({ sampleRate: 8000, channels: 1 });
    const loud = (from: number, to: number) => heard.samples.subarray(from * 8, to * 8).reduce((max, v) => Math.max(max, Math.abs(v)), 0);
    const pcm = Int16Array.from(heard.samples, (v) => v * 32768);
    const greetingAt = pcm.findIndex((v) => Math.abs(v) > 3000);
    expect(dominantFrequency(pcm.subarray(greetingAt + 400, greetingAt + 4000), 8000)).toBeCloseTo(AGENT_HZ, -1);
    expect(loud(greetingAt / 8 + 800, greetingAt / 8 + 1300)).toBeLessThan(0.01);
    expect(run.out).toContain(`Saved what the agent said, as heard, to ${outFile}`);
    const callSid = /Call (CA[0-9a-f]{32})/.exec(run.out)![1];
    expect(await agent.store.get(callSid)).toMatchObject({ direction: 'inbound', from: '+15555550100', endReason: 'caller-hung-up' });
  });

  it('calls through the softphone and barges in where asked: the cut it reports is where the server truncated', async () => {
    agent = await TestAgent.start(
      { AGENT_GREETING: 'Hello.' },
      { reply: (i) => ({ text: i === 0 ? 'Welcome to Ada Dental, let me tell you about everything we do.' : 'Sure.', toneHz: AGENT_HZ, durationMs: i === 0 ? 4000 : 400 }) },
    );
    const run = await simulate(['--wav', path.join(dir, 'caller.wav'), '--url', agent.url, '--barge-in-at', '0.8'], { ADMIN_TOKEN });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Call WEB[0-9a-f]{32} \(through the softphone\): [\d.]+ s; the caller hung up\./);
    expect(run.out).toContain('you start talking over the agent');
    const cut = /at ([\d.]+) s: the agent was cut after ([\d.]+) s heard of ([\d.]+) s sent/.exec(run.out);
    expect(cut).not.toBeNull();
    const heardMs = Number(cut![2]) * 1000;
    expect(heardMs).toBeGreaterThan(800);
    expect(heardMs).toBeLessThan(1100);
    const truncation = agent.fake.sessions[0].truncations[0] as { audio_end_ms: number };
    expect(Math.abs(truncation.audio_end_ms - heardMs)).toBeLessThan(60);
    const interrupted = /agent\s+Welcome to[^\n]*\[interrupted at ([\d.]+) s of [\d.]+ s\]/.exec(run.out);
    expect(Math.abs(Number(interrupted![1]) * 1000 - heardMs)).toBeLessThan(60);
    expect(run.out).toMatch(/agent\s+Sure\./);
  });

  it('explains what it needs, and what went wrong', async () => {
    expect((await simulate([], {})).code).toBe(2);
    const noToken = await simulate(['--wav', path.join(dir, 'caller.wav')], {});
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/needs the admin token: set ADMIN_TOKEN, or pass --token/);
    const notWav = path.join(dir, 'not.wav');
    writeFileSync(notWav, 'hello');
    expect((await simulate(['--wav', notWav], { ADMIN_TOKEN })).err).toMatch(/cannot read .*not a WAV file/);
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const nobody = await simulate(['--wav', path.join(dir, 'caller.wav'), '--url', `http://127.0.0.1:${port}`], { ADMIN_TOKEN });
    expect(nobody.code).toBe(1);
    expect(nobody.err).toContain(`Could not place the call: fetch failed (nothing listens at http://127.0.0.1:${port}`);
  });
});
