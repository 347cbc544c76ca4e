/** Jobs after a call: claiming them from the records and running them apart from calls, and how long to wait between tries. */
export { JobWorker, type JobWorkerOptions } from './worker';
export { backoffDelay, describeWait, type Backoff } from './backoff';
