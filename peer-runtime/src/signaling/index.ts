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
  signalingUrls,
} from './client.js';
export * from './contract.js';
export {
  base64urlDecode,
  base64urlEncode,
  constantTimeEqual,
  type HmacKey,
  KID_PATTERN,
  keyIdOf,
  parseTtl,
  signToken,
  TokenError,
  type TokenErrorReason,
  type TokenPayload,
} from './token.js';
export { readTokenClaims, type TokenClaims, TokenFormatError } from './token-claims.js';
export {
  createTokenVerifier,
  JWKS_ALGORITHMS,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './token-verify.js';
export {
  mergeUpdate,
  type Validation,
  validateHandshake,
  validateIceServers,
  validateMembersChanged,
  validateMeshSnapshot,
  validatePeerInfo,
  validatePeerLeft,
  validatePeerUpdate,
  validateSessionClosing,
  validateSignalData,
  validateSignalFrom,
  validateSignalTo,
  validateTokenExpiring,
  validateTokenRenew,
} from './validate.js';
