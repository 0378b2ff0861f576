/** The contributing peer's role: runs assigned functions on its worker pool and serves the results it holds. */
export {
  type AgentStats,
  createPeerAgent,
  INLINE_RESULT_LIMIT,
  type PeerAgent,
  type PeerAgentOptions,
} from './peer-agent.js';
export type { AgentReplyCounts } from './replies.js';
