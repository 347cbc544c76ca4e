import { z } from 'zod';
import { defineTool } from '../src/tools';

/** An example: the date and time, in the caller's time zone when the model knows it. */
export default defineTool({
  name: 'get_current_time',
  description:
    'The current date and time. Use it when the caller asks for the time or the date, or says "today" or "tomorrow".',
  parameters: z.object({
    timeZone: z
      .string()
      .optional()
      .describe("An IANA time zone such as Europe/Paris or America/New_York; leave it out for the office's time zone."),
  }),
  handler: ({ timeZone }, ctx) => {
    const zone = timeZone ?? (process.env.TZ || 'UTC');
    try {
      const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, dateStyle: 'full', timeStyle: 'short' });
      return { timeZone: zone, iso: ctx.now.toISOString(), spoken: format.format(ctx.now) };
    } catch {
      return { error: `Unknown time zone ${zone}: use an IANA name such as Europe/Paris.` };
    }
  },
});
