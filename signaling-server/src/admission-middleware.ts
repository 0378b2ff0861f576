/**
 * The socket.io middleware that admits a connection: the cheap checks first (handshake shape and size, the
 * per-address limits), then the token, then the id claim in the registry. A refused client gets `connect_error`
 * with the reason; a client that left while it was checked claims nothing.
 */
import type { Refusal } from '@handout/peer-runtime/signaling';
import { clientAddress } from './address-limits.js';
import { admit, refusal } from './auth.js';
import type { ConnectionContext, PeerSocket } from './connection.js';
import { handshakeProblem } from './parser.js';
import { type RateLimitOptions, TokenBucket } from './rate-limit.js';
import { randomId } from './registry.js';
import { hashResumeKey } from './resume-key.js';

export function admissionMiddleware(
  ctx: ConnectionContext,
  settings: { readonly trustProxy: boolean; readonly rateLimit: RateLimitOptions | undefined },
): (socket: PeerSocket, next: (err?: Error) => void) => void {
  const { runtime, addresses, authOptions, registry, recorder, log, graceMs } = ctx;
  const { trustProxy } = settings;
  const refuse = (
    next: (err?: Error) => void,
    refused: Refusal,
    address: string,
    timed?: (outcome: string) => void,
  ) => {
    recorder.refused(refused.reason);
    timed?.(refused.reason);
    log.warn('connection refused', { ...refused, address });
    next(Object.assign(new Error(refused.message), { data: refused }));
  };

  return (socket, next) => {
    const timed = runtime.startAdmission();
    const address = clientAddress(socket.handshake.address, socket.handshake.headers, trustProxy);
    const problem = handshakeProblem(socket.handshake.auth);
    if (problem) {
      const reason = problem.code === 'payload-too-large' ? 'handshake-too-large' : 'bad-handshake';
      return refuse(next, refusal(reason, problem.message, 'auth'), address, timed);
    }
    const limited = addresses.acquire(address);
    if (limited) return refuse(next, limited, address, timed);
    admit(socket.handshake.auth, authOptions)
      .then(async (admitted) => {
        // The client may have gone while the token was checked: claim nothing for a dead connection.
        if (ctx.closing() || socket.conn.readyState !== 'open') {
          addresses.release(address);
          return next(new Error('the connection closed during admission'));
        }
        if (!admitted.ok) {
          addresses.release(address);
          return refuse(next, admitted.refusal, address, timed);
        }
        const { admission } = admitted;
        const h = admission.handshake;
        const resumeKey = randomId(24);
        const claim = await registry.claim({
          mesh: admission.mesh,
          peerId: admission.peerId ?? randomId(12),
          resumeKeyHash: h.resumeKey === undefined ? undefined : hashResumeKey(h.resumeKey),
          newResumeKeyHash: hashResumeKey(resumeKey),
          socketId: socket.id,
          roles: admission.roles,
          subject: admission.token.sub ?? null,
          trusted: admission.token.trusted === true,
          tokenExp: admission.token.exp,
          capabilities: h.capabilities,
          state: h.state ?? { running: 0, slots: h.capabilities.cores, paused: false },
        });
        if (!claim.ok) {
          addresses.release(address);
          return refuse(next, claim.refusal, address, timed);
        }
        if (ctx.closing() || socket.conn.readyState !== 'open') {
          // Gone while the registry answered: give the id back at once (a resume gets the grace window).
          addresses.release(address);
          if (claim.kind === 'joined') await registry.remove(admission.mesh, claim.record.peerId, socket.id);
          else await registry.suspend(admission.mesh, claim.record.peerId, socket.id, graceMs);
          return next(new Error('the connection closed during admission'));
        }
        socket.data = {
          claim,
          resumeKey: claim.kind === 'joined' ? resumeKey : (h.resumeKey as string),
          bucket: new TokenBucket(settings.rateLimit),
          address,
        };
        timed('admitted');
        next();
      })
      .catch((e: unknown) => {
        addresses.release(address);
        log.error('admission failed', { address, error: String(e) });
        next(new Error('the server could not check this connection'));
      });
  };
}
