/**
 * `@handout/signaling-server`: `createSignalingServer()`, its options (each with its default) and the server
 * it returns.
 *
 * @module @handout/signaling-server
 */
export { ADDRESS_LIMIT_DEFAULTS, type AddressLimitOptions } from './address-limits.js';
export { deriveFetchKey, deriveMeshKey } from './mesh-key.js';
export type { SignalingMetrics } from './metrics.js';
export { SERVER_DEFAULTS, type SignalingLogger, type SignalingServerOptions } from './options.js';
export type { RateLimitOptions } from './rate-limit.js';
export { createSignalingServer, type IssueTokenOptions, type SignalingServer } from './server.js';
export {
  checkIceUrls,
  DEFAULT_TURN_TTL_SECONDS,
  iceServersFor,
  MIN_TURN_TTL_SECONDS,
  type TurnOptions,
  turnCredential,
} from './turn-credentials.js';
