/**
 * `@handout/peer-runtime/signaling`: the signaling contract (events, payloads, validators), tokens and the
 * client. The signaling server imports this subpath and nothing else of peer-runtime.
 *
 * @module @handout/peer-runtime/signaling
 */

export {
  connectSignaling,
  type SignalingClient,
  type SignalingClientEvents,
  type SignalingClientOptions,
  SignalingError,
  type SignalingErrorCode,
  SignalingRefusedError,
} from './client.js';
export * from './contract.js';
export {
  base64urlDecode,
  base64urlEncode,
  constantTimeEqual,
  parseTtl,
  signToken,
  TokenError,
  type TokenErrorReason,
  type TokenPayload,
  verifyToken,
} from './token.js';
export {
  mergeUpdate,
  type Validation,
  validateHandshake,
  validateMeshSnapshot,
  validatePeerInfo,
  validatePeerLeft,
  validatePeerUpdate,
  validateSignalData,
  validateSignalFrom,
  validateSignalTo,
} from './validate.js';
