/**
 * `Refusals`: how a refused data-channel message is reported, the same way on every side (agent, coordinator).
 * Each refusal is counted by kind and missing role or check (`counts()`, for metrics and tests), logged at `warn`
 * with the sender's peer id, and answered with a typed `error` message (`code: 'refused'`, naming the kind and
 * what was missing) so an honest but misconfigured sender learns why nothing happened.
 *
 * A stranger can send thousands of bad messages a second; answering and logging each would turn us into the
 * flood's amplifier. So replies and log lines are capped per sender (REPLIES_PER_WINDOW per WINDOW_MS); past the
 * cap refusals are only counted, and the next window's first line says how many went unlogged.
 */
import { RefusedError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { MeshPort } from './port.js';

const WINDOW_MS = 1000;
const REPLIES_PER_WINDOW = 20;

interface SenderWindow {
  start: number;
  replies: number;
  suppressed: number;
}

export class Refusals {
  private readonly totals = new Map<string, number>();
  private readonly windows = new Map<string, SenderWindow>();

  constructor(
    private readonly port: MeshPort,
    private readonly log: Logger,
    /** Who refuses, for the log line (`agent`, `coordinator`). */
    private readonly side: string,
  ) {}

  /** Counts, logs and answers one refusal; returns the error (callers may hand it to a test or a metric). */
  refuse(kind: string, from: string, missing: string, detail: string): RefusedError {
    const error = new RefusedError(kind, from, missing, detail);
    const key = `${kind} ${missing}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
    const now = Date.now();
    let w = this.windows.get(from);
    if (!w || now - w.start >= WINDOW_MS) {
      if (w && w.suppressed > 0) {
        this.log.warn(`${this.side}: ${w.suppressed} more refusals from this peer were not logged`, {
          peer: from,
        });
      }
      w = { start: now, replies: 0, suppressed: 0 };
      this.windows.set(from, w);
      // Bounded: a window per sender seen in the last second or so (senders are authenticated mesh members).
      if (this.windows.size > 4096) this.windows.clear();
    }
    if (w.replies >= REPLIES_PER_WINDOW) {
      w.suppressed++;
      return error;
    }
    w.replies++;
    this.log.warn(`${this.side}: ${error.message}`, { peer: from, reason: missing, kind });
    if (from !== this.port.peerId) {
      this.port.post(from, { type: 'error', code: 'refused', message: error.message, kind, missing });
    }
    return error;
  }

  /** Refusals so far, by `"<kind> <missing>"` (e.g. `"task:assign coordinate"`). */
  counts(): ReadonlyMap<string, number> {
    return this.totals;
  }

  /** All refusals so far. */
  get total(): number {
    let n = 0;
    for (const v of this.totals.values()) n += v;
    return n;
  }
}
