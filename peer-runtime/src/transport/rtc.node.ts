/**
 * RTCPeerConnection for Node: node-datachannel's W3C polyfill (libdatachannel; installs from the registry
 * with no download, measured here at 42–46 MB/s through simple-peer against 18–23 MB/s for @roamhq/wrtc).
 *
 * The polyfill's createOffer/createAnswer return RTCSessionDescription objects whose `sdp` is a read-only
 * getter; simple-peer assigns `offer.sdp = ...` (to filter trickle lines and munge), which throws in strict
 * mode. The subclass below hands simple-peer plain `{ type, sdp }` objects instead.
 */
import {
  RTCPeerConnection as PolyfillPeerConnection,
  RTCIceCandidate,
  RTCSessionDescription,
} from 'node-datachannel/polyfill';
import type { RtcImplementation } from './rtc-types.js';

class PlainDescriptionPeerConnection extends PolyfillPeerConnection {
  override async createOffer(): Promise<RTCSessionDescriptionInit> {
    const offer = await super.createOffer();
    return { type: offer.type, sdp: offer.sdp };
  }

  override async createAnswer(): Promise<RTCSessionDescriptionInit> {
    const answer = await super.createAnswer();
    return { type: answer.type, sdp: answer.sdp };
  }
}

export function nodeRtc(): RtcImplementation {
  return {
    RTCPeerConnection: PlainDescriptionPeerConnection as unknown as RtcImplementation['RTCPeerConnection'],
    RTCSessionDescription: RTCSessionDescription as unknown as RtcImplementation['RTCSessionDescription'],
    RTCIceCandidate: RTCIceCandidate as unknown as RtcImplementation['RTCIceCandidate'],
  };
}
