/**
 * `MembershipSource`: who is in the mesh, with capabilities and state — what the coordinator feeds its
 * ResourceTracker from. The signaling client is adapted to it in the process assembly; tests use the in-memory
 * one below. Kept to the few fields the coordinator needs so any registry can provide it.
 */
import type { PeerCapabilities, PeerState, Role } from '../signaling/contract.js';

export interface MeshMember {
  readonly peerId: string;
  /** Only members with the `contribute` role are given work. Omitted: treated as a contributor. */
  readonly roles?: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly state?: Partial<PeerState>;
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
  const listeners = new Map<keyof MembershipEvents, Set<(payload: never) => void>>();
  const emit = <E extends keyof MembershipEvents>(event: E, payload: MembershipEvents[E]): void => {
    for (const l of [...(listeners.get(event) ?? [])]) (l as (p: MembershipEvents[E]) => void)(payload);
  };
  return {
    peers: () => [...members.values()],
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    join(member) {
      const known = members.has(member.peerId);
      members.set(member.peerId, member);
      emit(known ? 'peer:updated' : 'peer:joined', member);
    },
    update(member) {
      members.set(member.peerId, member);
      emit('peer:updated', member);
    },
    leave(peerId) {
      if (!members.delete(peerId)) return;
      emit('peer:left', { peerId });
    },
  };
}

/** Capabilities of a Node peer with `cores` slots, for tests and headless peers. */
export function nodeCapabilities(cores: number, extra: Partial<PeerCapabilities> = {}): PeerCapabilities {
  return { platform: 'node', cores, memoryMB: 4096, gpu: false, tags: [], costRate: 0, speed: 1, ...extra };
}
