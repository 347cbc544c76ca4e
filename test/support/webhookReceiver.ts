import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  headers: { id: string; timestamp: string; signature: string };
  body: string;
  /** The payload, when its signature verified with the secret; undefined when it did not. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | undefined;
  /** What the receiver answered: a status, or nothing (it hung). */
  answered: number | 'hung';
}

/**
 * A webhook receiver on 127.0.0.1 as an operator would write one: it verifies each request with the Standard
 * Webhooks library and the shared secret, and answers as the test says (a status by request index, or no answer).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(secret: string, answer: (index: number) => number | 'hang' = () => 204): Promise<WebhookReceiver> {
    const verifier = new Webhook(secret);
    let receiver: WebhookReceiver | undefined;
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']) };
      let verified: ReceivedWebhook['verified'];
      try {
        verified = verifier.verify(body, { 'webhook-id': headers.id, 'webhook-timestamp': headers.timestamp, 'webhook-signature': headers.signature }) as ReceivedWebhook['verified'];
      } catch {
        verified = undefined;
      }
      const reply = answer(receiver!.received.length);
      receiver!.received.push({ headers, body, verified, answered: reply === 'hang' ? 'hung' : reply });
      if (reply === 'hang') return;
      res.writeHead(verified ? reply : 400).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/calls`);
    server.on('connection', (socket) => {
      receiver!.sockets.add(socket);
      socket.on('close', () => receiver!.sockets.delete(socket));
    });
    return receiver;
  }

  /** Resolves once a request for which `check` holds has arrived (within `timeoutMs`). */
  async waitFor(check: (received: ReceivedWebhook) => boolean, timeoutMs = 10_000): Promise<ReceivedWebhook> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(check);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such webhook within ${timeoutMs} ms (received ${this.received.length})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
