import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTool } from '../src/tools';

interface Order {
  id: string;
  status: string;
  items: Array<{ name: string; quantity: number }>;
  expectedDelivery: string | null;
}

/** An example: orders from a JSON file next to this module, read at each call so edits apply at once. */
export default defineTool({
  name: 'lookup_order',
  description:
    'Look up an order by its number: its status, items and expected delivery date. ' +
    'Ask the caller for the order number first.',
  parameters: z.object({
    orderId: z.string().min(1).describe('The order number as the caller says it, e.g. 48213.'),
  }),
  handler: async ({ orderId }, ctx) => {
    // The model may pass "#48213" or "48 213".
    const id = orderId.replace(/[\s#-]/g, '').toUpperCase();
    const file = await readFile(join(__dirname, 'orders.json'), { encoding: 'utf8', signal: ctx.signal });
    const orders = JSON.parse(file) as Order[];
    const order = orders.find((o) => o.id.toUpperCase() === id);
    if (!order) return { found: false, message: `There is no order ${orderId}. Ask the caller to check the number.` };
    return { found: true, ...order };
  },
});
