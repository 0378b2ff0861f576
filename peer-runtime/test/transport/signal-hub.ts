/**
 * Test helper: an in-process signal relay, so WebRTC transports in one process can meet without a signaling
 * server. Each member gets a SignalRelay (and a PeerDirectory) like the signaling client's. Signals are
 * delivered in order on a later tick, as over a socket.
 */
import type { SignalData, SignalRelay } from '../../src/signaling/contract.js';
import type { PeerDirectory } from '../../src/transport/webrtc.js';

export interface HubMember extends SignalRelay, PeerDirectory {
  leave(): void;
}

export class SignalHub {
  private readonly members = new Map<string, Set<(from: string, data: SignalData) => void>>();
  private readonly leftListeners = new Set<(message: { peerId: string }) => void>();
  signalsRelayed = 0;

  join(peerId: string): HubMember {
    const listeners = new Set<(from: string, data: SignalData) => void>();
    this.members.set(peerId, listeners);
    const ownLeft = new Set<(message: { peerId: string }) => void>();
    return {
      sendSignal: (to, data) => {
        const target = this.members.get(to);
        if (!target) return;
        this.signalsRelayed++;
        const copy = JSON.parse(JSON.stringify(data)) as SignalData;
        setImmediate(() => {
          for (const l of target) l(peerId, copy);
        });
      },
      onSignal: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      peer: (id) => (this.members.has(id) ? { peerId: id } : undefined),
      on: (_event, listener) => {
        ownLeft.add(listener);
        this.leftListeners.add(listener);
        return () => {
          ownLeft.delete(listener);
          this.leftListeners.delete(listener);
        };
      },
      leave: () => {
        if (this.members.get(peerId) !== listeners) return;
        this.members.delete(peerId);
        for (const l of ownLeft) this.leftListeners.delete(l);
        for (const l of [...this.leftListeners]) l({ peerId });
      },
    };
  }
}
