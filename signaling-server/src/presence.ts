/**
 * The presence loops of a signaling process: `expire` sweeps the registry for records past their deadline (a
 * dropped peer whose grace ran out, or the peers of a signaling process that died) and announces each as `lost`;
 * `refresh` keeps the records of the sockets connected here alive (with Redis; a no-op in one process). A sweep
 * that fails (Redis unreachable) is logged and tried again at the next tick: the records wait meanwhile.
 */
import type { PeerRecord, PeerRegistry } from './registry-types.js';
import type { LocalSessions } from './sessions.js';

export interface PresenceOptions {
  readonly registry: PeerRegistry;
  readonly sessions: LocalSessions;
  /** Deadline given to connected records on every refresh; 0: records of connected sockets never expire. */
  readonly liveTtlMs: number;
  readonly sweepMs: number;
  /** Refresh period; default a third of `liveTtlMs` at most 1 s. */
  readonly refreshMs?: number;
  readonly onExpired: (record: PeerRecord) => void;
  readonly onError: (error: unknown) => void;
}

export interface Presence {
  stop(): void;
}

export function startPresence(options: PresenceOptions): Presence {
  const { registry, sessions } = options;
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return; // the previous sweep is still waiting on Redis
    sweeping = true;
    registry
      .expire()
      .then((gone) => {
        for (const record of gone) options.onExpired(record);
      }, options.onError)
      .finally(() => {
        sweeping = false;
      });
  }, options.sweepMs);
  sweep.unref();
  let refresh: ReturnType<typeof setInterval> | undefined;
  if (options.liveTtlMs > 0) {
    const every = options.refreshMs ?? Math.min(1000, Math.floor(options.liveTtlMs / 3));
    let refreshing = false;
    refresh = setInterval(() => {
      if (refreshing) return;
      refreshing = true;
      const held = sessions.all().map((s) => ({ mesh: s.mesh, peerId: s.peerId, socketId: s.socketId }));
      registry
        .refresh(held, options.liveTtlMs)
        .catch(options.onError)
        .finally(() => {
          refreshing = false;
        });
    }, every);
    refresh.unref();
  }
  return {
    stop() {
      clearInterval(sweep);
      if (refresh) clearInterval(refresh);
    },
  };
}
