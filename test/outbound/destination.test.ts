import { allowedPrefixes, callingCode, destinationRefusal, isE164 } from '../../src/outbound';

describe('where placed calls may go', () => {
  it('takes E.164 numbers only', () => {
    expect(isE164('+14155550123')).toBe(true);
    expect(isE164('+442079460000')).toBe(true);
    for (const bad of ['14155550123', '+1 415 555 0123', '(415) 555-0123', '+0123456789', '+1415', '+1234567890123456', '']) expect(isE164(bad)).toBe(false);
    expect(destinationRefusal('415-555-0123', '+14155550100', undefined)).toMatch(/^"to" must be a phone number in E\.164 form/);
    expect(destinationRefusal('+14155550123', '4155550100', undefined)).toMatch(/^"from" must be a phone number in E\.164 form/);
  });

  it('knows the country calling code of a number, one to three digits long', () => {
    expect(callingCode('+14155550123')).toBe('+1');
    expect(callingCode('+442079460000')).toBe('+44');
    expect(callingCode('+35312345678')).toBe('+353');
    expect(callingCode('+4930123456')).toBe('+49');
    expect(callingCode('+999123456')).toBeUndefined();
  });

  it('lets calls go only to the caller ID\'s own country unless told otherwise', () => {
    expect(allowedPrefixes('+14155550100', undefined)).toEqual(['+1']);
    expect(allowedPrefixes('+442079460000', undefined)).toEqual(['+44']);
    expect(allowedPrefixes('+14155550100', ['+1415', '+44'])).toEqual(['+1415', '+44']);

    expect(destinationRefusal('+16505550123', '+14155550100', undefined)).toBeUndefined();
    expect(destinationRefusal('+442079460000', '+14155550100', undefined)).toBe(
      '+442079460000 is not an allowed destination: calls may go to numbers starting with +1 (OUTBOUND_ALLOWED_PREFIXES)',
    );
    expect(destinationRefusal('+442079460000', '+14155550100', ['+1', '+44'])).toBeUndefined();
    expect(destinationRefusal('+16505550123', '+14155550100', ['+1415'])).toMatch(/starting with \+1415 /);
    expect(destinationRefusal('+14155550123', '+14155550100', ['+1415'])).toBeUndefined();
  });

  it('never dials premium-rate, shared-cost or personal numbers, whatever the allow-list says', () => {
    expect(destinationRefusal('+19005550123', '+14155550100', undefined)).toBe('+19005550123 is a premium-rate number: calls to it are never placed');
    expect(destinationRefusal('+449098790000', '+442079460000', undefined)).toMatch(/premium-rate number/);
    expect(destinationRefusal('+33810123456', '+33123456789', undefined)).toMatch(/shared-cost number/);
    expect(destinationRefusal('+447012345678', '+442079460000', ['+44'])).toMatch(/personal number \(forwarded, at a premium\)/);
    // Fictional or unknown numbers are Twilio's to judge.
    expect(destinationRefusal('+15555550123', '+14155550100', undefined)).toBeUndefined();
  });
});
