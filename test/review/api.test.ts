import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FEATURED_CALL, OTHER_CALLS, seedDemoCalls } from '../support/callRecords';
import { ADMIN_TOKEN, ReviewServer } from '../support/reviewServer';

const NOW = Date.UTC(2025, 4, 20, 15, 0);
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Signs in with the form and returns the session cookie ("name=value"). */
async function signIn(url: string, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${url}/calls/login`, {
    method: 'POST',
    body: new URLSearchParams({ token, next: '/calls' }),
    redirect: 'manual',
  });
}

function cookieOf(res: Response): string {
  const setCookie = res.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0];
}

describe('review API', () => {
  let review: ReviewServer;
  let featured: string;

  beforeAll(async () => {
    review = await ReviewServer.start();
    featured = await seedDemoCalls(review.store, { now: NOW, recordingsDir: review.recordingsDir });
  });
  afterAll(async () => review.stop());

  describe('refuses without the admin token', () => {
    const paths = () => ['/api/calls', `/api/calls/${featured}`, `/api/calls/${featured}/recording`];

    it('answers 401 with no credential', async () => {
      for (const p of paths()) {
        const res = await fetch(`${review.url}${p}`);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await res.json()).toEqual({ error: expect.stringMatching(/unauthorized/) });
      }
    });

    it('answers 401 to a wrong bearer token, a wrong cookie, or the raw token as the cookie', async () => {
      const wrong: Array<Record<string, string>> = [
        { authorization: `Bearer ${ADMIN_TOKEN}x` },
        { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
        { authorization: ADMIN_TOKEN },
        { cookie: 'phone_agent_review=forged' },
        { cookie: `phone_agent_review=${ADMIN_TOKEN}` },
      ];
      for (const headers of wrong) {
        for (const p of paths()) expect((await fetch(`${review.url}${p}`, { headers })).status).toBe(401);
      }
    });

    it('does not take the token from the query string', async () => {
      expect((await fetch(`${review.url}/api/calls?token=${ADMIN_TOKEN}`)).status).toBe(401);
    });
  });

  it('lists calls newest first, with their summaries', async () => {
    const res = await fetch(`${review.url}/api/calls`, { headers: bearer });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { calls } = (await res.json()) as { calls: Array<Record<string, unknown>> };
    expect(calls.map((c) => c.callSid)).toEqual(
      [FEATURED_CALL, ...OTHER_CALLS].sort((a, b) => a.ago - b.ago).map((c) => c.callSid),
    );
    const call = calls.find((c) => c.callSid === featured)!;
    expect(call).toMatchObject({
      callSid: featured,
      from: '+14155550142',
      to: '+14155550100',
      startedAt: NOW - FEATURED_CALL.ago,
      durationMs: 64_000,
      endReason: 'caller-hung-up',
      bargeIns: 1,
      firstAudioMs: 820,
      turnCount: FEATURED_CALL.turns.length,
      recordingFile: `${featured}.wav`,
    });
    expect(call.costUsd).toBeGreaterThan(0);
    expect(call).not.toHaveProperty('transcript');
  });

  it('filters the list with query parameters', async () => {
    const sids = async (query: string) => {
      const res = await fetch(`${review.url}/api/calls?${query}`, { headers: bearer });
      expect(res.status).toBe(200);
      return ((await res.json()) as { calls: Array<{ callSid: string }> }).calls.map((c) => c.callSid);
    };
    expect(await sids('number=415-555-0142')).toHaveLength(2);
    expect(await sids('reason=transferred')).toEqual([OTHER_CALLS[2].callSid]);
    expect(await sids('search=parking')).toEqual([featured]);
    expect(await sids('q=billing')).toEqual([OTHER_CALLS[2].callSid]);
    expect(await sids('limit=2')).toHaveLength(2);
    const since = new Date(NOW - 60 * 60_000).toISOString().slice(0, 16) + 'Z';
    expect(await sids(`since=${encodeURIComponent(since)}`)).toHaveLength(2);
  });

  it('answers 400 naming a filter it cannot read', async () => {
    const res = await fetch(`${review.url}/api/calls?reason=bored&since=someday`, { headers: bearer });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { problems: string[] };
    expect(body.problems).toHaveLength(2);
  });

  it('returns one call with its transcript as heard and its events', async () => {
    const res = await fetch(`${review.url}/api/calls/${featured}`, { headers: bearer });
    expect(res.status).toBe(200);
    const call = (await res.json()) as {
      transcript: Array<{ role: string; text: string; interrupted: boolean; heardMs?: number }>;
      events: Array<{ type: string; summary: string }>;
    };
    expect(call.transcript).toHaveLength(FEATURED_CALL.turns.length);
    expect(call.transcript[1]).toMatchObject({ role: 'caller', text: expect.stringContaining('book a cleaning'), interrupted: false });
    expect(call.transcript.filter((t) => t.interrupted)).toEqual([
      expect.objectContaining({ role: 'agent', interrupted: true, heardMs: 7200, spokenMs: 11_800 }),
    ]);
    expect(call.events.map((e) => e.type)).toEqual(['tool-call', 'barge-in', 'tool-call']);
  });

  it('answers 404 for an unknown call', async () => {
    const res = await fetch(`${review.url}/api/calls/CAnope`, { headers: bearer });
    expect(res.status).toBe(404);
  });

  it('downloads the recording as a WAV, and 404s when there is none', async () => {
    const res = await fetch(`${review.url}/api/calls/${featured}/recording`, { headers: bearer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${featured}.wav"`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(readFileSync(path.join(review.recordingsDir, `${featured}.wav`)))).toBe(true);
    expect(body.toString('ascii', 0, 4)).toBe('RIFF');

    const download = await fetch(`${review.url}/api/calls/${featured}/recording?download=1`, { headers: bearer });
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    await download.arrayBuffer();

    expect((await fetch(`${review.url}/api/calls/${OTHER_CALLS[1].callSid}/recording`, { headers: bearer })).status).toBe(404);
    expect((await fetch(`${review.url}/api/calls/CAnope/recording`, { headers: bearer })).status).toBe(404);
  });

  it('serves byte ranges of the recording, so the player can seek', async () => {
    const res = await fetch(`${review.url}/api/calls/${featured}/recording`, { headers: { ...bearer, range: 'bytes=0-43' } });
    expect(res.status).toBe(206);
    expect((await res.arrayBuffer()).byteLength).toBe(44);
  });

  it('works with the session cookie from signing in', async () => {
    const login = await signIn(review.url);
    expect(login.status).toBe(303);
    const cookie = cookieOf(login);
    const res = await fetch(`${review.url}/api/calls/${featured}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const recording = await fetch(`${review.url}/api/calls/${featured}/recording`, { headers: { cookie } });
    expect(recording.status).toBe(200);
    await recording.arrayBuffer();
  });

  it('never serves a file outside the recordings folder, whatever the record says', async () => {
    await review.store.open({
      callSid: 'CAevil',
      streamSid: 'MZevil',
      direction: 'inbound',
      from: '+1',
      to: '+2',
      startedAt: NOW - 1000,
      answeredAt: NOW - 1000,
      model: 'gpt-realtime',
      voice: 'marin',
      personaName: 'x',
      audioMode: 'pcm16',
    });
    await review.store.close('CAevil', { endedAt: NOW, endReason: 'error', recordingFile: '../calls.db' });
    const res = await fetch(`${review.url}/api/calls/CAevil/recording`, { headers: bearer });
    expect(res.status).toBe(404);
  });
});
