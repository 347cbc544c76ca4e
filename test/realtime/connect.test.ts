import { createHash } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { realtimeOpener } from '../../src/realtime';
import { localCertificate } from '../support/localCertificate';

/** A TLS websocket endpoint that accepts any upgrade and keeps the raw bytes each client sends after it. */
async function rawEndpoint() {
  const { key, cert } = await localCertificate();
  const server = https.createServer({ key, cert });
  const received: Buffer[][] = [];
  const sockets: Duplex[] = [];
  server.on('upgrade', (req, socket: Duplex) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const chunks: Buffer[] = [];
    received.push(chunks);
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseURL = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const close = () => {
    sockets.forEach((s) => s.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { ca: cert, baseURL, received, close };
}

describe('realtimeOpener', () => {
  it('opens every socket on one TLS context and sends frames whose mask is zero', async () => {
    const endpoint = await rawEndpoint();
    // tls.connect makes a context through this same export when it is given none.
    const contexts = jest.spyOn(tls, 'createSecureContext');
    try {
      const open = realtimeOpener({ apiKey: 'sk-test', model: 'gpt-realtime', baseURL: endpoint.baseURL }, { ca: endpoint.ca });
      const sockets = [open(), open()];
      await Promise.all(sockets.map((rt) => new Promise((resolve) => rt.socket.once('open', resolve))));
      expect(contexts).toHaveBeenCalledTimes(1);

      // Which connection the endpoint saw first is a race: both sockets send, and both frames are read.
      const message = '{"type":"input_audio_buffer.append","audio":"AAAA"}';
      sockets.forEach((rt) => rt.socket.send(message));
      const frames = () => endpoint.received.map((chunks) => Buffer.concat(chunks));
      await new Promise<void>((resolve) => {
        const check = () => (frames().every((f) => f.length >= message.length + 6) ? resolve() : setTimeout(check, 5));
        check();
      });
      for (const frame of frames()) {
        expect(frame[0]).toBe(0x81); // final text frame
        expect(frame[1]).toBe(0x80 | message.length); // masked, as a client must
        expect([...frame.subarray(2, 6)]).toEqual([0, 0, 0, 0]);
        expect(frame.subarray(6).toString()).toBe(message);
      }
      sockets.forEach((rt) => rt.socket.terminate());
    } finally {
      contexts.mockRestore();
      await endpoint.close();
    }
  });
});
