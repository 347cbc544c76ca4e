import { parsePhoneNumber, type PhoneNumberType } from 'libphonenumber-js/max';

/** Where placed calls may go: pure checks, so a leaked admin token cannot run up a bill on costly numbers. */

const E164 = /^\+[1-9]\d{6,14}$/;

/** Numbers billed above the normal rate: never dialled, whatever the allow-list says. */
const COSTLY_TYPES: Partial<Record<PhoneNumberType, string>> = {
  PREMIUM_RATE: 'a premium-rate number',
  SHARED_COST: 'a shared-cost number',
  PERSONAL_NUMBER: 'a personal number (forwarded, at a premium)',
};

export function isE164(number: string): boolean {
  return E164.test(number);
}

/** `+1`, `+44`, `+353`…: the country calling code an E.164 number starts with; undefined when none is known. */
export function callingCode(number: string): string | undefined {
  try {
    return `+${parsePhoneNumber(number).countryCallingCode}`;
  } catch {
    return undefined;
  }
}

/** The prefixes a call from `from` may go to: the configured ones, or the caller ID's own country calling code. */
export function allowedPrefixes(from: string, configured: readonly string[] | undefined): string[] {
  if (configured) return [...configured];
  const code = callingCode(from);
  return code ? [code] : [];
}

/** Why a call from `from` to `to` must not be placed, or undefined when it may. */
export function destinationRefusal(to: string, from: string, configuredPrefixes: readonly string[] | undefined): string | undefined {
  if (!isE164(to)) return `"to" must be a phone number in E.164 form, e.g. +14155550123 (got "${to}")`;
  if (!isE164(from)) return `"from" must be a phone number in E.164 form, e.g. +14155550123 (got "${from}")`;
  const prefixes = allowedPrefixes(from, configuredPrefixes);
  if (!prefixes.some((prefix) => to.startsWith(prefix))) {
    return `${to} is not an allowed destination: calls may go to numbers starting with ${prefixes.join(', ') || '(none)'} (OUTBOUND_ALLOWED_PREFIXES)`;
  }
  const type = numberType(to);
  const costly = type && COSTLY_TYPES[type];
  if (costly) return `${to} is ${costly}: calls to it are never placed`;
  return undefined;
}

function numberType(number: string): PhoneNumberType | undefined {
  try {
    return parsePhoneNumber(number).getType();
  } catch {
    return undefined;
  }
}
