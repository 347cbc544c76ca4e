import type { LineStart } from './line';
import type { TwilioStart } from './mediaStream';
import { MediaStreamLine, type MediaStreamLineOptions, type MediaStreamSocket } from './mediaStreamLine';

export interface BrowserLineOptions extends MediaStreamLineOptions {
  /** The browser's User-Agent header: the caller, in the call's record. */
  userAgent: string;
}

/** The longest `from` a web call records: user agents can be long, and any client may send any header. */
export const MAX_USER_AGENT_CHARS = 200;

/** What the softphone page is told beside the Media Streams messages: the call as it goes. */
export type PageEvent =
  /**
   * A turn of the conversation as the caller heard it, `atMs` into the call, once committed: an agent turn once it
   * has played out or was cut.
   */
  | { event: 'transcript'; role: 'caller' | 'agent'; text: string; atMs: number; interrupted: boolean; heardMs?: number; spokenMs?: number }
  /** The caller talked over the agent: its playback was cleared after `heardMs` of the reply. */
  | { event: 'barge-in'; heardMs: number }
  /** Something the call did, in one line (a tool call, a key press, an error, a reconnect). */
  | { event: 'call-event'; type: string; summary: string }
  /** The agent handed the caller to `number`; a browser call cannot be put through, so it ends here. */
  | { event: 'transfer'; number: string }
  /** The call is over, for `reason` (an end reason of the call records). */
  | { event: 'ended'; reason: string };

/**
 * A caller on the softphone page: the same Media Streams messages as Twilio's, over a websocket the page opened
 * with a one-time ticket. The page is also told the transcript and how the call ends (`show`).
 */
export class BrowserLine extends MediaStreamLine {
  constructor(
    ws: MediaStreamSocket,
    private readonly browserOptions: BrowserLineOptions,
  ) {
    super(ws, browserOptions, 'the browser');
  }

  show(event: PageEvent): void {
    this.send(JSON.stringify(event));
  }

  /** The call commits its last turns and its end reason right after hanging up: they reach the page first. */
  override hangUp(): void {
    setImmediate(() => super.hangUp());
  }

  /** There is no phone network to dial into: the page learns where the agent would have put the caller through. */
  transfer(number: string): void {
    this.show({ event: 'transfer', number });
    this.hangUp();
  }

  protected caller(_start: TwilioStart): Pick<LineStart, 'from' | 'to' | 'direction'> {
    return { from: this.browserOptions.userAgent.slice(0, MAX_USER_AGENT_CHARS), to: 'softphone', direction: 'web' };
  }
}
