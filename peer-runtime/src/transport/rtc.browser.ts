/** RTCPeerConnection in browsers: the page's own. (Paired with rtc.node.ts; select one per platform.) */
import type { RtcImplementation } from './rtc-types.js';

export function browserRtc(): RtcImplementation {
  if (typeof globalThis.RTCPeerConnection !== 'function') {
    throw new Error('this browser has no RTCPeerConnection (WebRTC disabled?)');
  }
  return {
    RTCPeerConnection: globalThis.RTCPeerConnection,
    RTCSessionDescription: globalThis.RTCSessionDescription,
    RTCIceCandidate: globalThis.RTCIceCandidate,
  };
}
