/**
 * An offline stand-in for the OpenAI HTTP API's `POST /v1/responses`, on plain http at 127.0.0.1 (the config takes
 * an http:// OPENAI_BASE_URL on this machine). The product calls it through the real openai SDK.
 *
 * Each request is answered as the test scripts it, in order: a completed response whose output text is the given
 * JSON (or any text, to model malformed output), an HTTP error with OpenAI's error body and headers (429 with
 * retry-after-ms, 500…), or no answer at all until the server closes (a timeout). Requests are kept for inspection.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Response as OpenAIResponse, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';

export type FakeReply =
  /** A completed response; an object is sent as its JSON text, a string as it is. */
  | { output: unknown; usage?: { input: number; cached: number; output: number } }
  | { status: number; message: string; code?: string; headers?: Record<string, string> }
  | { hang: true };

export interface ReceivedRequest {
  path: string;
  authorization: string | undefined;
  body: ResponseCreateParamsNonStreaming;
}

export class FakeOpenAIHttp {
  readonly requests: ReceivedRequest[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly baseURL: string,
    private readonly reply: (index: number, request: ReceivedRequest) => FakeReply,
  ) {}

  /** `replies` in order, the last one repeated; or a function of the request's index. */
  static async start(replies: FakeReply[] | ((index: number, request: ReceivedRequest) => FakeReply)): Promise<FakeOpenAIHttp> {
    const reply = Array.isArray(replies) ? (i: number) => replies[Math.min(i, replies.length - 1)] : replies;
    let fake: FakeOpenAIHttp | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeOpenAIHttp(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, reply);
    server.on('connection', (socket) => {
      fake!.sockets.add(socket);
      socket.on('close', () => fake!.sockets.delete(socket));
    });
    return fake;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/responses') {
      return sendJson(res, 404, { error: { message: `Unknown request URL: ${req.method} ${req.url}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    }
    const request: ReceivedRequest = { path: req.url, authorization: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
    this.requests.push(request);
    const reply = this.reply(this.requests.length - 1, request);
    if ('hang' in reply) return; // answered by nobody: the client's timeout ends it
    if ('status' in reply) {
      return sendJson(res, reply.status, { error: { message: reply.message, type: reply.status === 429 ? 'requests' : 'server_error', param: null, code: reply.code ?? null } }, reply.headers);
    }
    sendJson(res, 200, completedResponse(request.body, reply));
  }
}

function completedResponse(body: ResponseCreateParamsNonStreaming, reply: { output: unknown; usage?: { input: number; cached: number; output: number } }): OpenAIResponse {
  const text = typeof reply.output === 'string' ? reply.output : JSON.stringify(reply.output);
  const usage = reply.usage ?? { input: 900, cached: 0, output: 60 };
  return {
    id: `resp_${randomBytes(12).toString('hex')}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: String(body.model),
    output: [
      {
        type: 'message',
        id: `msg_${randomBytes(12).toString('hex')}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    output_text: text,
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached, cache_write_tokens: 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    metadata: null,
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    text: body.text,
  } as OpenAIResponse;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
