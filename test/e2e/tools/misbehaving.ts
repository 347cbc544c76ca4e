import { z } from 'zod';
import { defineTool } from '../../../src/tools';

/** Operator tools that go wrong, for the end-to-end test: one never answers, one throws. */
export default [
  defineTool({
    name: 'check_stock',
    description: 'Checks stock; in this test it never answers.',
    parameters: z.object({}),
    handler: (_args, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('too late'))),
  }),
  defineTool({
    name: 'book_table',
    description: 'Books a table; in this test it always fails.',
    parameters: z.object({ people: z.number() }),
    handler: () => {
      throw new Error('reservation system down');
    },
  }),
];
