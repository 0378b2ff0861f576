/**
 * Test helpers: a real signaling server on a free port, real clients (the peer-runtime wrapper and raw
 * socket.io-client sockets for malformed traffic), a TCP proxy that can cut connections to fake a network
 * blip, and `once` to await a typed event. Everything made here is closed by `cleanup()` (afterEach).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  connectSignaling,
  type PeerCapabilities,
  type SignalingClient,
  type SignalingClientEvents,
  type SignalingClientOptions,
  SignalingRefusedError,
} from '@handout/peer-runtime/signaling';
import { io, Manager, type Socket as RawSocket } from 'socket.io-client';
import { expect } from 'vitest';
import { createSignalingServer, type SignalingServer, type SignalingServerOptions } from '../src/index.js';

const closers: (() => Promise<void> | void)[] = [];

export async function cleanup(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

export async function startServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = await createSignalingServer({ port: 0, ...options });
  closers.push(() => server.close());
  return server;
}

export function caps(overrides: Partial<PeerCapabilities> = {}): PeerCapabilities {
  return {
    platform: 'node',
    cores: 2,
    memoryMB: 1024,
    gpu: false,
    tags: [],
    costRate: 0,
    speed: 1,
    ...overrides,
  };
}

export async function join(
  server: SignalingServer,
  options: Partial<SignalingClientOptions> & { mesh?: string } = {},
): Promise<SignalingClient> {
  // Every role when the peer id is known (a coordinate token must be bound to it), else contribute and submit.
  const token =
    options.token ??
    server.issueToken({
      mesh: options.mesh ?? 'm1',
      ...(options.peerId !== undefined
        ? { roles: ['contribute', 'submit', 'coordinate'], sub: options.peerId }
        : { roles: ['contribute', 'submit'] }),
    });
  const client = await connectSignaling({ url: server.url, capabilities: caps(), ...options, token });
  closers.push(() => client.close());
  return client;
}

/** Resolves with the arguments of the next matching event; rejects after `ms`. */
export function once<E extends keyof SignalingClientEvents>(
  client: SignalingClient,
  event: E,
  match: (...args: Parameters<SignalingClientEvents[E]>) => boolean = () => true,
  ms = 5000,
): Promise<Parameters<SignalingClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const off = client.on(event, ((...args: Parameters<SignalingClientEvents[E]>) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    }) as SignalingClientEvents[E]);
  });
}

/** Resolves once `client` knows every one of `peerIds` (joins are coalesced, so they arrive ~100 ms later). */
export async function knows(client: SignalingClient, ...peerIds: string[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!peerIds.every((id) => client.peer(id) !== undefined)) {
    if (Date.now() > deadline) throw new Error(`'${client.peerId}' did not learn of ${peerIds.join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects every emission of an event, for asserting that something did NOT happen. */
export function record<E extends keyof SignalingClientEvents>(
  client: SignalingClient,
  event: E,
): Parameters<SignalingClientEvents[E]>[] {
  const seen: Parameters<SignalingClientEvents[E]>[] = [];
  client.on(event, ((...args: Parameters<SignalingClientEvents[E]>) => {
    seen.push(args);
  }) as SignalingClientEvents[E]);
  return seen;
}

/** A raw socket.io client with a hand-made handshake, for traffic the wrapper would never send. */
export function rawConnect(url: string, auth: Record<string, unknown>): RawSocket {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  closers.push(() => {
    socket.disconnect();
  });
  return socket;
}

/** Waits for a raw socket's first `mesh:peers` (resolves) or `connect_error` (rejects with its data). */
export function rawJoined(socket: RawSocket): Promise<{ resumeKey: string; self: { peerId: string } }> {
  return new Promise((resolve, reject) => {
    socket.once('mesh:peers', resolve);
    socket.once('connect_error', (err: Error & { data?: unknown }) => reject(err.data ?? err));
  });
}

/** The SignalingRefusedError a join or connect fails with (fails the test if it does not fail so). */
export async function refusal(promise: Promise<unknown>): Promise<SignalingRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignalingRefusedError);
  return error as SignalingRefusedError;
}

/**
 * Opens an engine.io connection, writes one raw socket.io packet (what socket.io-client would never send) and
 * resolves with the first packet back; rejects when the server closes without answering or after `ms`.
 */
export function rawPacket(url: string, packet: string, ms = 5000): Promise<string> {
  const manager = new Manager(url, { transports: ['websocket'], reconnection: false, autoConnect: false });
  closers.push(() => {
    manager.engine?.close();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${packet.slice(0, 80)}`)), ms);
    manager.open((err) => {
      if (err) return reject(err);
      let answered = false;
      manager.engine.on('message', (data) => {
        answered = true;
        clearTimeout(timer);
        resolve(String(data));
        manager.engine.close();
      });
      manager.engine.on('close', (reason) => {
        if (answered) return;
        clearTimeout(timer);
        reject(new Error(`closed without an answer (${reason}) to ${packet.slice(0, 80)}`));
      });
      manager.engine.write(packet);
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A TCP forwarder in front of the server; `cut(holdMs)` drops every open connection, like a network blip, and
 * refuses new ones for `holdMs`.
 */
export async function startProxy(target: {
  host: string;
  port: number;
}): Promise<{ url: string; cut(holdMs?: number): void }> {
  const sockets = new Set<Socket>();
  let holdUntil = 0;
  const server: Server = createServer((inbound) => {
    // While held, new connections are dropped at once: the network is still down.
    if (Date.now() < holdUntil) return inbound.destroy();
    const outbound = connect(target.port, target.host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const cut = (holdMs = 0) => {
    holdUntil = Date.now() + holdMs;
    for (const s of sockets) s.destroy();
  };
  closers.push(
    () =>
      new Promise<void>((r) => {
        cut();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, cut };
}
