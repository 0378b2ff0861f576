/**
 * RTCPeerConnection for Node: node-datachannel's W3C polyfill (libdatachannel; installs from the registry
 * with no download, measured here at 42–46 MB/s through simple-peer against 18–23 MB/s for @roamhq/wrtc).
 *
 * The polyfill's createOffer/createAnswer return RTCSessionDescription objects whose `sdp` is a read-only
 * getter; simple-peer assigns `offer.sdp = ...` (to filter trickle lines and munge), which throws in strict
 * mode. The subclass below hands simple-peer plain `{ type, sdp }` objects instead.
 *
 * The polyfill also passes TURN credentials to libdatachannel inside a URL (`turn:user:pass@host`), which
 * libdatachannel splits at the first `:` and then percent-decodes. A TURN REST username is `expiry:peerId` and a
 * password base64 (`+`, `/`, `=`), so both are percent-encoded here first; unencoded, coturn sees the username
 * `<expiry>` and refuses it (measured: "Cannot find credentials of user <1796307535>").
 */
import {
  RTCPeerConnection as PolyfillPeerConnection,
  RTCIceCandidate,
  RTCSessionDescription,
} from 'node-datachannel/polyfill';
import type { RtcImplementation } from './rtc-types.js';

/** `config` with every ICE server's username and credential percent-encoded for libdatachannel's URL form. */
export function encodeIceCredentials(config: RTCConfiguration | undefined): RTCConfiguration | undefined {
  if (!config?.iceServers) return config;
  return {
    ...config,
    iceServers: config.iceServers.map((server) => ({
      ...server,
      ...(typeof server.username === 'string' && { username: encodeURIComponent(server.username) }),
      ...(typeof server.credential === 'string' && { credential: encodeURIComponent(server.credential) }),
    })),
  };
}

class PlainDescriptionPeerConnection extends PolyfillPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(encodeIceCredentials(config));
  }

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
