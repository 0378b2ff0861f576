/**
 * `@handout/signaling-server`: `createSignalingServer()`, its options (each with its default) and the server
 * it returns.
 *
 * @module @handout/signaling-server
 */
export type { SignalingMetrics } from './metrics.js';
export type { RateLimitOptions } from './rate-limit.js';
export {
  createSignalingServer,
  type IssueTokenOptions,
  type SignalingLogger,
  type SignalingServer,
  type SignalingServerOptions,
} from './server.js';
