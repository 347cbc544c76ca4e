/** Calling the agent from a browser: the page, its one-time tickets, and the live view of the call. */
export { createSoftphoneRouter, type SoftphoneDeps } from './routes';
export { SoftphoneTickets, type Ticket, type Redemption } from './tickets';
export { showOnPage } from './liveView';
export { isSameOrigin } from './origin';
