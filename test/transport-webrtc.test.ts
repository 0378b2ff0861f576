/**
 * The Transport contract over real WebRTC: node-datachannel peers in this process, meeting through an
 * in-process signal hub. Run inside test/netns/run.sh so no packet leaves the machine (the ICE list is empty).
 */

import { nodeRtc } from '../peer-runtime/src/transport/rtc.node.js';
import { createWebRtcTransport } from '../peer-runtime/src/transport/webrtc.js';
import { transportContract } from '../peer-runtime/test/transport/contract.js';
import { SignalHub } from '../peer-runtime/test/transport/signal-hub.js';

transportContract('webrtc (node-datachannel)', async () => {
  const hub = new SignalHub();
  return {
    peer: async (peerId, options) => {
      const member = hub.join(peerId);
      const transport = createWebRtcTransport({
        ...options,
        peerId,
        signals: member,
        directory: member,
        rtc: nodeRtc(),
      });
      const close = transport.close.bind(transport);
      return Object.assign(transport, {
        close: async () => {
          member.leave();
          await close();
        },
      });
    },
    close: async () => {},
  };
});
