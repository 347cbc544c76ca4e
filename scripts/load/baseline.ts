/**
 * The baseline for `npm run load`: the smallest bridge that works, as the official Twilio + OpenAI Realtime
 * sample builds it, run as its own process under the same simulated callers. On each Twilio media frame one
 * `input_audio_buffer.append` with the payload as it came; on each model audio delta one Twilio `media` and
 * one `mark`; `audio/pcmu` both ways; on `speech_started` a `clear` and a truncate at the time elapsed on
 * Twilio's media clock since the reply's first delta. No validation, no records, no pacing, no reconnects.
 *
 * Environment: PORT, PUBLIC_URL (the host put in the TwiML), OPENAI_API_KEY, OPENAI_BASE_URL (https://host/v1),
 * OPENAI_REALTIME_MODEL, AGENT_GREETING. The model's TLS certificate is trusted through NODE_EXTRA_CA_CERTS.
 */
import http from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 3000);
const publicHost = new URL(process.env.PUBLIC_URL ?? `https://localhost:${port}`).host;
const apiKey = process.env.OPENAI_API_KEY ?? '';
const realtimeUrl = `${(process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1').replace(/^http/, 'ws')}/realtime?model=${
  process.env.OPENAI_REALTIME_MODEL ?? 'gpt-realtime'
}`;
const greeting = process.env.AGENT_GREETING ?? 'Hello! How can I help you today?';
const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://${publicHost}/media-stream" /></Connect></Response>`;

let activeCalls = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/incoming-call') {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(twiml);
    });
    return;
  }
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', activeCalls }));
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/media-stream') return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => bridge(ws));
});

function bridge(twilio: WebSocket): void {
  activeCalls++;
  let streamSid: string | undefined;
  let latestMediaTimestamp = 0;
  let lastAssistantItem: string | undefined;
  let responseStartTimestamp: number | undefined;
  let marks: string[] = [];
  let greeted = false;

  const openai = new WebSocket(realtimeUrl, { headers: { Authorization: `Bearer ${apiKey}` } });
  const toModel = (event: object) => openai.readyState === WebSocket.OPEN && openai.send(JSON.stringify(event));
  const toTwilio = (message: object) => twilio.readyState === WebSocket.OPEN && twilio.send(JSON.stringify(message));

  openai.on('open', () =>
    toModel({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        instructions: 'You are a helpful, concise assistant on the phone.',
        audio: {
          input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' } },
          output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
        },
      },
    }),
  );
  openai.on('message', (data) => {
    const event = JSON.parse(data.toString());
    switch (event.type) {
      case 'session.updated':
        if (!greeted) {
          greeted = true;
          toModel({ type: 'response.create', response: { instructions: `Greet the caller by saying exactly: "${greeting}"` } });
        }
        break;
      case 'response.output_audio.delta':
        toTwilio({ event: 'media', streamSid, media: { payload: event.delta } });
        responseStartTimestamp ??= latestMediaTimestamp;
        if (event.item_id) lastAssistantItem = event.item_id;
        if (streamSid) {
          toTwilio({ event: 'mark', streamSid, mark: { name: 'responsePart' } });
          marks.push('responsePart');
        }
        break;
      case 'input_audio_buffer.speech_started':
        if (marks.length > 0 && responseStartTimestamp !== undefined) {
          const elapsed = latestMediaTimestamp - responseStartTimestamp;
          if (lastAssistantItem) toModel({ type: 'conversation.item.truncate', item_id: lastAssistantItem, content_index: 0, audio_end_ms: elapsed });
          toTwilio({ event: 'clear', streamSid });
          marks = [];
          lastAssistantItem = undefined;
          responseStartTimestamp = undefined;
        }
        break;
    }
  });
  openai.on('error', () => twilio.close());
  openai.on('close', () => twilio.close());

  twilio.on('message', (data) => {
    const message = JSON.parse(data.toString());
    switch (message.event) {
      case 'start':
        streamSid = message.start.streamSid;
        latestMediaTimestamp = 0;
        responseStartTimestamp = undefined;
        break;
      case 'media':
        latestMediaTimestamp = Number(message.media.timestamp);
        toModel({ type: 'input_audio_buffer.append', audio: message.media.payload });
        break;
      case 'mark':
        marks.shift();
        break;
    }
  });
  twilio.on('close', () => {
    activeCalls--;
    if (openai.readyState === WebSocket.OPEN) openai.close();
    else openai.terminate();
  });
  twilio.on('error', () => undefined);
}

server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
