/**
 * fast-check against a live signaling server: random and well-formed-but-wrong handshakes, events and raw
 * packets. Every one must be answered (accepted, refused with a reason, or an event error with a code) without
 * a crash or a hang, and a well-behaved pair joined before the storm must be untouched after it.
 * (Not fuzzed: a second CONNECT on an open namespace, which socket.io answers by closing the connection.)
 */
import {
  CLIENT_EVENTS,
  REFUSAL_REASONS,
  ROLES,
  SIGNALING_PROTOCOL_VERSION,
  type SignalingClient,
  signToken,
} from '@handout/peer-runtime/signaling';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalingServer } from '../src/index.js';
import { caps, cleanup, join, once, rawConnect, rawJoined, rawPacket, startServer } from './helpers.js';

const EVENT_ERROR_CODES = [
  'invalid-payload',
  'unknown-peer',
  'peer-unavailable',
  'rate-limited',
  'unknown-event',
  'payload-too-large',
  'malformed-packet',
  'token-rejected',
];

let server: SignalingServer;
let a: SignalingClient;
let b: SignalingClient;

beforeAll(async () => {
  // Limits opened wide: the fuzzer opens hundreds of connections from one address on purpose.
  server = await startServer({
    connectionRate: { burst: 100_000, perSecond: 1000 },
    maxConnectionsPerAddress: 0,
    rateLimit: { burst: 100_000, perSecond: 1000 },
  });
  a = await join(server, { peerId: 'a' });
  b = await join(server, { peerId: 'b' });
});

afterAll(async () => {
  // The pair is untouched by everything the fuzzer sent.
  const heard = once(b, 'signal');
  await a.sendSignalAndWait('b', { type: 'offer', sdp: 'v=0' });
  expect((await heard)[0]).toBe('a');
  expect([a.connected, b.connected]).toEqual([true, true]);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  await cleanup();
});

function ask(socket: Socket, event: string, payload: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(5000)
      .emit(event, payload, (err: Error | null, ack: unknown) =>
        err
          ? reject(new Error(`no answer to '${event}' ${JSON.stringify(payload)?.slice(0, 80)}`))
          : resolve(ack),
      );
  });
}

const token = () =>
  signToken({ mesh: 'm1', roles: ['contribute'], exp: Math.floor(Date.now() / 1000) + 3600 }, server.secret);

const almostCaps = fc.record(
  {
    platform: fc.oneof(fc.constantFrom('node', 'browser', 'deno'), fc.jsonValue()),
    cores: fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double(), fc.jsonValue()),
    memoryMB: fc.oneof(fc.nat(), fc.double(), fc.string()),
    gpu: fc.oneof(fc.boolean(), fc.jsonValue()),
    tags: fc.oneof(fc.array(fc.string(), { maxLength: 40 }), fc.jsonValue()),
    costRate: fc.oneof(fc.double(), fc.jsonValue()),
    speed: fc.oneof(fc.double(), fc.jsonValue()),
    resources: fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.jsonValue()), { maxKeys: 40 }),
  },
  { requiredKeys: [] },
);

const handshakes = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      version: fc.oneof(fc.constant(SIGNALING_PROTOCOL_VERSION), fc.integer(), fc.jsonValue()),
      token: fc.oneof(fc.constant('VALID'), fc.string(), fc.jsonValue()),
      peerId: fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ unit: 'binary' }), fc.jsonValue()),
      resumeKey: fc.oneof(fc.string(), fc.jsonValue()),
      roles: fc.oneof(fc.subarray([...ROLES]), fc.array(fc.string()), fc.jsonValue()),
      mesh: fc.oneof(fc.constant('m1'), fc.string(), fc.jsonValue()),
      capabilities: fc.oneof(fc.constant(caps()), almostCaps, fc.jsonValue()),
      state: fc.oneof(
        fc.record({ running: fc.integer(), slots: fc.integer(), paused: fc.boolean() }),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('fuzzing the live signaling server', () => {
  it('every handshake is admitted or refused with a known reason, never dropped or left hanging', async () => {
    await fc.assert(
      fc.asyncProperty(handshakes, async (value) => {
        const auth =
          typeof value === 'object' && value !== null && !Array.isArray(value) && value.token === 'VALID'
            ? { ...value, token: token() }
            : value;
        const answer = await rawPacket(server.url, `0${JSON.stringify(auth)}`);
        if (answer.startsWith('0')) return; // admitted (CONNECT ack)
        expect(answer[0]).toBe('4'); // CONNECT_ERROR
        const refusal = JSON.parse(answer.slice(1)) as { data?: { reason?: string }; message?: string };
        expect(REFUSAL_REASONS).toContain(refusal.data?.reason);
        expect(typeof refusal.message).toBe('string');
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('every event gets an ack: ok, or an error with a known code and a message', async () => {
    const socket = rawConnect(server.url, {
      version: SIGNALING_PROTOCOL_VERSION,
      token: token(),
      peerId: 'fuzzer',
      capabilities: caps(),
    });
    await rawJoined(socket);
    const names = fc.oneof(fc.constantFrom(...CLIENT_EVENTS), fc.string({ maxLength: 20 }));
    const payloads = fc.oneof(
      fc.jsonValue(),
      fc.record({ to: fc.constantFrom('a', 'b', 'fuzzer', 'nobody', ''), data: fc.jsonValue() }),
      fc.record({ capabilities: almostCaps, state: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record({ token: fc.oneof(fc.string(), fc.constant('VALID')) }),
    );
    await fc.assert(
      fc.asyncProperty(names, payloads, async (name, payload) => {
        fc.pre(
          ![
            'connect',
            'disconnect',
            'connect_error',
            'disconnecting',
            'newListener',
            'removeListener',
          ].includes(name),
        );
        const p =
          typeof payload === 'object' && payload !== null && 'token' in payload && payload.token === 'VALID'
            ? { token: token() }
            : payload;
        const ack = (await ask(socket, name, p)) as {
          ok: boolean;
          error?: { code: string; message: string };
        };
        if (ack.ok) return;
        expect(EVENT_ERROR_CODES).toContain(ack.error?.code);
        expect(typeof ack.error?.message).toBe('string');
      }),
      { numRuns: 300 },
    );
    expect(socket.connected).toBe(true);
  }, 120_000);

  it('raw packets of any kind leave the socket working (answered with an error event or ignored)', async () => {
    const socket = rawConnect(server.url, {
      version: SIGNALING_PROTOCOL_VERSION,
      token: token(),
      peerId: 'raw-fuzzer',
      capabilities: caps(),
    });
    await rawJoined(socket);
    const errors: { code: string }[] = [];
    socket.on('error', (e: { code: string }) => errors.push(e));
    // Types 2–6 and 9 (no such type), then anything; 0 and 1 (CONNECT, DISCONNECT) are the namespace's own.
    const packets = fc.tuple(
      fc.constantFrom('2', '3', '4', '5', '6', '9', ''),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(packets, async ([type, body]) => {
        fc.pre(!(type === '' && /^[01]/.test(body)));
        socket.io.engine.write(type + body);
        expect(await ask(socket, 'peer:update', { state: { paused: false } })).toEqual({ ok: true });
      }),
      { numRuns: 300 },
    );
    expect(socket.connected).toBe(true);
    expect(errors.every((e) => EVENT_ERROR_CODES.includes(e.code))).toBe(true);
  }, 120_000);
});
