/**
 * A dial that times out while its link is still being made, over real WebRTC (node-datachannel, two transports
 * in this process meeting through an in-process hub). The higher id ('peer-b') asks the lower ('peer-a') to
 * offer; the lower one's offer is held back past the higher one's attempt timeout, so the higher one's first
 * attempt gives up and its retry is scheduled. The link that offer makes then opens during the retry's backoff
 * and is adopted by the higher peer's pending connection. Its retry must not then ask for a new link: that
 * 'renegotiate' made the lower peer tear down the open link with frames in flight ("connection closed").
 * The third case: the retry's request is sent before the held-back offer arrives, and relayed so late that it
 * lands on the lower peer after the link opened; the lower peer must keep the open link (it answers a ping).
 * Run inside test/netns/run.sh (the ICE list is empty either way).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireMessage } from '../peer-runtime/src/protocol/messages.js';
import type { SignalData } from '../peer-runtime/src/signaling/contract.js';
import { nodeRtc } from '../peer-runtime/src/transport/rtc.node.js';
import type { DisconnectReason, Transport, TransportOptions } from '../peer-runtime/src/transport/types.js';
import { createWebRtcTransport } from '../peer-runtime/src/transport/webrtc.js';
import { type HubMember, SignalHub } from '../peer-runtime/test/transport/signal-hub.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Attempt timeout of the higher peer: shorter than the held-back offer, so its first attempt times out. */
const ATTEMPT_MS = 2_000;
/** How long the lower peer's first offer (and the candidates around it) is held back. */
const OFFER_DELAY_MS = 2_500;
/** Backoff before the higher peer's retry (±25%): long enough for the late link to open before it. */
const RETRY_DELAY_MS = 5_000;

interface Side {
  readonly transport: Transport;
  /** Signals this side sent, by type, in order. */
  readonly sent: string[];
  readonly disconnects: Array<{ peerId: string; reason: DisconnectReason; error?: string }>;
}

/** How a side's signals are relayed: held back (a slow signaling path), and watched as they go. */
interface Relay {
  /**
   * Hold back the signals of this side's first set-up (its first signal and all it sends in the next this-many
   * ms: the offer, and the candidates trickled around it) and then relay them in order, ms.
   */
  readonly holdFirstMs?: number;
  /** Hold back every offer request ('renegotiate') of this side this long, ms. */
  readonly requestDelayMs?: number;
  /** Hold back every offer request of this side but the first this long, ms (a retry's request relayed late). */
  readonly laterRequestDelayMs?: number;
  /** Called as a held-back later request is let go, just before it is relayed. */
  readonly onLateRequest?: () => void;
  /** Called as each signal is sent, before it is relayed. */
  readonly onSent?: (data: SignalData) => void;
}

/** A hub member whose signals are recorded and relayed as `relay` says. */
function recorded(member: HubMember, sent: string[], relay: Relay): HubMember {
  const { holdFirstMs = 0, requestDelayMs = 0, laterRequestDelayMs = 0, onLateRequest, onSent } = relay;
  let held: Array<() => void> | undefined;
  let releaseAt = 0;
  return {
    ...member,
    sendSignal: (to: string, data: SignalData) => {
      sent.push(data.type);
      onSent?.(data);
      const relayIt = () => member.sendSignal(to, data);
      if (holdFirstMs > 0 && sent.length === 1) {
        // Candidates must not overtake their offer: the remote drops candidates of a session it has not seen.
        held = [];
        releaseAt = Date.now() + holdFirstMs;
        setTimeout(() => {
          for (const f of held!.splice(0)) f();
          held = undefined;
        }, holdFirstMs);
      }
      if (held && Date.now() < releaseAt) held.push(relayIt);
      else if (data.type === 'renegotiate' && requestDelayMs > 0) setTimeout(relayIt, requestDelayMs);
      else if (
        data.type === 'renegotiate' &&
        laterRequestDelayMs > 0 &&
        sent.indexOf('renegotiate') < sent.length - 1
      )
        setTimeout(() => {
          onLateRequest?.();
          relayIt();
        }, laterRequestDelayMs);
      else if (held) held.push(relayIt);
      else relayIt();
    },
  };
}

describe('a WebRTC dial whose attempt timed out while its link was still opening', () => {
  const open: Transport[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });

  function side(hub: SignalHub, peerId: string, options: TransportOptions, relay: Relay = {}): Side {
    const sent: string[] = [];
    const member = recorded(hub.join(peerId), sent, relay);
    const transport = createWebRtcTransport({
      ...options,
      peerId,
      signals: member,
      directory: member,
      rtc: nodeRtc(),
    });
    open.push(transport);
    const disconnects: Side['disconnects'] = [];
    transport.on('peer:disconnected', ({ peerId: p, reason, error }) =>
      disconnects.push({ peerId: p, reason, ...(error && { error: error.message }) }),
    );
    return { transport, sent, disconnects };
  }

  it('keeps the late link it adopted, and every message sent over it during the retry backoff arrives', async () => {
    const hub = new SignalHub();
    const low = side(hub, 'peer-a', {}, { holdFirstMs: OFFER_DELAY_MS });
    const high = side(hub, 'peer-b', {
      connectTimeoutMs: ATTEMPT_MS,
      // The pending connection waits for the hello connectTimeoutMs × (retries + 2) (framed-transport.ts): 3 s,
      // well past the held-back offer's link opening (about 1 s after the offer here). The later retries' backoffs (6 s, 12 s) lie past the test.
      connectRetries: 4,
      retryDelayMs: RETRY_DELAY_MS,
    });
    const got: Array<{ requestId: number; ok: boolean }> = [];
    high.transport.onMessage((from, message) => {
      if (from === 'peer-a' && message.type === 'result:data')
        got.push({ requestId: message.requestId, ok: sha(message.bytes) === message.hash });
    });

    const started = Date.now();
    await high.transport.connect('peer-a');
    // The first attempt really did time out before the link opened (else this test shows nothing).
    expect(Date.now() - started).toBeGreaterThan(ATTEMPT_MS);

    // The lower peer streams 1 MiB messages until past the latest moment the retry could fire
    // (attempt timeout + backoff + 25% jitter), so a link torn down by it has sends in flight.
    const until = started + ATTEMPT_MS + RETRY_DELAY_MS * 1.25 + 1_000;
    const sends: Promise<void>[] = [];
    for (let id = 0; Date.now() < until; id++) {
      const bytes = new Uint8Array(randomBytes(1 << 20));
      const message: WireMessage = { type: 'result:data', requestId: id, hash: sha(bytes), bytes };
      sends.push(low.transport.send('peer-b', message));
      await new Promise((r) => setTimeout(r, 100));
    }
    const outcomes = await Promise.allSettled(sends);
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [`send ${i}: ${(o.reason as Error).message}`] : [],
    );
    expect(low.disconnects, "peer-a's disconnects").toEqual([]);
    expect(high.disconnects, "peer-b's disconnects").toEqual([]);
    expect(failed, 'sends from peer-a that failed').toEqual([]);
    await expect.poll(() => got.length, { timeout: 10_000 }).toBe(sends.length);
    expect(got.every((g) => g.ok)).toBe(true);

    // One link: the higher peer asked for an offer once (its first attempt), the lower peer offered once.
    expect(
      high.sent.filter((t) => t === 'renegotiate'),
      "peer-b's offer requests",
    ).toHaveLength(1);
    expect(
      low.sent.filter((t) => t === 'offer'),
      "peer-a's offers",
    ).toHaveLength(1);
  }, 30_000);
  it('does not ask for an offer while it answers one, so the link that answer opens is not torn down', async () => {
    // The lower peer dials; the higher one starts its own dial while answering that offer (both wanted the link).
    // Its request to offer is relayed late (a slow signaling path): arriving after the answered link opened, it
    // used to make the lower peer tear that link down, sends and all, to offer again.
    const hub = new SignalHub();
    let dialled: Promise<void> | undefined;
    const high: Side = side(
      hub,
      'peer-b',
      {},
      {
        requestDelayMs: 1_500,
        onSent: (data) => {
          if (data.type === 'answer' && !dialled) dialled = high.transport.connect('peer-a');
        },
      },
    );
    const low = side(hub, 'peer-a', {});
    const got: number[] = [];
    high.transport.onMessage((from, message) => {
      if (from === 'peer-a' && message.type === 'result:data' && sha(message.bytes) === message.hash)
        got.push(message.requestId);
    });
    await low.transport.connect('peer-b');
    // (A flag, not the promise: poll would await the promise and see its value.)
    await expect.poll(() => dialled !== undefined, { timeout: 5_000 }).toBe(true);
    await dialled;

    // Stream past the moment the held-back request would land.
    const sends: Promise<void>[] = [];
    const until = Date.now() + 2_500;
    for (let id = 0; Date.now() < until; id++) {
      const bytes = new Uint8Array(randomBytes(1 << 20));
      sends.push(
        low.transport.send('peer-b', { type: 'result:data', requestId: id, hash: sha(bytes), bytes }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    const outcomes = await Promise.allSettled(sends);
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [`send ${i}: ${(o.reason as Error).message}`] : [],
    );
    expect(failed, 'sends from peer-a that failed').toEqual([]);
    expect(low.disconnects, "peer-a's disconnects").toEqual([]);
    expect(high.disconnects, "peer-b's disconnects").toEqual([]);
    await expect.poll(() => got.length, { timeout: 10_000 }).toBe(sends.length);
    // Signals are not counted here: libdatachannel now and then fails a first set-up ("remote candidate without
    // ICE transport"), and both dials' retries then offer and ask again, which is fine (the request reaches the
    // lower peer while it still sets up its new offer, and is ignored).
  }, 30_000);

  it("keeps an open link carrying frames when the dialler's retry asks for an offer after it opened", async () => {
    // The race of a starved machine: the higher peer's first attempt times out while the lower peer's offer is
    // still on its way (held back here); its retry finds no offer being answered and asks again. That request
    // is relayed late and lands after the link opened and the lower peer is streaming on it. The lower peer
    // used to take any request as "the remote lost its link" and tear the open link down, so its sends in flight
    // failed with "connection closed". The link is open on both sides: the request is stale and must be answered
    // by the link itself (a ping the higher peer answers), not by a new offer.
    const hub = new SignalHub();
    const low = side(hub, 'peer-a', {}, { holdFirstMs: OFFER_DELAY_MS });
    const high = side(
      hub,
      'peer-b',
      // A short backoff: the retry runs before the held-back offer arrives, so it asks for an offer again.
      { connectTimeoutMs: ATTEMPT_MS, connectRetries: 4, retryDelayMs: 100 },
      // The retry's request lands about 4 s later, after the link opened (about 1 s after the offer is let go),
      // just behind a burst of 8 MiB the lower peer queues then: sends surely in flight when it arrives.
      { laterRequestDelayMs: 4_000, onLateRequest: () => burst() },
    );
    const sends: Promise<void>[] = [];
    let nextId = 0;
    const sendOne = () => {
      const bytes = new Uint8Array(randomBytes(1 << 20));
      const id = nextId++;
      const sent = low.transport.send('peer-b', {
        type: 'result:data',
        requestId: id,
        hash: sha(bytes),
        bytes,
      });
      sent.catch(() => {}); // judged below, all at once (a rejection before then is not unhandled)
      sends.push(sent);
    };
    const burst = () => {
      for (let i = 0; i < 8; i++) sendOne();
    };
    const got: number[] = [];
    high.transport.onMessage((from, message) => {
      if (from === 'peer-a' && message.type === 'result:data' && sha(message.bytes) === message.hash)
        got.push(message.requestId);
    });

    const started = Date.now();
    await high.transport.connect('peer-a');
    expect(Date.now() - started, 'the first attempt timed out before the link opened').toBeGreaterThan(
      ATTEMPT_MS,
    );
    expect(
      high.sent.filter((t) => t === 'renegotiate'),
      "peer-b's offer requests (its retry asked again)",
    ).toHaveLength(2);

    // Stream 1 MiB messages until well past the moment the retry's request lands (~2.1 s + 4 s after the start).
    const until = started + ATTEMPT_MS + 100 * 1.25 + 4_000 + 2_000;
    while (Date.now() < until) {
      sendOne();
      await new Promise((r) => setTimeout(r, 100));
    }
    const outcomes = await Promise.allSettled(sends);
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [`send ${i}: ${(o.reason as Error).message}`] : [],
    );
    expect(failed, 'sends from peer-a that failed').toEqual([]);
    expect(low.disconnects, "peer-a's disconnects").toEqual([]);
    expect(high.disconnects, "peer-b's disconnects").toEqual([]);
    await expect.poll(() => got.length, { timeout: 10_000 }).toBe(sends.length);
    // One link: the lower peer offered once, and each side holds one open connection.
    expect(
      low.sent.filter((t) => t === 'offer'),
      "peer-a's offers",
    ).toHaveLength(1);
    expect(low.transport.connections().map((c) => `${c.peerId} ${c.state}`)).toEqual(['peer-b open']);
    expect(high.transport.connections().map((c) => `${c.peerId} ${c.state}`)).toEqual(['peer-a open']);
  }, 30_000);
});
