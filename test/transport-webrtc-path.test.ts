/**
 * How WebRTC links say how they connected, and why they did not: the selected candidate pair of a link on the
 * flat test network, and the error of a set-up whose ICE cannot succeed. Run inside test/netns/run.sh.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { SignalData, SignalRelay } from '../peer-runtime/src/signaling/contract.js';
import { LinkSetupError, linkSetupErrorIn } from '../peer-runtime/src/transport/frame-link.js';
import { nodeRtc } from '../peer-runtime/src/transport/rtc.node.js';
import type { Transport, TransportOptions } from '../peer-runtime/src/transport/types.js';
import { createWebRtcTransport } from '../peer-runtime/src/transport/webrtc.js';
import { SignalHub } from '../peer-runtime/test/transport/signal-hub.js';

const open: Transport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

function peer(
  hub: SignalHub,
  id: string,
  options: TransportOptions = {},
  filter?: (d: SignalData) => SignalData | undefined,
) {
  const member = hub.join(id);
  // A relay that loses every ICE candidate stands for peers that cannot reach each other.
  const signals: SignalRelay = filter
    ? {
        ...member,
        sendSignal: (to, data) => {
          const kept = filter(data);
          if (kept) member.sendSignal(to, kept);
        },
      }
    : member;
  const t = createWebRtcTransport({ ...options, peerId: id, signals, directory: member, rtc: nodeRtc() });
  open.push(t);
  return t;
}

describe('WebRTC link paths', () => {
  test('a link on one network reports a direct host/udp candidate pair, in connections() and peer:connected', async () => {
    const hub = new SignalHub();
    const a = peer(hub, 'a');
    const b = peer(hub, 'b');
    const connected = new Promise((resolve) => b.on('peer:connected', resolve));
    await a.connect('b');
    const info = a.connections().find((c) => c.peerId === 'b');
    expect(info?.path).toEqual({ type: 'host', local: 'host', remote: 'host', protocol: 'udp' });
    expect(await connected).toMatchObject({ peerId: 'a', path: { type: 'host', protocol: 'udp' } });
  });

  test('a set-up whose ICE candidates never arrive fails as a timeout naming the peer and what was gathered', async () => {
    const hub = new SignalHub();
    const options = { connectTimeoutMs: 1500, connectRetries: 0 };
    // Trickled candidates dropped, and those the stack put in the SDP itself stripped.
    const noCandidates = (d: SignalData): SignalData | undefined =>
      d.type === 'candidate'
        ? undefined
        : d.type === 'offer' || d.type === 'answer'
          ? { ...d, sdp: d.sdp.replace(/^a=candidate:.*\r?\n/gm, '') }
          : d;
    const a = peer(hub, 'a', options, noCandidates);
    peer(hub, 'b', options, noCandidates);
    const error = await a.connect('b').then(
      () => undefined,
      (e: unknown) => e,
    );
    const setup = linkSetupErrorIn(error);
    expect(setup).toBeInstanceOf(LinkSetupError);
    expect(setup?.failure).toBe('timeout');
    expect(setup?.peerId).toBe('b');
    expect(setup?.message).toMatch(/link to 'b': ICE timed out/);
    // What this side gathered is named: only host candidates, no relay (so: no TURN server).
    expect(setup?.message).toMatch(/local candidates host, no relay \(no TURN server\?\)/);
    expect((error as Error).message).toMatch(/peer 'b'/);
  });
});
