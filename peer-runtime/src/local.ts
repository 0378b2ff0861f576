/**
 * `@handout/peer-runtime/local`: `runLocal` on its own. The SDK re-exports it from here rather than from the
 * package root, because the root also loads the signaling client (socket.io-client), the WebRTC transport and the
 * mesh roles, which a program that only runs DAGs on this machine never uses (about 200 ms of start-up).
 *
 * @module @handout/peer-runtime/local
 */
export { type RunLocalOptions, runLocal } from './engine/run-local.js';
