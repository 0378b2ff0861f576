/**
 * `MemberDirectory`: what the signaling server said about each member of the mesh — the roles it admitted the
 * member with and its token's `trusted` claim. The trust checks (agent/admission.ts, coordinator/admission.ts)
 * read a sender's roles here, never from the message: a data-channel message is attributed to the peer id its
 * connection authenticated (the transport checks the hello), and that id's roles are the server's word.
 *
 * Components built without one (in-process meshes, unit tests over the memory transport, where every party is
 * this program) admit every sender: `openMembers`. Every peer assembled by `createMeshPeer` gets the signaling
 * one, so on a real mesh the checks always run.
 */
import type { Role } from '../signaling/contract.js';

export interface MemberDirectory {
  /** The roles `peerId` was admitted with; undefined when it is not (or no longer) a member. */
  roles(peerId: string): readonly Role[] | undefined;
  /** Whether `peerId`'s token carries the mesh owner's `trusted` claim. */
  trusted(peerId: string): boolean;
  /** False for `openMembers`: no role is checked. */
  readonly enforced: boolean;
}

const ALL_ROLES: readonly Role[] = ['contribute', 'submit', 'coordinate'];

/** Every sender holds every role: for in-process meshes and tests, where the transport is the trust boundary. */
export const openMembers: MemberDirectory = {
  roles: () => ALL_ROLES,
  trusted: () => true,
  enforced: false,
};

/** A directory over a lookup of member records (the signaling client's `peer(id)` and `self`). */
export function membersFrom(
  lookup: (peerId: string) => { readonly roles: readonly Role[]; readonly trusted?: boolean } | undefined,
): MemberDirectory {
  return {
    roles: (peerId) => lookup(peerId)?.roles,
    trusted: (peerId) => lookup(peerId)?.trusted === true,
    enforced: true,
  };
}

/** A fixed directory, for tests: `{ peerId: roles }`. */
export function staticMembers(
  members: ReadonlyMap<string, readonly Role[]>,
  trusted: ReadonlySet<string> = new Set(),
): MemberDirectory {
  return {
    roles: (peerId) => members.get(peerId),
    trusted: (peerId) => trusted.has(peerId),
    enforced: true,
  };
}
