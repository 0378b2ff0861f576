/**
 * Routing of one WebRTC signal: only to a live peer of the sender's own mesh. A peer of another mesh is
 * reported exactly like a peer that does not exist, so a token for one mesh learns nothing about others. The
 * target's record comes from the registry (it may be connected to another signaling process: socket.io ids are
 * unique over processes, and the adapter delivers to whichever holds it).
 */
import type { EventError, SignalToMessage } from '@handout/peer-runtime/signaling';
import type { PeerRecord } from './registry-types.js';

export type Route = { ok: true; socketId: string } | { ok: false; error: EventError };

export function routeSignal(
  from: PeerRecord,
  message: SignalToMessage,
  target: PeerRecord | undefined,
): Route {
  const fail = (code: EventError['code'], text: string): Route => ({
    ok: false,
    error: { code, event: 'signal', message: text, field: 'to', peerId: message.to },
  });
  if (message.to === from.peerId) return fail('unknown-peer', 'a peer cannot signal itself');
  if (!target) return fail('unknown-peer', `no peer '${message.to}' in mesh '${from.mesh}'`);
  if (target.socketId === null) return fail('peer-unavailable', `peer '${message.to}' is reconnecting`);
  return { ok: true, socketId: target.socketId };
}
