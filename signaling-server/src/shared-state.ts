/**
 * Where a signaling process keeps its registry: in memory (one process), or in Redis, shared with the other
 * processes, with socket.io's Redis adapter carrying room broadcasts (`peer:joined`, `members:changed`,
 * `peer:left`) and signals to sockets held by another process.
 *
 * Which adapter: `@socket.io/redis-adapter` (Redis pub/sub), not the Redis Streams adapter. The streams adapter
 * exists for socket.io's connection-state recovery (replaying the packets a client missed while it reconnected);
 * Handout does not use that: a peer that reconnects, to the same process or another, presents its resume key and
 * gets a fresh `mesh:peers` snapshot, which is the whole state it needs, and WebRTC signals it missed belong to
 * connection attempts that its dialer retries anyway. Pub/sub adds no stream to trim and no per-packet storage,
 * and delivers at once.
 */

import type { Logger } from '@handout/peer-runtime/telemetry';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import { SERVER_DEFAULTS, type SignalingServerOptions } from './options.js';
import { connectRedis, createRedisRegistry } from './redis-registry.js';
import { MemoryRegistry } from './registry.js';
import type { PeerRegistry } from './registry-types.js';

export interface SharedState {
  readonly registry: PeerRegistry;
  /** Deadline of a connected record without refresh; 0 in one process (records of live sockets never expire). */
  readonly liveTtlMs: number;
  readonly sweepMs: number;
  /** Installs the adapter (with Redis) on the socket.io server; `connections` counts this process's sockets. */
  attach(io: Server, connections: () => number): void;
  close(): Promise<void>;
}

export async function openRegistry(
  options: SignalingServerOptions,
  graceMs: number,
  log: Logger,
): Promise<SharedState> {
  const d = SERVER_DEFAULTS;
  const reservations = {
    reserveMs: options.idReserveMs ?? d.idReserveMs,
    maxPerMesh: d.maxReservedIdsPerMesh,
  };
  const sweepMs = Math.max(10, Math.min(d.sweepMs, Math.floor(graceMs / 4) || d.sweepMs));
  if (options.redis === undefined) {
    const registry = new MemoryRegistry(reservations);
    return { registry, liveTtlMs: 0, sweepMs, attach() {}, close: () => registry.close() };
  }
  const url = options.redis;
  const prefix = options.redisPrefix ?? 'handout:signaling:';
  // A dead process's peers keep their ids for as long as a dropped peer would: its last refresh, plus the
  // grace window, plus one refresh period of slack.
  const liveTtlMs = graceMs + 2 * d.refreshMs;
  const onError = (error: Error) => log.warn('redis connection error', { error: error.message });
  // Three connections: the registry's commands, and the adapter's publisher and subscriber (a subscribed
  // connection can do nothing else).
  const opened = await Promise.allSettled([0, 1, 2].map(() => connectRedis(url, onError)));
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed) {
    for (const o of opened) if (o.status === 'fulfilled') o.value.disconnect();
    throw failed.reason;
  }
  const [commands, pub, sub] = opened.map((o) => (o as PromiseFulfilledResult<Redis>).value) as [
    Redis,
    Redis,
    Redis,
  ];
  const registry = createRedisRegistry(commands, { ...reservations, prefix, liveTtlMs });
  return {
    registry,
    liveTtlMs,
    sweepMs,
    attach(io, connections) {
      registry.localConnections = connections;
      io.adapter(createAdapter(pub, sub, { key: `${prefix}io` }));
    },
    async close() {
      await registry.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
