/** The browser half of the platform pair (see platform/node.ts). */
export { browserRtc as platformRtc } from '../transport/rtc.browser.js';
export { createWorkerPool } from '../worker/pool.browser.js';

export const platformName = 'browser' as const;
