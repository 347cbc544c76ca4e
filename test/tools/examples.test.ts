import getCurrentTime from '../../tools/get_current_time';
import lookupOrder from '../../tools/lookup_order';
import { ToolRegistry } from '../../src/tools';
import { callContext, toolSettings } from './helpers';

const now = new Date('2026-06-12T14:05:00Z');
const ctx = () => ({ ...callContext(), now });

describe('get_current_time', () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('tells the time in UTC without TZ, in TZ when set, and in the zone asked for', () => {
    delete process.env.TZ;
    expect(getCurrentTime.handler({}, ctx())).toEqual({
      timeZone: 'UTC',
      iso: '2026-06-12T14:05:00.000Z',
      spoken: 'Friday, June 12, 2026 at 2:05 PM',
    });
    process.env.TZ = 'America/New_York';
    expect(getCurrentTime.handler({}, ctx())).toMatchObject({
      timeZone: 'America/New_York',
      spoken: 'Friday, June 12, 2026 at 10:05 AM',
    });
    expect(getCurrentTime.handler({ timeZone: 'Asia/Tokyo' }, ctx())).toMatchObject({
      timeZone: 'Asia/Tokyo',
      spoken: 'Friday, June 12, 2026 at 11:05 PM',
    });
  });

  it('says so for an unknown time zone', () => {
    expect(getCurrentTime.handler({ timeZone: 'Mars/Olympus' }, ctx())).toEqual({
      error: 'Unknown time zone Mars/Olympus: use an IANA name such as Europe/Paris.',
    });
  });

  it('runs through the registry with its clock', async () => {
    const registry = new ToolRegistry(toolSettings(), [getCurrentTime], () => now);
    const outcome = await registry.run('get_current_time', '{"timeZone":"Europe/Paris"}', callContext());
    expect(outcome).toMatchObject({ kind: 'result', ok: true });
    const time = outcome.kind === 'result' && JSON.parse(outcome.output);
    expect(time).toMatchObject({ spoken: 'Friday, June 12, 2026 at 4:05 PM' });
  });
});

describe('lookup_order', () => {
  it('finds an order from tools/orders.json, whatever the caller adds around the number', async () => {
    const expected = { found: true, id: '48213', status: 'shipped', expectedDelivery: '2026-06-12' };
    await expect(lookupOrder.handler({ orderId: '48213' }, ctx())).resolves.toMatchObject(expected);
    await expect(lookupOrder.handler({ orderId: '#48 213' }, ctx())).resolves.toMatchObject({
      ...expected,
      items: [{ name: 'Espresso machine', quantity: 1 }],
    });
  });

  it('says when there is no such order', async () => {
    await expect(lookupOrder.handler({ orderId: '99999' }, ctx())).resolves.toEqual({
      found: false,
      message: 'There is no order 99999. Ask the caller to check the number.',
    });
  });

  it('needs an order number', async () => {
    const outcome = await new ToolRegistry(toolSettings(), [lookupOrder]).run('lookup_order', '{}', callContext());
    expect(outcome).toMatchObject({ kind: 'result', ok: false });
    expect(outcome.kind === 'result' && outcome.output).toContain('Invalid arguments: orderId: ');
  });
});
