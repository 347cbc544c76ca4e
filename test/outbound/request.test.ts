import { parsePlaceRequest } from '../../src/outbound/request';

describe('the body of POST /api/calls', () => {
  it('takes a number and, optionally, the persona, greeting, caller ID, context and answering machine choice', () => {
    expect(parsePlaceRequest({ to: ' +14155550123 ' })).toEqual({ ok: true, request: { to: '+14155550123', machine: 'hangup' } });
    expect(
      parsePlaceRequest({
        to: '+14155550123',
        persona: 'personas/appointment-booking.md',
        greeting: 'Hi, this is Sam.',
        from: '+14155550100',
        context: 'Remind Maria of Tuesday.',
        machine: 'message',
        machineMessage: 'Please call us back.',
      }),
    ).toEqual({
      ok: true,
      request: {
        to: '+14155550123',
        persona: 'personas/appointment-booking.md',
        greeting: 'Hi, this is Sam.',
        from: '+14155550100',
        context: 'Remind Maria of Tuesday.',
        machine: 'message',
        machineMessage: 'Please call us back.',
      },
    });
  });

  it('leaves a message when one is given, unless told to hang up, which contradicts it', () => {
    expect(parsePlaceRequest({ to: '+14155550123', machineMessage: 'Call us.' })).toMatchObject({ request: { machine: 'message', machineMessage: 'Call us.' } });
    expect(parsePlaceRequest({ to: '+14155550123', machine: 'hangup', machineMessage: 'Call us.' })).toEqual({ ok: false, reason: '"machineMessage" is left only with "machine": "message"' });
  });

  it('says what is wrong with a body it cannot take', () => {
    const reason = (body: unknown) => (parsePlaceRequest(body) as { reason: string }).reason;
    expect(reason(undefined)).toMatch(/send a JSON object/);
    expect(reason([{ to: '+1' }])).toMatch(/send a JSON object/);
    expect(reason({})).toBe('"to" is required: the number to call, in E.164 form (+14155550123)');
    expect(reason({ to: 14155550123 })).toMatch(/^"to" is required/);
    expect(reason({ to: '+14155550123', machine: 'voicemail' })).toBe('"machine" must be "hangup" or "message"');
    expect(reason({ to: '+14155550123', greeting: '  ' })).toBe('"greeting" must not be empty');
    expect(reason({ to: '+14155550123', context: 'x'.repeat(4001) })).toBe('"context" must be at most 4000 characters');
    expect(reason({ to: '+14155550123', voice: 'ash', record: true })).toBe('unknown fields: voice, record');
  });
});
