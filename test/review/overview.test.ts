import { FEATURED_CALL, seedDemoCalls } from '../support/callRecords';
import { seedOverviewCalls } from '../support/overviewCalls';
import { ADMIN_TOKEN, ReviewServer } from '../support/reviewServer';

const NOW = Date.UTC(2025, 4, 20, 15, 0);
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** Local dates, as the list filter reads them: every seeded call is inside. */
const RANGE = 'since=2025-04-10&until=2025-05-25';

interface OverviewJson {
  since: number;
  until: number;
  timeZone: string;
  totals: { calls: number; connected: number; notConnected: number; transfers: number; toolCalls: number; firstAudioMs: { count: number; p50: number | null } };
  days: Array<{ day: string; calls: number }>;
  endings: Array<{ ending: string; calls: number }>;
  tools: Array<{ name: string; calls: number }>;
}

describe('the overview page and API', () => {
  let review: ReviewServer;
  let seeded: { calls: number };

  beforeAll(async () => {
    review = await ReviewServer.start();
    seeded = await seedOverviewCalls(review.store, { now: NOW });
    await seedDemoCalls(review.store, { now: NOW, recordingsDir: review.recordingsDir });
  });
  afterAll(async () => review.stop());

  const get = (path: string, headers: Record<string, string> = bearer) => fetch(`${review.url}${path}`, { headers, redirect: 'manual' });

  it('needs the admin token, as the other pages do', async () => {
    const page = await get('/calls/overview', {});
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('<form method="post" action="/calls/login">');
    const api = await get('/api/overview', {});
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(api.headers.get('cache-control')).toBe('no-store');
  });

  it('answers the numbers as JSON, every day of the range, in the server time zone', async () => {
    const res = await get(`/api/overview?${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const overview = (await res.json()) as OverviewJson;
    expect(overview.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(overview.since).toBe(new Date(2025, 3, 10).getTime());
    expect(overview.until).toBe(new Date(2025, 4, 26).getTime());
    expect(overview.days).toHaveLength(46);
    expect(overview.days[0].day).toBe('2025-04-10');
    // The month of calls and the six demo calls.
    expect(overview.totals.calls).toBe(seeded.calls + 6);
    expect(overview.days.reduce((sum, d) => sum + d.calls, 0)).toBe(overview.totals.calls);
    expect(overview.totals.notConnected).toBeGreaterThan(0);
    expect(overview.totals.connected + overview.totals.notConnected).toBe(overview.totals.calls);
    expect(overview.totals.firstAudioMs.p50).toEqual(expect.any(Number));
    expect(overview.endings.map((e) => e.ending)).toEqual(expect.arrayContaining(['caller-hung-up', 'transferred', 'busy', 'in-progress']));
    expect(overview.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['check_availability', 'transfer_call']));
  });

  it('answers 400 naming a range it cannot read', async () => {
    const res = await get('/api/overview?since=someday&until=2025-05-01');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad range', problems: ['since: "someday" is not a date (try 2025-05-01, 24h or 7d)'] });
  });

  it('draws each chart beside a table of its numbers, with no script', async () => {
    const res = await get(`/calls/overview?${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const page = await res.text();
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain(`Days are in ${Intl.DateTimeFormat().resolvedOptions().timeZone}, the server's time zone`);
    expect(page).toContain('Calls that started <time');
    for (const title of ['Calls', 'Talk time', 'Estimated cost', 'First audio', 'Reply time', 'Barge-ins', 'Tool calls and transfers', 'How calls ended', 'Tools used']) {
      expect(page).toContain(`<section class="card chart-card" aria-label="${title}">`);
    }
    expect(page.match(/<svg class="chart chart-wide"/g)).toHaveLength(9);
    expect(page.match(/<svg class="chart chart-narrow"/g)).toHaveLength(9);
    expect(page.match(/<caption>/g)).toHaveLength(9);
    expect(page).toContain('<th scope="col">Day</th>');
    expect(page).toContain('<th scope="row">Apr 10</th>');
    // The form keeps the dates asked for; the quick ranges are whole local days.
    expect(page).toContain('name="since" value="2025-04-10"');
    expect(page).toMatch(/<a href="\/calls\/overview\?since=\d{4}-\d{2}-\d{2}">Last 7 days<\/a>/);
  });

  it('says so plainly when no call started in the range, and draws no chart', async () => {
    const page = await (await get('/calls/overview?since=2024-01-01&until=2024-01-31')).text();
    expect(page).toContain('No call started in these 31 days.');
    expect(page).not.toContain('<svg');
  });

  it('says what it could not understand, and shows the default range', async () => {
    const page = await (await get('/calls/overview?since=someday')).text();
    expect(page).toContain('since: &quot;someday&quot; is not a date');
  });

  it('is linked from the list', async () => {
    expect(await (await get('/calls')).text()).toContain('<a href="/calls/overview">Overview</a>');
  });

  it('puts the call page on a timeline, linked to the recording at each moment', async () => {
    const page = await (await get(`/calls/${FEATURED_CALL.callSid}`)).text();
    expect(page).toContain('<section class="card call-timeline" aria-label="Timeline">');
    expect(page.match(/<rect class="speech (caller|agent)/g)).toHaveLength(FEATURED_CALL.turns.length);
    // The interruption: the agent's turn at 22.4 s, cut after 7.2 s heard.
    expect(page).toContain(`href="/api/calls/${FEATURED_CALL.callSid}/recording#t=29.6"`);
    expect(page).toContain('<g class="marker barge-in" data-at="29600">');
    expect(page.match(/<g class="marker tool"/g)).toHaveLength(2);
  });
});
