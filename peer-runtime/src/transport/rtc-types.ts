/**
 * The WebRTC classes a transport needs, injected (simple-peer's `wrtc` option) so one transport module runs on
 * Node (rtc.node.ts: node-datachannel) and in browsers (rtc.browser.ts: the page's own).
 */
export interface RtcImplementation {
  readonly RTCPeerConnection: typeof RTCPeerConnection;
  readonly RTCSessionDescription: typeof RTCSessionDescription;
  readonly RTCIceCandidate: typeof RTCIceCandidate;
}
