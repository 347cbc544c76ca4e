import { seedCalls, seedDemoCalls } from '../support/callRecords';
import { ADMIN_TOKEN, ReviewServer } from '../support/reviewServer';

const NOW = Date.UTC(2025, 4, 20, 15, 0);

function cookieOf(res: Response): string {
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

describe('review pages', () => {
  let review: ReviewServer;
  let featured: string;
  let cookie: string;

  beforeAll(async () => {
    review = await ReviewServer.start();
    featured = await seedDemoCalls(review.store, { now: NOW, recordingsDir: review.recordingsDir });
    const login = await fetch(`${review.url}/calls/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: 'manual',
    });
    cookie = cookieOf(login);
  });
  afterAll(async () => review.stop());

  const get = (path: string, headers: Record<string, string> = { cookie }) =>
    fetch(`${review.url}${path}`, { headers, redirect: 'manual' });

  describe('signing in', () => {
    it('shows the sign-in form, not the calls, without a credential', async () => {
      for (const path of ['/calls', `/calls/${featured}`]) {
        const res = await get(path, {});
        expect(res.status).toBe(401);
        const page = await res.text();
        expect(page).toContain('<form method="post" action="/calls/login">');
        expect(page).not.toContain('+14155550142');
        expect(page).toContain(`name="next" value="${path}"`);
      }
    });

    it('sets an HttpOnly SameSite=Strict cookie for the right token, and returns to the page asked for', async () => {
      const res = await fetch(`${review.url}/calls/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: ADMIN_TOKEN, next: `/calls/${featured}` }),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/calls/${featured}`);
      const setCookie = res.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).not.toContain(ADMIN_TOKEN);
      expect(setCookie).not.toMatch(/Secure/);
    });

    it('marks the cookie Secure behind an https proxy', async () => {
      const res = await fetch(`${review.url}/calls?token=${ADMIN_TOKEN}`, {
        headers: { 'x-forwarded-proto': 'https' },
        redirect: 'manual',
      });
      expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
    });

    it('refuses a wrong token with the form and an explanation', async () => {
      const res = await fetch(`${review.url}/calls/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: 'nope' }),
        redirect: 'manual',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).toContain('That token is not right.');
    });

    it('never redirects to another site after signing in', async () => {
      for (const next of ['https://evil.example/', '//evil.example/calls', '/elsewhere', '/calls\\@evil']) {
        const res = await fetch(`${review.url}/calls/login`, {
          method: 'POST',
          body: new URLSearchParams({ token: ADMIN_TOKEN, next }),
          redirect: 'manual',
        });
        expect(res.headers.get('location')).toBe('/calls');
      }
    });

    it('signs in from a token link and redirects to the same page without the token', async () => {
      const res = await get(`/calls?search=parking&token=${ADMIN_TOKEN}`, {});
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/calls?search=parking');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const page = await get('/calls?search=parking', { cookie: cookieOf(res) });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('+14155550142');
    });

    it('explains an old token link', async () => {
      const res = await get(`/calls/${featured}?token=stale-token-from-yesterday`, {});
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('not valid any more');
    });

    it('accepts the bearer header on pages too', async () => {
      expect((await get('/calls', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    });

    it('signs out by clearing the cookie', async () => {
      const res = await fetch(`${review.url}/calls/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/^phone_agent_review=; .*Max-Age=0/);
    });
  });

  describe('the list', () => {
    it('shows every call with its caller, length, outcome and a link to it', async () => {
      const res = await get('/calls');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const page = await res.text();
      expect(page).toContain(`href="/calls/${featured}"`);
      expect(page).toContain('+14155550142');
      expect(page).toContain('1 min 04 s');
      expect(page).toContain('caller hung up');
      expect(page).toContain('in progress');
      expect(page).toMatch(/<strong class="num">6<\/strong> calls/);
      expect(page).not.toMatch(/<script/i);
    });

    it('filters, keeping the filters in the form', async () => {
      const page = await (await get('/calls?search=billing&reason=transferred')).text();
      expect(page).toMatch(/<strong class="num">1<\/strong> call\b/);
      expect(page).toContain('value="billing"');
      expect(page).toContain('<option value="transferred" selected>');
      expect(page).toContain('href="/calls">Clear</a>');
    });

    it('says what it could not understand', async () => {
      const page = await (await get('/calls?since=someday')).text();
      expect(page).toContain('since: &quot;someday&quot; is not a date');
    });

    it('says so when nothing matches', async () => {
      expect(await (await get('/calls?search=zebra')).text()).toContain('No calls match these filters.');
    });
  });

  describe('a call', () => {
    it('shows the transcript as a conversation with the interruption marked', async () => {
      const page = await (await get(`/calls/${featured}`)).text();
      expect(page).toContain('<div class="turn caller">');
      expect(page).toContain('<div class="turn agent interrupted">');
      expect(page).toContain('— interrupted at 7.2 s of 11.8 s');
      expect(page).toContain('Sure, it&#39;s Maria Lopez, March 3rd, 1986.');
      expect(page).toContain('replied in 740 ms');
      // Events, latency, tokens and cost.
      expect(page).toContain('check_availability → 3 open slots next week');
      expect(page).toContain('caller cut in after 7.2 of 11.8 s');
      expect(page).toContain('820 ms');
      expect(page).toContain("median · max 740 ms");
      expect(page).toContain('Estimated cost');
      expect(page).toMatch(/\$0\.\d{4}/);
    });

    it('has an audio player when there is a recording, and none otherwise', async () => {
      const page = await (await get(`/calls/${featured}`)).text();
      expect(page).toContain(`<audio controls preload="metadata" src="/api/calls/${featured}/recording"></audio>`);
      const list = (await (await get('/api/calls', { cookie })).json()) as { calls: Array<{ callSid: string }> };
      const other = list.calls.find((c) => c.callSid !== featured)!.callSid;
      expect(await (await get(`/calls/${other}`)).text()).not.toContain('<audio');
    });

    it('answers 404 with a page for an unknown call', async () => {
      const res = await get('/calls/CAgone');
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('No such call');
    });
  });

  it('escapes everything a caller or a record can put on the page', async () => {
    const evil = '<script>alert("pwned")</script>';
    await seedCalls(
      review.store,
      [
        {
          callSid: 'CAxss<img src=x onerror=alert(1)>',
          from: `"><script>alert(1)</script>`,
          to: "'onmouseover='alert(2)",
          ago: 1000,
          lengthS: 5,
          turns: [
            { role: 'caller', at: 1, text: `Hello ${evil}` },
            { role: 'agent', at: 2, text: `Hi </div><script>alert(3)</script>`, cut: { heard: 1, spoken: 2 } },
          ],
          events: [{ atS: 3, type: 'note', summary: evil, detail: { html: evil } }],
        },
      ],
      { now: NOW },
    );
    const list = await (await get(`/calls?search=${encodeURIComponent('<script>')}`)).text();
    const call = await (await get(`/calls/${encodeURIComponent('CAxss<img src=x onerror=alert(1)>')}`)).text();
    for (const page of [list, call]) {
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toMatch(/<img/i);
      expect(page).not.toMatch(/'onmouseover=/);
    }
    expect(list).toContain('value="&lt;script&gt;"');
    expect(call).toContain('Hello &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(call).toContain('&lt;/div&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(call).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('review pages: calls that never reached the agent', () => {
  let review: ReviewServer;
  beforeAll(async () => {
    review = await ReviewServer.start();
    await seedCalls(review.store, [{ callSid: 'CAanswered', from: '+14155550142', ago: 120_000, lengthS: 30, turns: [] }], { now: NOW });
    const placed = { direction: 'outbound' as const, from: '+14155550100', to: '+14155550177', model: 'gpt-realtime', voice: 'marin', personaName: 'reminders', audioMode: 'pcm16' as const, startedAt: NOW - 60_000 };
    await review.store.progress({ callSid: 'CAbusy', outcome: 'busy', at: NOW - 50_000, call: placed });
    await review.store.progress({ callSid: 'CAringing', outcome: 'ringing', at: NOW - 10_000, call: { ...placed, startedAt: NOW - 10_000 } });
  });
  afterAll(async () => review.stop());

  const page = async (path: string) => (await fetch(`${review.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();

  it('shows how they ended, and filters by direction and outcome', async () => {
    const all = await page('/calls');
    expect(all).toContain('<span class="badge warn">busy</span>');
    expect(all).toContain('<span class="badge live">ringing</span>');
    expect(all).toContain('<select name="direction"><option value="">Both ways</option><option value="inbound">inbound</option><option value="outbound">outbound</option>');
    const busy = await page('/calls?direction=outbound&outcome=busy');
    expect(busy).toMatch(/<strong class="num">1<\/strong> call\b/);
    expect(busy).toContain('href="/calls/CAbusy"');
    expect(busy).toContain('<option value="busy" selected>busy</option>');
    expect(busy).toContain('<option value="outbound" selected>outbound</option>');
    expect(await page('/calls?direction=inbound')).toContain('href="/calls/CAanswered"');
    expect(await page('/calls?outcome=maybe')).toContain('outcome: &quot;maybe&quot; is not one of');
  });

  it('shows the outcome on the call page, with no length', async () => {
    const call = await page('/calls/CAbusy');
    expect(call).toContain('<span class="badge warn">busy</span>');
    expect(call).toContain('reminders');
  });
});
