import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from './log';

/**
 * The last handler of the app. Express's own shows the error's stack to anyone; this answers with the status
 * of a client error (a body too large, malformed JSON) or 500, and only the status text. Server errors are
 * logged, with their stack, for us instead.
 */
export function errorHandler(log?: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const status = clientErrorStatus(err) ?? 500;
    if (status >= 500) log?.error('request failed', { method: req.method, path: req.originalUrl.split('?')[0], error: err });
    // Too late for a status: end the connection so the client sees a broken response, not a complete one.
    if (res.headersSent) return void req.socket.destroy();
    res.status(status).type('text').send(STATUS_CODES[status]);
  };
}

/** The 4xx status an http error (body-parser's, http-errors') carries, if it carries one. */
function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const code = status ?? statusCode;
  return Number.isInteger(code) && (code as number) >= 400 && (code as number) < 500 ? (code as number) : undefined;
}
