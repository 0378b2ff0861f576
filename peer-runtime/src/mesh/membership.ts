/**
 * `MembershipSource`: who is in the mesh, with capabilities and state — what the coordinator feeds its
 * ResourceTracker from. The signaling client is adapted to it in the process assembly; tests use the in-memory
 * one below. Kept to the few fields the coordinator needs so any registry can provide it.
 */
import type { PeerCapabilities, PeerState, Role } from '../signaling/contract.js';
import { TypedEmitter } from '../typed-emitter.js';

export interface MeshMember {
  readonly peerId: string;
  /** Only members with the `contribute` role are given work. Omitted: treated as a contributor. */
  readonly roles?: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly state?: Partial<PeerState>;
  /** The token's `trusted` claim (the mesh owner's own machine). Omitted: false. */
  readonly trusted?: boolean;
}

export interface MembershipEvents {
  'peer:joined': MeshMember;
  'peer:updated': MeshMember;
  'peer:left': { readonly peerId: string };
}

export interface MembershipSource {
  /** Current members (the local peer included when it contributes). */
  peers(): readonly MeshMember[];
  on<E extends keyof MembershipEvents>(
    event: E,
    listener: (payload: MembershipEvents[E]) => void,
  ): () => void;
}

/** An in-memory membership for tests and single-process meshes: join, update and leave by hand. */
export interface MemoryMembership extends MembershipSource {
  join(member: MeshMember): void;
  update(member: MeshMember): void;
  leave(peerId: string): void;
}

export function createMemoryMembership(initial: readonly MeshMember[] = []): MemoryMembership {
  const members = new Map<string, MeshMember>(initial.map((m) => [m.peerId, m]));
  // Catches a throwing listener (the default): one subscriber's bug must not keep the others, e.g. the
  // coordinator's resource tracker, from hearing that a peer joined or left.
  const events = new TypedEmitter<MembershipEvents>();
  return {
    peers: () => [...members.values()],
    on: (event, listener) => events.on(event, listener),
    join(member) {
      const known = members.has(member.peerId);
      members.set(member.peerId, member);
      events.emit(known ? 'peer:updated' : 'peer:joined', member);
    },
    update(member) {
      members.set(member.peerId, member);
      events.emit('peer:updated', member);
    },
    leave(peerId) {
      if (!members.delete(peerId)) return;
      events.emit('peer:left', { peerId });
    },
  };
}

/** Capabilities of a Node peer with `cores` slots, for tests and headless peers. */
export function nodeCapabilities(cores: number, extra: Partial<PeerCapabilities> = {}): PeerCapabilities {
  return { platform: 'node', cores, memoryMB: 4096, gpu: false, tags: [], costRate: 0, speed: 1, ...extra };
}
