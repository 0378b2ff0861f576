/**
 * Adapts the signaling client's live view of the mesh to the coordinator's `MembershipSource`. The signaling
 * registry is the one source of who is in the mesh, with which capabilities and state; the coordinator feeds its
 * ResourceTracker from it.
 *
 * The client lists the *other* members only; a coordinator that also contributes must see itself as a member,
 * so the local peer is added when it has the `contribute` role, and `selfChanged()` reports its own updates
 * (the server does not echo a peer's updates back to it).
 */
import type { MembershipEvents, MembershipSource, MeshMember } from '../mesh/membership.js';
import type { SignalingClient } from '../signaling/client.js';
import type { PeerInfo } from '../signaling/contract.js';

export interface SignalingMembership extends MembershipSource {
  /** Call after `client.update(...)` so listeners see the local peer's new capabilities or state. */
  selfChanged(): void;
  /** Stops listening to the client. */
  close(): void;
}

export function memberOf(info: PeerInfo): MeshMember {
  return {
    peerId: info.peerId,
    roles: info.roles,
    capabilities: info.capabilities,
    state: info.state,
    ...(info.trusted === true && { trusted: true }),
  };
}

export function createSignalingMembership(client: SignalingClient): SignalingMembership {
  type Listener<E extends keyof MembershipEvents> = (payload: MembershipEvents[E]) => void;
  const listeners: { [E in keyof MembershipEvents]: Set<Listener<E>> } = {
    'peer:joined': new Set(),
    'peer:updated': new Set(),
    'peer:left': new Set(),
  };
  const emit = <E extends keyof MembershipEvents>(event: E, payload: MembershipEvents[E]): void => {
    for (const l of [...listeners[event]]) (l as Listener<E>)(payload);
  };
  const selfIncluded = (): boolean => client.self.roles.includes('contribute');

  const offs = [
    client.on('peer:joined', (info) => emit('peer:joined', memberOf(info))),
    client.on('peer:updated', (info) => emit('peer:updated', memberOf(info))),
    client.on('peer:left', ({ peerId }) => emit('peer:left', { peerId })),
  ];

  return {
    peers() {
      const others = client.peers().map(memberOf);
      return selfIncluded() ? [memberOf(client.self), ...others] : others;
    },
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    selfChanged() {
      if (selfIncluded()) emit('peer:updated', memberOf(client.self));
    },
    close() {
      for (const off of offs) off();
    },
  };
}
