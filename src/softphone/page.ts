import { html } from '../review/html';
import { page } from '../review/pages';

/** Where the page's own scripts are served from (public/phone/). */
export const SCRIPT_PATH = '/phone/static';

/**
 * The softphone: a call to the agent from this browser. Static markup only; public/phone/phone.js does the rest
 * (and writes what people said with textContent, never as markup).
 */
export function renderPhonePage(options: { agentName: string }): string {
  return page(
    'Softphone · Call records',
    html`<h1>Softphone</h1>
<p class="muted">Talk to ${options.agentName} from this browser: the same call as on the phone, with barge-in, tools, limits and a call
record. Use headphones for the best result.</p>
<section class="card phone" aria-label="Phone">
  <div class="phone-status">
    <span id="status" class="status" role="status">Ready</span>
    <span id="timer" class="timer num" aria-label="Call length">0:00</span>
  </div>
  <div class="speakers" aria-label="Who is speaking">
    <span id="you" class="speaker">You</span>
    <span id="agent" class="speaker">${options.agentName}</span>
  </div>
  <div class="phone-actions">
    <button id="call" type="button" disabled>Call</button>
    <button id="hangup" type="button" class="hangup" disabled>Hang up</button>
  </div>
  <p id="record" class="record" hidden>The call's record: <a id="record-link" href="/calls"></a></p>
  <noscript><div class="alert">The softphone needs JavaScript.</div></noscript>
</section>
<h2>Transcript</h2>
<section id="transcript" class="card transcript live" aria-label="Transcript" aria-live="polite">
  <div class="empty">What you and the agent say appears here, as you heard it.</div>
</section>`,
    { signedIn: true, scripts: [`${SCRIPT_PATH}/phone.js`] },
  );
}
