/**
 * The sending half of a MeshPort (port.ts): everything queued for one peer within one event-loop turn leaves as
 * one `batch` message, large `result:data` replies apart (they take the transport's bulk lane), and messages for
 * this peer itself are handed back without encoding (loopback).
 */
import type { BatchableMessage } from '../protocol/messages.js';
import type { Transport } from '../transport/types.js';

/**
 * Runs `fn` on a later turn of the event loop, after pending I/O callbacks, so that completions arriving
 * together are flushed together. `setImmediate` where it exists (Node): `setTimeout(0)` is clamped to 1 ms there.
 */
export const nextTurn: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (fn) => {
        globalThis.setImmediate(fn);
      }
    : (fn) => {
        setTimeout(fn, 0);
      };

/** A `result:data` of at least this many bytes leaves on its own rather than in a batch (see `sendBox`). */
export const BULK_ALONE_BYTES = 16 * 1024;

const isBulk = (m: BatchableMessage): boolean =>
  m.type === 'result:data' && m.bytes.byteLength >= BULK_ALONE_BYTES;

const ignore = (): void => {};

interface Outbox {
  messages: BatchableMessage[];
  /** Made on the first `send` of the batch (a `post` needs none). */
  waiters: { resolve: () => void; reject: (error: unknown) => void; promise: Promise<void> } | undefined;
}

export class PortOutbox {
  private readonly outboxes = new Map<string, Outbox>();
  private flushScheduled = false;
  private readonly flushNow = (): void => this.flush();

  /** `loopback` receives, on a later turn, each message addressed to the transport's own peer id. */
  constructor(
    private readonly transport: Transport,
    private readonly loopback: (message: BatchableMessage) => void,
  ) {}

  /** Queues `message`; resolves when its batch was handed to the channel, rejects when the peer is gone. */
  send(peerId: string, message: BatchableMessage): Promise<void> {
    const box = this.queue(peerId, message);
    if (!box.waiters) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Most callers fire and forget; those who care attach their own handler to the returned promise.
      promise.catch(ignore);
      box.waiters = { resolve, reject, promise };
    }
    return box.waiters.promise;
  }

  /** Queues `message` with no promise made for it (see MeshPort.post). */
  post(peerId: string, message: BatchableMessage): void {
    this.queue(peerId, message);
  }

  private queue(peerId: string, message: BatchableMessage): Outbox {
    let box = this.outboxes.get(peerId);
    if (!box) {
      box = { messages: [], waiters: undefined };
      this.outboxes.set(peerId, box);
    }
    box.messages.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      nextTurn(this.flushNow);
    }
    return box;
  }

  private flush(): void {
    this.flushScheduled = false;
    const boxes = [...this.outboxes];
    this.outboxes.clear();
    const self = this.transport.localPeerId;
    for (const [peerId, box] of boxes) {
      if (peerId === self) {
        for (const m of box.messages) this.loopback(m);
        box.waiters?.resolve();
        continue;
      }
      const sent = this.sendBox(peerId, box.messages);
      if (box.waiters) sent.then(box.waiters.resolve, box.waiters.reject);
      // Posted, not sent: nobody asked to know. A failed send means the connection dropped, and the drop is
      // what the roles act on (the coordinator re-places the peer's work, the agent's tasks are re-run).
      else sent.catch(ignore);
    }
  }

  /**
   * One batch of what was queued for `peerId`, except large `result:data` replies: those leave alone, so the
   * transport can send them in its bulk lane (framed-sender.ts), where they no longer hold back the batch of
   * control messages queued with them, or one queued after them.
   */
  private sendBox(peerId: string, messages: BatchableMessage[]): Promise<void> {
    let bulk: BatchableMessage[] | undefined;
    let rest = messages;
    if (messages.some(isBulk)) {
      bulk = messages.filter(isBulk);
      rest = messages.filter((m) => !isBulk(m));
    }
    const sends: Promise<void>[] = [];
    if (rest.length > 0)
      sends.push(
        this.transport.send(
          peerId,
          rest.length === 1 ? rest[0]! : { type: 'batch' as const, messages: rest },
        ),
      );
    if (bulk) for (const m of bulk) sends.push(this.transport.send(peerId, m));
    return sends.length === 1 ? sends[0]! : Promise.all(sends).then(ignore);
  }
}
